package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/console/runnertest"
)

// sentinel stands for a secret in every shape below; it must show nowhere
// the runner or a later step can read, except in the ::add-mask:: command
// that tells the runner to hide it.
const sentinel = "s3ntinel-0f9e8d7c6b5a"

// injected starts the data of a command planted in text the action does
// not control (a kubeconfig's context name, an input echoed, a path, the
// event): no command the runner carries out may start with it.
const injected = "INJECTED"

// kubeconfigYAML is a kubeconfig of one context, name, whose cluster is at
// server (through proxy, when not empty), with a token.
func kubeconfigYAML(server, proxy, name, token string) string {
	cluster := fmt.Sprintf("{server: %q}", server)
	if proxy != "" {
		cluster = fmt.Sprintf("{server: %q, proxy-url: %q}", server, proxy)
	}
	return fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: %s\nusers:\n- name: u\n  user: {token: %q}\ncontexts:\n- name: %q\n  context: {cluster: c, user: u}\ncurrent-context: %q\n", cluster, token, name, name)
}

// Every input that carries or may carry a secret, in well-formed and
// malformed shapes: the secret reaches neither the log (stdout, stderr)
// nor GITHUB_OUTPUT, the job summary, the state file or the run's report.
func TestNoSecretLeavesTheStep(t *testing.T) {
	kcYAML := kubeconfigYAML(closedPort(t), "", "dev", sentinel)
	// The other inputs' cases reach the cluster through a kubeconfig whose
	// token is not the sentinel: masking that token must not hide them.
	kcOther := strings.Replace(kcYAML, sentinel, "not-the-sentinel-token", 1)
	b64 := base64.StdEncoding.EncodeToString([]byte(kcYAML))
	twice := base64.StdEncoding.EncodeToString([]byte(b64))
	brokenYAML := strings.Replace(kcYAML, "contexts:", "contexts: [ :", 1)
	gkeCreds := func(content string) string {
		p := filepath.Join(t.TempDir(), "gha-creds.json")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	kubeconfig := map[string]string{"INPUT_CLUSTER": "kubeconfig", "INPUT_TIMEOUT": "3s"}
	other := with(kubeconfig, "INPUT_KUBECONFIG", kcOther)
	userinfoServer := strings.Replace(closedPort(t), "https://", "https://admin:"+sentinel+"@", 1)
	hostileDir := filepath.Join(t.TempDir(), "##[error]"+injected, "::error::"+injected)
	if err := os.MkdirAll(hostileDir, 0o700); err != nil {
		t.Fatal(err)
	}
	hostilePath := filepath.Join(hostileDir, "config")
	if err := os.WriteFile(hostilePath, []byte(kcOther), 0o600); err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(t.TempDir(), "event.json")
	payload := fmt.Sprintf(`{"action": "::error::%[1]s", "number": 7, "pull_request": {"number": 7, "head": {"sha": "##[error]%[1]s", "ref": "::error::%[1]s", "repo": {"full_name": "##[error]%[1]s/x"}}, "base": {"ref": "main", "repo": {"full_name": "octo/app"}}}}`, injected)
	if err := os.WriteFile(event, []byte(payload), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		inputs map[string]string
		// reached is what the run says when it took the path the case is
		// about: a case whose run stopped elsewhere proves nothing.
		reached string
		// masked are values the runner must be told to mask, exactly.
		masked []string
	}{
		{"kubeconfig YAML, cluster unreachable", with(kubeconfig, "INPUT_KUBECONFIG", kcYAML), "stopped waiting for the API server", []string{sentinel}},
		{"kubeconfig base64, cluster unreachable", with(kubeconfig, "INPUT_KUBECONFIG", b64), "stopped waiting for the API server", nil},
		{"kubeconfig base64 cut short", with(kubeconfig, "INPUT_KUBECONFIG", b64[:len(b64)/2]), "input \"kubeconfig\": inline base64 content is not a valid kubeconfig", nil},
		{"kubeconfig base64 encoded twice", with(kubeconfig, "INPUT_KUBECONFIG", twice), "input \"kubeconfig\": the value (", nil},
		{"kubeconfig base64 of broken YAML", with(kubeconfig, "INPUT_KUBECONFIG", base64.StdEncoding.EncodeToString([]byte(brokenYAML))), "input \"kubeconfig\": inline base64 content is not a valid kubeconfig", nil},
		{"kubeconfig broken YAML", with(kubeconfig, "INPUT_KUBECONFIG", brokenYAML), "input \"kubeconfig\": inline content is not a valid kubeconfig", nil},
		{"kubeconfig token given as the value", with(kubeconfig, "INPUT_KUBECONFIG", sentinel), "it is not shown, as it may be a credential", nil},
		{"kubeconfig token with a slash given as the value", with(kubeconfig, "INPUT_KUBECONFIG", "wJalrXUtnFEMI/K7MDENG/"+sentinel), "it is not shown, as it may be a credential", nil},
		{"secret-env well formed, dry run", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "API_KEY="+sentinel, "INPUT_IMAGE", "ghcr.io/o/app:v1", "INPUT_SERVICE", "app", "INPUT_DRY-RUN", "true"), "Plan (dry run", []string{sentinel}},
		{"secret-env YAML style", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "API_KEY: "+sentinel+"=x"), "has a ':' before its '='", nil},
		{"secret-env unterminated quote", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", `API_KEY="`+sentinel), "the value of API_KEY starts with", nil},
		{"secret-env a pasted key, split at its padding", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "sk_live+"+sentinel+"/x=="), "the text before '=' is not a variable name", nil},
		{"secret-env a bare token ending in '='", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", sentinel+"="), "line 1: has an empty value: a secret needs one", []string{sentinel}},
		{"secret-env bad name", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "1API="+sentinel), "the text before '=' is not a variable name", nil},
		{"secret-env reserved name", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "PORT="+sentinel), "PORT is set by Knative", nil},
		{"secret-env set twice", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "A="+sentinel+"\nA="+sentinel), "A is set again", nil},
		{"secret-env also in env", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "A="+sentinel, "INPUT_ENV", "A=plain"), "A is also set by input env", nil},
		{"github-token well formed, dry run", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_GITHUB-TOKEN", sentinel, "INPUT_DRY-RUN", "true"), "Plan (dry run", []string{sentinel}},
		{"github-token with a new line", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_GITHUB-TOKEN", sentinel+"\n::warning::x"), "input \"github-token\": has a control character", []string{sentinel}},
		{"registry-password well formed, dry run", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_REGISTRY-USERNAME", "bot", "INPUT_REGISTRY-PASSWORD", sentinel, "INPUT_IMAGE", "registry.example/o/app:v1", "INPUT_SERVICE", "app", "INPUT_DRY-RUN", "true"), "Plan (dry run", []string{sentinel}},
		{"registry-password without a username", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_REGISTRY-PASSWORD", sentinel, "INPUT_IMAGE", "registry.example/o/app:v1", "INPUT_SERVICE", "app"), "registry-username is not", nil},
		{"registry-password, cluster unreachable", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_REGISTRY-USERNAME", "bot", "INPUT_REGISTRY-PASSWORD", sentinel, "INPUT_IMAGE", "registry.example/o/app:v1", "INPUT_SERVICE", "app"), "stopped waiting for the API server", []string{sentinel}},
		{"manifests-url credentials, dry run", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_MANIFESTS-URL", "https://bob:"+sentinel+"@mirror.example/knative", "INPUT_DRY-RUN", "true"), "Plan (dry run", []string{sentinel}},
		{"manifests-url credentials, unparsable", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_MANIFESTS-URL", "https://bob:"+sentinel+"@bad host/knative"), "is not a valid URL", []string{sentinel}},
		{"manifests-url credentials, wrong scheme", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_MANIFESTS-URL", "ftp://bob:"+sentinel+"@mirror.example/knative"), "only http and https are supported", []string{sentinel}},
		{"gke credentials file, dry run", with(map[string]string{"INPUT_CLUSTER": "gke", "INPUT_GKE-PROJECT": "my-project", "INPUT_GKE-LOCATION": "us-central1", "INPUT_DRY-RUN": "true"}, "GOOGLE_APPLICATION_CREDENTIALS", gkeCreds(`{"type":"service_account","project_id":"my-project","private_key":"`+sentinel+`"}`)), "Plan (dry run", nil},
		{"gke credentials file, not JSON", with(map[string]string{"INPUT_CLUSTER": "gke", "INPUT_GKE-PROJECT": "my-project", "INPUT_GKE-LOCATION": "us-central1", "INPUT_TIMEOUT": "5s"}, "GOOGLE_APPLICATION_CREDENTIALS", gkeCreds(`{"type":"service_account","private_key":"`+sentinel)), "is not JSON", nil},
		// Secrets by their shape: a URL's user information.
		{"kubeconfig server with user information, dry run", with(kubeconfig, "INPUT_KUBECONFIG", kubeconfigYAML(userinfoServer, "", "dev", "not-the-sentinel-token"), "INPUT_DRY-RUN", "true"), "Plan (dry run", []string{sentinel}},
		{"kubeconfig server with user information, cluster unreachable", with(kubeconfig, "INPUT_KUBECONFIG", kubeconfigYAML(userinfoServer, "", "dev", "not-the-sentinel-token")), "stopped waiting for the API server", []string{sentinel}},
		{"kubeconfig file with a server with user information", with(kubeconfig, "INPUT_KUBECONFIG", writeKubeconfig(t, userinfoServer, "not-the-sentinel-token")), "stopped waiting for the API server", []string{sentinel}},
		{"kubeconfig proxy with user information, cluster unreachable", with(kubeconfig, "INPUT_KUBECONFIG", kubeconfigYAML(closedPort(t), strings.Replace(closedPort(t), "https://", "http://proxy:"+sentinel+"@", 1), "dev", "not-the-sentinel-token")), "stopped waiting for the API server", []string{sentinel}},
		{"manifests-url with a token for user, dry run", with(other, "INPUT_MANIFESTS-URL", "https://"+sentinel+"@mirror.example/knative", "INPUT_DRY-RUN", "true"), "Plan (dry run", []string{sentinel}},
		{"env with a database URL, dry run", with(other, "INPUT_ENV", "DB=postgres://app:"+sentinel+"@db:5432/x", "INPUT_IMAGE", "ghcr.io/o/app:v1", "INPUT_SERVICE", "app", "INPUT_DRY-RUN", "true"), "Plan (dry run", []string{sentinel}},
		{"image with user information", with(other, "INPUT_IMAGE", "https://robot:"+sentinel+"@registry.example/o/app:v1", "INPUT_SERVICE", "app"), "input \"image\"", []string{sentinel}},
		// A credential-bearing input refused: quoted up to its separator.
		{"registry-username with a password after ':'", with(other, "INPUT_REGISTRY-USERNAME", "robot:"+sentinel, "INPUT_REGISTRY-PASSWORD", "x-not-the-sentinel", "INPUT_IMAGE", "registry.example/o/app:v1", "INPUT_SERVICE", "app"), "has a ':'", nil},
		{"registry-username with a password after ':', no password", with(other, "INPUT_REGISTRY-USERNAME", "robot:"+sentinel, "INPUT_IMAGE", "registry.example/o/app:v1", "INPUT_SERVICE", "app"), "registry-password is not", nil},
		// Secrets the runner must read as they are: escapes, a carriage return.
		{"registry-password with escapes, dry run", with(other, "INPUT_REGISTRY-USERNAME", "bot", "INPUT_REGISTRY-PASSWORD", "pa%25%0A"+sentinel, "INPUT_IMAGE", "registry.example/o/app:v1", "INPUT_SERVICE", "app", "INPUT_DRY-RUN", "true"), "Plan (dry run", []string{"pa%25%0A" + sentinel}},
		{"github-token with a carriage return", with(other, "INPUT_GITHUB-TOKEN", sentinel+"\r::warning::"+injected), "input \"github-token\": has a control character", []string{sentinel}},
		// Text from outside that holds commands.
		{"context name with commands", with(kubeconfig, "INPUT_KUBECONFIG", kubeconfigYAML(closedPort(t), "", "dev##[error]"+injected+" ::error::"+injected, "not-the-sentinel-token")), "stopped waiting for the API server", nil},
		{"expect-body and path with commands, dry run", with(other, "INPUT_IMAGE", "ghcr.io/o/app:v1", "INPUT_SERVICE", "app", "INPUT_EXPECT-BODY", "##[error]"+injected, "INPUT_PATH", "/##[warning]"+injected, "INPUT_DRY-RUN", "true"), "Plan (dry run", nil},
		{"kubeconfig path with commands, dry run", with(kubeconfig, "INPUT_KUBECONFIG", hostilePath, "INPUT_DRY-RUN", "true"), "Plan (dry run", nil},
		{"kubeconfig path with commands, not found", with(kubeconfig, "INPUT_KUBECONFIG", hostilePath+"-missing"), "a file this container action cannot see", nil},
		{"event fields with commands, dry run", with(other, "GITHUB_EVENT_NAME", "pull_request", "GITHUB_EVENT_PATH", event, "INPUT_IMAGE", "ghcr.io/o/app:v1", "INPUT_DRY-RUN", "true"), "Plan (dry run", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{
				"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
				"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
				"GITHUB_STATE":        filepath.Join(dir, "state"),
			}
			env := with(tt.inputs, "GITHUB_ACTIONS", "true", "GITHUB_WORKSPACE", dir, "GITHUB_REPOSITORY", "octo/app")
			for k, v := range files {
				env[k] = v
			}
			r := runMain(context.Background(), nil, env)
			if !strings.Contains(r.stdout+r.stderr, tt.reached) {
				t.Errorf("the run did not reach %q; stdout:\n%s", tt.reached, r.stdout)
			}
			masks := runnerReads(t, r.stdout, r.stderr)
			for _, m := range tt.masked {
				if !slices.Contains(masks, m) {
					t.Errorf("the runner is not told to mask %q; it masks %q", m, masks)
				}
			}
			places := map[string]string{
				"stdout": runnertest.WithoutMasks(r.stdout),
				"stderr": r.stderr,
			}
			files["the report"] = filepath.Join(dir, ".knative-preview", "report.json")
			for k, p := range files {
				b, _ := os.ReadFile(p)
				places[k] = string(b)
			}
			for where, text := range places {
				if strings.Contains(text, sentinel) {
					t.Errorf("the secret shows in %s:\n%s", where, text)
				}
			}
			if t.Failed() || os.Getenv("SECRETS_LOG") != "" {
				t.Logf("exit %d; stdout:\n%s", r.code, r.stdout)
			}
		})
	}
}

// runnerReads checks the commands the runner carries out in a step's
// stdout and stderr (as the model of its parser reads them): only the
// console's kinds, in the form it writes, none planted in text from
// outside; it returns what add-mask commands mask.
func runnerReads(t *testing.T, stdout, stderr string) (masks []string) {
	t.Helper()
	var r runnertest.Runner // the two streams share the runner's state
	for _, c := range append(r.Read(stdout), r.Read(stderr)...) {
		if c.Legacy || !slices.Contains([]string{"add-mask", "debug", "warning", "error", "group", "endgroup"}, c.Name) || strings.HasPrefix(c.Data, injected) {
			t.Errorf("the runner carries out %q (data %q) from the line %q", c.Name, c.Data, c.Line)
		}
		masks = append(masks, c.Masks()...)
	}
	return masks
}

// with returns a copy of m with the key-value pairs kv added.
func with(m map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}
