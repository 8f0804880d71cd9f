package deploy

import (
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"
)

// readInputs runs Parse on raw values and returns the options and each
// problem, failing when one could reach the log as more than one line or
// with a control character.
func readInputs(t *testing.T, raw map[string]string) (Options, []error) {
	t.Helper()
	o, errs := parseInputs(raw, "octo/hello")
	for _, e := range errs {
		if i := strings.IndexFunc(e.Error(), unicode.IsControl); i >= 0 {
			t.Fatalf("problem %q has a control character at byte %d", e.Error(), i)
		}
	}
	return o, errs
}

// renderEnv writes variables back as KEY="escaped value" lines.
func renderEnv(vars []EnvVar) string {
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	var b strings.Builder
	for _, v := range vars {
		b.WriteString(v.Name + `="` + esc.Replace(v.Value) + "\"\n")
	}
	return b.String()
}

// env: the variables Parse keeps are valid names, and written back as
// KEY="escaped value" lines they parse again into the same variables.
func FuzzParseEnv(f *testing.F) {
	for _, s := range []string{
		"A=1\nB=\"two words\"",
		"URL=https://x/?a=b&c=d",
		`MSG="hello \"you\"\n"`,
		`MSG='a "b" \n'`,
		"# c\n\nA=1\nPORT=9000\n1A=x\nA=2",
		"A.b-c_d=  spaced  ",
		"K_SERVICE=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		o, _ := readInputs(t, map[string]string{"env": text})
		for _, v := range o.Env {
			if len(validation.IsEnvVarName(v.Name)) > 0 {
				t.Fatalf("%q: kept variable %q, not a valid name", text, v.Name)
			}
		}
		again, errs := readInputs(t, map[string]string{"env": renderEnv(o.Env)})
		if len(errs) > 0 {
			t.Fatalf("%q rendered as %q: %v", text, renderEnv(o.Env), errs)
		}
		if len(again.Env) != len(o.Env) {
			t.Fatalf("%q: %q, rendered and parsed again %q", text, o.Env, again.Env)
		}
		for i := range o.Env {
			if again.Env[i] != o.Env[i] {
				t.Fatalf("%q: %q, rendered and parsed again %q", text, o.Env, again.Env)
			}
		}
	})
}

// secretSentinel marks the part of a secret-env line no problem may show.
const secretSentinel = "hunter2S3CR3T"

// secret-env: no problem shows any part of a line after its first '=' or
// ':', whatever the line (the sentinel is put right after that separator,
// or at the end of a line with neither); the same names in env are
// reported without a value too.
func FuzzParseSecretEnv(f *testing.F) {
	for _, s := range []string{
		"API_KEY=fine", "API_KEY: value=", "hunter-no-equals", "X=\"unterminated", `X="\q"`,
		"A=1\nA=2", "1A=x", "PORT=1", "A B=1", "A:B=1", "=x", "K='x'y'", "A=1\n\nA:=2",
	} {
		f.Add(s, "A=1")
	}
	f.Fuzz(func(t *testing.T, text, env string) {
		if strings.Contains(text, secretSentinel) || strings.Contains(env, secretSentinel) {
			return
		}
		lines := strings.Split(text, "\n")
		for i, l := range lines {
			if j := strings.IndexAny(l, "=:"); j >= 0 {
				lines[i] = l[:j+1] + secretSentinel + l[j+1:]
			} else {
				lines[i] = l + secretSentinel
			}
		}
		o, errs := readInputs(t, map[string]string{"secret-env": strings.Join(lines, "\n"), "env": env})
		for _, e := range errs {
			if strings.Contains(e.Error(), secretSentinel) {
				t.Fatalf("problem %q shows part of a secret-env line", e.Error())
			}
		}
		for _, v := range o.SecretEnv {
			if len(validation.IsEnvVarName(v.Name)) > 0 {
				t.Fatalf("kept secret variable %q, not a valid name", v.Name)
			}
		}
	})
}

// annotations and labels: what Parse keeps is a valid key (and label
// value) outside this action's own prefix, and written back as lines it
// parses again into the same map.
func FuzzParseMeta(f *testing.F) {
	for _, s := range []string{
		"example.com/team=web\nautoscaling.knative.dev/window=30s",
		"team=web", "bad key=1", "knative-preview/x=1", "team=a b",
		"networking.knative.dev/visibility=cluster-local", "a/b/c=1", `x="q\"uote"`,
		"autoscaling.knative.dev/min-scale=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		o, _ := readInputs(t, map[string]string{"annotations": text, "labels": text})
		for name, m := range map[string]map[string]string{"annotations": o.Annotations, "labels": o.Labels} {
			var kept []EnvVar
			for k, v := range m {
				if len(validation.IsQualifiedName(k)) > 0 || strings.HasPrefix(k, ownPrefix) {
					t.Fatalf("%s %q: kept key %q", name, text, k)
				}
				if name == "labels" && len(validation.IsValidLabelValue(v)) > 0 {
					t.Fatalf("labels %q: kept value %q of %s", text, v, k)
				}
				if k != visibilityKey { // kept, but reported: input visibility sets it
					kept = append(kept, EnvVar{k, v})
				}
			}
			again, errs := readInputs(t, map[string]string{name: renderEnv(kept)})
			if len(errs) > 0 {
				t.Fatalf("%s %q rendered as %q: %v", name, text, renderEnv(kept), errs)
			}
			got := again.Annotations
			if name == "labels" {
				got = again.Labels
			}
			delete(m, visibilityKey)
			if !maps.Equal(got, m) {
				t.Fatalf("%s %q: %q, rendered and parsed again %q", name, text, m, got)
			}
		}
	})
}

// request-timeout: an accepted value is a positive whole number of
// seconds, and that number, written either way, reads back the same.
func FuzzRequestTimeout(f *testing.F) {
	for _, s := range []string{"90s", "5m", "300", "0", "-1", "1.5s", "500ms", "soon", "2147483648", "2147483649", "1h0m0s", "9223372036s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		o, errs := readInputs(t, map[string]string{"request-timeout": v})
		d := o.RequestTimeout
		if d == 0 {
			if strings.TrimSpace(v) != "" && len(errs) == 0 {
				t.Fatalf("%q: neither a timeout nor a problem", v)
			}
			return
		}
		if d < time.Second || d%time.Second != 0 {
			t.Fatalf("%q: accepted as %s, not a positive whole number of seconds", v, d)
		}
		for _, again := range []string{strconv.FormatInt(int64(d/time.Second), 10), d.String()} {
			if got, err := seconds.Parse(again); err != nil || got != d {
				t.Fatalf("%q: accepted as %s, but %q reads as %s, %v", v, d, again, got, err)
			}
		}
	})
}
