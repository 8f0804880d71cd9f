package manifests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.yaml")
	if err := os.WriteFile(file, []byte("a: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		in, wantErr string
	}{
		{in: ""},
		{in: "https://mirror.example.com/knative"},
		{in: "http://127.0.0.1:8080/"},
		{in: "HTTPS://mirror.example.com"},
		{in: dir},
		{in: dir + "/"},
		{in: "ftp://mirror.example.com/knative", wantErr: "is a ftp URL; only http and https are supported"},
		{in: "file:///srv/knative", wantErr: "is a file URL"},
		{in: "https://", wantErr: "without a host"},
		{in: "https://bad host/", wantErr: "is not a valid URL"},
		{in: filepath.Join(dir, "missing"), wantErr: "no such folder exists"},
		{in: "mirror.example.com/knative", wantErr: "no such folder exists"},
		{in: file, wantErr: "is a file; a folder is needed"},
	} {
		err := ValidateSource(tt.in)
		if tt.wantErr == "" && err != nil {
			t.Errorf("ValidateSource(%q) = %v", tt.in, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ValidateSource(%q) = %v, want an error containing %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestDefaultCacheDir(t *testing.T) {
	toolCache := t.TempDir()
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "runner tool cache", env: map[string]string{"RUNNER_TOOL_CACHE": toolCache, "HOME": "/home/runner"}, want: toolCache + "/knative-preview"},
		{name: "tool cache not mounted in the action's container", env: map[string]string{"RUNNER_TOOL_CACHE": "/opt/hostedtoolcache-not-here", "HOME": "/github/home"}, want: "/github/home/.cache/knative-preview"},
		{name: "XDG", env: map[string]string{"XDG_CACHE_HOME": "/var/cache/me", "HOME": "/home/me"}, want: "/var/cache/me/knative-preview"},
		{name: "relative XDG is ignored", env: map[string]string{"XDG_CACHE_HOME": "cache", "HOME": "/home/me"}, want: "/home/me/.cache/knative-preview"},
		{name: "home", env: map[string]string{"HOME": "/home/me"}, want: "/home/me/.cache/knative-preview"},
		{name: "nothing", env: map[string]string{}, wantErr: "none of RUNNER_TOOL_CACHE, XDG_CACHE_HOME and HOME is set"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				switch k {
				case "RUNNER_TOOL_CACHE", "XDG_CACHE_HOME", "HOME":
					return tt.env[k]
				}
				t.Errorf("unexpected getenv(%q)", k)
				return ""
			}
			got, err := DefaultCacheDir(getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("DefaultCacheDir = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("DefaultCacheDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestIsFolder(t *testing.T) {
	for in, want := range map[string]bool{"": false, "https://mirror.example/knative": false, "./mirror": true, "/srv/knative": true, "file://x": false} {
		if got := IsFolder(in); got != want {
			t.Errorf("IsFolder(%q) = %v, want %v", in, got, want)
		}
	}
}

// Redact shows neither the user information of a mirror URL nor its
// query, and nothing of a URL that does not parse.
func TestRedact(t *testing.T) {
	tests := []struct {
		in, redacted string
		secrets      []string
	}{
		{"https://bob:pa55word@mirror.example/knative", "https://***@mirror.example/knative", []string{"bob", "pa55word"}},
		{"https://ghp_token123@mirror.example/knative", "https://***@mirror.example/knative", []string{"ghp_token123"}},
		{"https://bob:pa55word@bad host/knative", "(a URL that does not parse)", []string{"bob", "pa55word"}},
		{"https://mirror.example/knative?sig=abc123", "https://mirror.example/knative?***", []string{"abc123"}},
		{"https://mirror.example/knative", "https://mirror.example/knative", nil},
	}
	for _, tt := range tests {
		got := Redact(tt.in)
		if got != tt.redacted {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.redacted)
		}
		for _, s := range tt.secrets {
			if strings.Contains(got, s) {
				t.Errorf("Redact(%q) shows %q", tt.in, s)
			}
		}
	}
	if err := ValidateSource("https://bob:pa55word@bad host/"); err == nil || strings.Contains(err.Error(), "pa55word") {
		t.Errorf("ValidateSource of an unparsable URL: %v", err)
	}
}
