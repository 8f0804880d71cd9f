package console

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// commands returns the lines of a step's log that the runner reads as
// workflow commands: "::name...::" or "##[name...]" after leading space.
func commands(log string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(log, func(r rune) bool { return r == '\n' || r == '\r' }) { // as the runner reads lines
		if t := strings.TrimLeft(l, " \t"); strings.HasPrefix(t, "::") || strings.HasPrefix(t, "##[") {
			out = append(out, t)
		}
	}
	return out
}

// Text the action does not control (a pod's log, an event message, an
// error body) can hold lines that look like workflow commands; none of
// them may reach the runner as one, whichever way it is written.
func TestTextFromOutsideCommandsNothing(t *testing.T) {
	hostile := "the container said:\n::add-mask::x\n  ::set-output name=url::http://evil\n::error::boom\n##[warning]old style\n::stop-commands::token\nok\r::error::after a carriage return\r\n::warning::after CRLF"
	var b bytes.Buffer
	c := NewActions(&b, func(string) string { return "" })
	c.Infof("%s", hostile)
	c.Warnf("event: %s", hostile)
	c.Errorf("stage deploy: %s", hostile)
	c.Debugf("%s", hostile)
	end := c.Group("deploy\n::error::from a title")
	end()
	plan := c.Safe(hostile)
	log := b.String() + plan
	var want []string
	for _, cmd := range commands(log) {
		switch {
		case strings.HasPrefix(cmd, "::warning::event: the container said:%0A"),
			strings.HasPrefix(cmd, "::error::stage deploy: the container said:%0A"),
			strings.HasPrefix(cmd, "::debug::the container said:%0A"),
			strings.HasPrefix(cmd, "::group::deploy%0A"),
			cmd == "::endgroup::":
			// The console's own commands, with the hostile text escaped
			// inside their one line.
		default:
			want = append(want, cmd)
		}
	}
	if len(want) > 0 {
		t.Errorf("the runner would read these lines as commands:\n%s\nlog:\n%s", strings.Join(want, "\n"), log)
	}
	if !strings.Contains(log, "| ::add-mask::x") || !strings.Contains(plan, "| ::error::boom") {
		t.Errorf("the hostile lines are not shown as text:\n%s", log)
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
	log := strings.ReplaceAll(b.String(), "::add-mask::"+secret+"\n", "")
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
