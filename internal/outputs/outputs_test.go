package outputs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ParseFile reads a GITHUB_OUTPUT file the way the runner does: name=value
// lines and name<<DELIMITER heredocs.
func parseFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if name, delim, ok := strings.Cut(l, "<<"); ok {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("heredoc for %q is not closed:\n%s", name, data)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, _ := strings.Cut(l, "=")
		out[name] = val
	}
	return out
}

func TestActionsWritesOutputFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "output")
	env := map[string]string{"GITHUB_OUTPUT": file, "GITHUB_WORKSPACE": dir}
	w, err := NewActions(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Set("kubernetes-version", "v1.34.3"); err != nil {
		t.Fatal(err)
	}
	multi := "line one\nline two=with equals\n"
	if err := w.Set("context", multi); err != nil {
		t.Fatal(err)
	}
	got := parseFile(t, file)
	if got["kubernetes-version"] != "v1.34.3" {
		t.Errorf("kubernetes-version: got %q", got["kubernetes-version"])
	}
	if got["context"] != multi {
		t.Errorf("multiline value: got %q, want %q", got["context"], multi)
	}
}

func TestSetRefusesWhatCannotBeWritten(t *testing.T) {
	w := NewLocal(Text, &bytes.Buffer{}, &bytes.Buffer{})
	if err := w.Set("no-such-output", "x"); err == nil || !strings.Contains(err.Error(), `"no-such-output" is not declared`) {
		t.Errorf("undeclared output: got %v", err)
	}
	if err := w.Set("context", "a\n"+delimiter+"\nb=c"); err == nil {
		t.Error("a value containing the delimiter would inject outputs; want an error")
	}
}

func TestNewActionsNeedsOutputFile(t *testing.T) {
	if _, err := NewActions(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT") {
		t.Fatalf("got %v", err)
	}
}

func TestLocalFlush(t *testing.T) {
	var stdout, stderr bytes.Buffer
	w := NewLocal(JSON, &stdout, &stderr)
	_ = w.Set("kubernetes-version", "v1.34.3")
	_ = w.Set("context", "kind-knative")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	if got["kubernetes-version"] != "v1.34.3" || got["context"] != "kind-knative" || stderr.Len() != 0 {
		t.Errorf("json: got %v, stderr %q", got, stderr.String())
	}

	stdout.Reset()
	w = NewLocal(Text, &stdout, &stderr)
	_ = w.Set("kubernetes-version", "v1.34.3")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "kubernetes-version  v1.34.3") {
		t.Errorf("text: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

func TestValuesAreRedacted(t *testing.T) {
	var stdout bytes.Buffer
	w := NewLocal(JSON, &stdout, &bytes.Buffer{})
	w.Redact = func(s string) string { return strings.ReplaceAll(s, "s3cr3t", "***") }
	_ = w.Set("cold-start-samples-json", `[{"check-failed":"got \"token=s3cr3t\""}]`)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout.String(), "s3cr3t") || !strings.Contains(stdout.String(), "token=***") {
		t.Errorf("outputs not redacted: %s", stdout.String())
	}
}
