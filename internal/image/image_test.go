package image

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		ref  string
		want string // a part of the problem; empty: valid
	}{
		{"nginx", ""},
		{"myapp:dev", ""},
		{"ghcr.io/org/app:v1", ""},
		{"Registry.example.com/app:v1", ""},
		{"localhost:5000/app:v1", ""},
		{"ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ""},
		{"UPPER/case:tag", "must be lower case"},
		{"ghcr.io/Org/App:v1", "must be lower case"},
		{"Not An Image", "must be lower case"},
		{"not an image", "is not an image reference ("},
		{"app:", "its tag is empty"},
		{"app@sha256:abc", "is not an image reference ("},
		{"a:b:c", "is not an image reference ("},
	}
	for _, tt := range tests {
		err := Check(tt.ref)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%q) = %v, want it accepted", tt.ref, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Check(%q) = %v, want a problem saying %q", tt.ref, err, tt.want)
		}
	}
}

// The registry is named as Knative compares it, Docker Hub's included.
func TestRegistry(t *testing.T) {
	for ref, want := range map[string]string{
		"myapp:dev":              "index.docker.io",
		"library/nginx":          "index.docker.io",
		"ghcr.io/org/app:v1":     "ghcr.io",
		"localhost:5000/app:dev": "localhost:5000",
		"Not An Image":           "",
	} {
		if got := Registry(ref); got != want {
			t.Errorf("Registry(%q) = %q, want %q", ref, got, want)
		}
	}
}

// Images are named as the runner's Docker and a kind node's containerd
// name them when they store them.
func TestNormalized(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for ref, want := range map[string]string{
		"myapp:dev":              "docker.io/library/myapp:dev",
		"myapp":                  "docker.io/library/myapp:latest",
		"org/app:v1":             "docker.io/org/app:v1",
		"docker.io/org/app:v1":   "docker.io/org/app:v1",
		"ghcr.io/org/app:v1":     "ghcr.io/org/app:v1",
		"localhost:5000/app:dev": "localhost:5000/app:dev",
		"ghcr.io/org/app@" + d:   "ghcr.io/org/app@" + d,
		"Not An Image":           "",
	} {
		if got := Normalized(ref); got != want {
			t.Errorf("Normalized(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestDigest(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for ref, want := range map[string]string{
		"ghcr.io/org/app@" + d:    d,
		"ghcr.io/org/app:v1@" + d: d,
		"ghcr.io/org/app:v1":      "",
		"app@sha256:short":        "",
	} {
		if got := Digest(ref); got != want {
			t.Errorf("Digest(%q) = %q, want %q", ref, got, want)
		}
	}
}

// A repository is the same whatever its tag or digest, and a short name is
// Docker Hub's.
func TestName(t *testing.T) {
	for ref, want := range map[string]string{
		"redis":              "index.docker.io/library/redis",
		"redis:7":            "index.docker.io/library/redis",
		"docker.io/redis:7":  "index.docker.io/library/redis",
		"ghcr.io/org/app:v1": "ghcr.io/org/app",
		"ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": "ghcr.io/org/app",
		"localhost:5000/app": "localhost:5000/app",
		"$IMAGE":             "",
		"":                   "",
	} {
		if got := Name(ref); got != want {
			t.Errorf("Name(%q) = %q, want %q", ref, got, want)
		}
	}
}
