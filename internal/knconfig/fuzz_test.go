package knconfig

import (
	"reflect"
	"strings"
	"testing"
	"unicode"

	"sigs.k8s.io/yaml"

	"github.com/knative-preview/action/internal/input"
)

// serving-config: what Parse accepts, written back as YAML, parses again to
// the same overrides; every problem is one clean line (each reaches the
// log as one problem of the input).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"config-features: {kubernetes.podspec-affinity: enabled}",
		"config-autoscaler:\n  enable-scale-to-zero: false\n  stable-window: 60s\n  target-burst-capacity: 200",
		"config-autoscaler: {stable-window: soon}",
		"config-deployment: {progress-deadline: 10m, queue-sidecar-image: x}",
		"config-domain: {example.com: ''}",
		"config-gc: {max-non-active-revisions: 2}",
		"config-network: {ingress-class: kourier.ingress.networking.knative.dev}",
		"config-defaults: {revision-timeout-seconds: 300}",
		"config-nope: {a: b}",
		"config-features: [1, 2]",
		"config-features: {a: {b: c}}",
		"config-logging: {zap-logger-config: '{}'}",
		"not yaml: [",
		"config-features: {\"a\\x1bb\": enabled}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		out, err := Parse(text)
		for _, e := range input.List(err) {
			if i := strings.IndexFunc(e.Error(), unicode.IsControl); i >= 0 {
				t.Fatalf("problem %q has a control character at byte %d", e.Error(), i)
			}
		}
		if len(out) == 0 {
			return
		}
		rendered, merr := yaml.Marshal(out)
		if merr != nil {
			t.Fatalf("%q: overrides %v do not render: %v", text, out, merr)
		}
		again, err := Parse(string(rendered))
		if err != nil || !reflect.DeepEqual(again, out) {
			t.Fatalf("%q: %v, rendered as %q, parses again as %v, %v", text, out, rendered, again, err)
		}
	})
}
