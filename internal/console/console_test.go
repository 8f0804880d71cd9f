package console

import (
	"bytes"
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
