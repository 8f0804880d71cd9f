package image

import (
	"strings"
	"testing"
	"unicode"
)

// Check and Registry agree: what Check accepts has a registry, what has
// no registry Check refuses; an accepted reference's repository path is
// lower case; a refusal is one clean line.
func FuzzImage(f *testing.F) {
	for _, s := range []string{
		"myapp", "myapp:dev", "ghcr.io/org/app:v1", "UPPER/case:tag", "Registry.Example:5000/org/app",
		"localhost/app", "app:", "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"a/b@sha256:short", "ghcr.io/org/app:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"", " app", "app\n::warning::x", "host:99999/app",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		err := Check(ref)
		reg := Registry(ref)
		if err == nil && reg == "" {
			t.Fatalf("Check accepts %q, but it has no registry", ref)
		}
		if err != nil {
			if i := strings.IndexFunc(err.Error(), unicode.IsControl); i >= 0 {
				t.Fatalf("Check(%q) = %q, with a control character at byte %d", ref, err, i)
			}
			return
		}
		if repo := repository(ref); repo != strings.ToLower(repo) {
			t.Fatalf("Check accepts %q, whose repository %q is not lower case", ref, repo)
		}
	})
}
