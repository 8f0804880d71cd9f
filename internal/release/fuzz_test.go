package release

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/knative-preview/action/internal/input"
)

// A parsed serving-version's canonical spelling (and its tag spelling)
// parses back to the same spec; a refusal is an input problem, one clean
// line.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"1.23", "1.23.2", "latest", "LATEST", " v1.20.0 ", "knative-v1.21.1", "0.9", "01.2", "1.2.3.4", "4294967296.1", "vv1.2", "1.2\n::warning::x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseSpec(s)
		if err != nil {
			var ie *input.Error
			if !errors.As(err, &ie) || ie.Input != "serving-version" {
				t.Fatalf("ParseSpec(%q) = %v, not a serving-version problem", s, err)
			}
			if i := strings.IndexFunc(err.Error(), unicode.IsControl); i >= 0 {
				t.Fatalf("ParseSpec(%q) = %q, with a control character at byte %d", s, err, i)
			}
			return
		}
		for _, again := range []string{spec.String(), "v" + spec.String(), TagPrefix + spec.String()} {
			if spec.Kind == kindLatest && again != spec.String() {
				continue
			}
			got, err := ParseSpec(again)
			if err != nil || got != spec {
				t.Fatalf("ParseSpec(%q) = %+v, but its spelling %q parses as %+v, %v", s, spec, again, got, err)
			}
		}
	})
}
