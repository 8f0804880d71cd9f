package knconfig

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Overrides
		wantErr []string
	}{
		{name: "empty", in: "  \n"},
		{
			name: "several ConfigMaps, numbers and booleans as text",
			in:   "config-features:\n  kubernetes.podspec-affinity: enabled\nconfig-autoscaler:\n  stable-window: 6s\n  container-concurrency-target-default: 50\n  enable-scale-to-zero: true\n",
			want: Overrides{
				"config-features":   {"kubernetes.podspec-affinity": "enabled"},
				"config-autoscaler": {"stable-window": "6s", "container-concurrency-target-default": "50", "enable-scale-to-zero": "true"},
			},
		},
		{
			name:    "unknown ConfigMap",
			in:      "config-typo: {a: b}",
			wantErr: []string{`"config-typo" is not a Knative Serving ConfigMap (accepted: config-autoscaler,`},
		},
		{
			name:    "value Knative rejects",
			in:      "config-autoscaler: {stable-window: 2s}",
			wantErr: []string{"config-autoscaler: Knative rejects this data", "stable-window"},
		},
		{
			name:    "every problem at once",
			in:      "config-autoscaler: {stable-window: soon}\nconfig-defaults: {revision-timeout-seconds: forever}\nconfig-nope: {}\n",
			wantErr: []string{"config-autoscaler:", "config-defaults:", `"config-nope"`},
		},
		{
			name:    "not a mapping of mappings",
			in:      "config-features: enabled",
			wantErr: []string{"not a YAML mapping of ConfigMap name to a mapping"},
		},
		{
			name:    "nested value",
			in:      "config-features: {a: {b: c}}",
			wantErr: []string{`config-features: key "a": value must be text`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("accepted %q", tt.in)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for name, data := range tt.want {
				for k, v := range data {
					if got[name][k] != v {
						t.Errorf("%s %s: got %q, want %q", name, k, got[name][k], v)
					}
				}
			}
		})
	}
}
