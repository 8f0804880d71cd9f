package console

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/console/runnertest"
)

func TestLocalRedactsSecrets(t *testing.T) {
	var b bytes.Buffer
	c := NewLocal(&b)
	c.Mask("s3cret-token", "ab", "")
	c.Infof("connecting with s3cret-token to ab")
	c.Warnf("warn s3cret-token")
	c.Errorf("multi\nline s3cret-token")
	end := c.Group("cluster s3cret-token")
	end()
	out := b.String()
	if strings.Contains(out, "s3cret-token") {
		t.Fatalf("secret printed:\n%s", out)
	}
	for _, want := range []string{"connecting with *** to ab", "warning: warn ***", "error: multi", "error: line ***", "==> cluster ***"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestActionsMasksAndAnnotates(t *testing.T) {
	var b bytes.Buffer
	summary := filepath.Join(t.TempDir(), "summary.md")
	getenv := func(k string) string {
		if k == "GITHUB_STEP_SUMMARY" {
			return summary
		}
		return ""
	}
	c := NewActions(&b, getenv)
	c.Mask("s3cret-token")
	c.Mask("s3cret-token") // told once only
	end := c.Group("cluster")
	c.Infof("using s3cret-token")
	end()
	c.Errorf("failed: s3cret-token\nsecond line")
	if err := c.Summary("| a | s3cret-token |"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "::add-mask::s3cret-token\n"); n != 1 {
		t.Errorf("want one add-mask command, got %d:\n%s", n, out)
	}
	rest := strings.ReplaceAll(out, "::add-mask::s3cret-token\n", "")
	if strings.Contains(rest, "s3cret-token") {
		t.Errorf("secret printed outside add-mask:\n%s", out)
	}
	for _, want := range []string{"::group::cluster\n", "using ***\n", "::endgroup::\n", "::error::failed: ***%0Asecond line\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	s, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(s), "s3cret-token") || !strings.Contains(string(s), "| a | *** |") {
		t.Errorf("summary not redacted: %q", s)
	}
}

func TestMultiLineSecretIsMaskedLineByLine(t *testing.T) {
	var b bytes.Buffer
	c := NewActions(&b, func(string) string { return "" })
	c.Mask("-----BEGIN KEY-----\nAAAAfirstline\nBBBBsecondline\n-----END KEY-----")
	c.Infof("key: BBBBsecondline")
	out := b.String()
	for _, want := range []string{"::add-mask::AAAAfirstline\n", "::add-mask::BBBBsecondline\n", "key: ***\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestLongerSecretIsReplacedWhole(t *testing.T) {
	var b bytes.Buffer
	c := NewLocal(&b)
	c.Mask("abcd", "abcdefgh-long-secret")
	c.Infof("value abcdefgh-long-secret")
	if strings.Contains(b.String(), "efgh") {
		t.Errorf("part of the longer secret shows: %q", b.String())
	}
}

// hostile is text the action does not control (a pod's log, an event
// message, an error body, a name from a kubeconfig or an input) holding
// what the runner reads as commands: at the start of a line, after a
// carriage return, in the legacy form anywhere in a line, and spelled with
// code points the runner's culture-sensitive search passes over.
const hostile = "the container said:\n::add-mask::x\n  ::set-output name=url::http://evil\n::error::boom\n##[warning]old style\n" +
	"::stop-commands::token\nok\r::error::after a carriage return\r\n::warning::after CRLF\n" +
	"connecting to https://10.0.0.1 (context \"dev##[error]x\")\nusing /github/workspace/##[warning]dir/config\n" +
	"expect body \"::error::x\" and \"##[group]y\"\n\u200b::error::zero width\n::error:\u200b:split end\n#\u00ad#[error]soft hyphen\n" +
	"%0A::error::escaped%25"

// meant is a command the console means to write.
type meant struct{ name, data string }

// commandsOf is what the runner carries out in a step's output, as the
// model of its parser reads it.
func commandsOf(log string) []meant {
	var out []meant
	for _, c := range runnertest.Read(log) {
		name := c.Name
		if c.Legacy {
			name = "##[" + name + "]"
		}
		out = append(out, meant{name, c.Data})
	}
	return out
}

// Text from outside commands nothing, whichever console call prints it:
// the runner carries out exactly the commands the console means, each
// with the text unchanged as its data.
func TestTextFromOutsideCommandsNothing(t *testing.T) {
	for _, actions := range []bool{true, false} {
		var b bytes.Buffer
		c := NewLocal(&b)
		if actions {
			c = NewActions(&b, func(string) string { return "" })
		}
		c.Infof("%s", hostile)
		c.Warnf("event: %s", hostile)
		c.Errorf("stage deploy: %s", hostile)
		c.Debugf("%s", hostile)
		end := c.Group("deploy " + hostile)
		c.Infof("inside")
		end()
		plan := c.Safe(hostile)
		log := b.String() + plan
		var want []meant
		if actions {
			want = []meant{{"warning", "event: " + hostile}, {"error", "stage deploy: " + hostile}, {"debug", hostile}, {"group", "deploy " + hostile}, {"endgroup", ""}}
		}
		if got := commandsOf(log); !slices.Equal(got, want) {
			t.Errorf("actions %t: the runner would carry out\n%q\nwant\n%q\nlog:\n%s", actions, got, want, log)
		}
		for _, shown := range []string{"| ::add-mask::x", "##[\\warning]old style", "(context \"dev##[\\error]x\")"} {
			if !strings.Contains(b.String(), shown) || !strings.Contains(plan, shown) {
				t.Errorf("actions %t: %q is not shown as text:\n%s", actions, shown, log)
			}
		}
	}
}

// The runner masks the very secret the console registers: a value with
// '%', escapes or line breaks in it reaches the runner unescaped, and a
// carriage return in a secret ends no add-mask line early.
func TestMasksReachTheRunnerAsTheSecret(t *testing.T) {
	secrets := []string{"pa%25ss-w0rd", "line%0Abreak-w0rd", "cr-w0rd\r::warning::x", "percent-%-w0rd", "first\nlines-w0rd"}
	var b bytes.Buffer
	c := NewActions(&b, func(string) string { return "" })
	c.Mask(secrets...)
	var masks []string
	for _, cmd := range runnertest.Read(b.String()) {
		if cmd.Name != "add-mask" {
			t.Errorf("the runner carries out %q (%q)", cmd.Name, cmd.Data)
		}
		masks = append(masks, cmd.Masks()...)
	}
	for _, want := range []string{"pa%25ss-w0rd", "line%0Abreak-w0rd", "cr-w0rd", "::warning::x", "percent-%-w0rd", "first", "lines-w0rd"} {
		if !slices.Contains(masks, want) {
			t.Errorf("the runner does not mask %q; it masks %q; log:\n%s", want, masks, b.String())
		}
	}
}

// A secret is replaced before an annotation escapes its text: escaped (a
// '%' becomes %25, a new line %0A) it would no longer match.
func TestSecretsAreRedactedBeforeEscaping(t *testing.T) {
	const secret = "pa%ss-w0rd"
	var b bytes.Buffer
	c := NewActions(&b, func(string) string { return "" })
	c.Mask(secret)
	c.Warnf("login with %s failed", secret)
	c.Errorf("login with %s failed", secret)
	c.Debugf("login with %s", secret)
	end := c.Group("as " + secret)
	end()
	log := runnertest.WithoutMasks(b.String())
	for _, shown := range []string{secret, "pa%25ss-w0rd"} {
		if strings.Contains(log, shown) {
			t.Errorf("the secret shows as %q:\n%s", shown, log)
		}
	}
}

// A secret is hidden in a JSON document's strings, whatever JSON escapes
// in it; a secret of digits that a number also holds leaves the number,
// and the document, whole.
func TestRedactJSON(t *testing.T) {
	c := NewLocal(&bytes.Buffer{})
	secret := `t0k"en<&>\x`
	c.Mask(secret, "plain-secret", "4711")
	b, err := json.Marshal(map[string]any{"body": "got " + secret + " and plain-secret", "problems": []string{"PIN=4711"}, "ms": 4711.5, secret: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.RedactJSON(b)
	if err != nil {
		t.Fatalf("RedactJSON: %v", err)
	}
	got := string(out)
	for _, leak := range []string{"t0k", "plain-secret", "PIN=4711"} {
		if strings.Contains(got, leak) {
			t.Errorf("RedactJSON kept %q: %s", leak, got)
		}
	}
	var back map[string]any
	if err := json.Unmarshal(out, &back); err != nil || back["body"] != "got *** and ***" || back["ms"] != 4711.5 || back["***"] != true {
		t.Errorf("RedactJSON = %s (%v)", got, err)
	}
}
