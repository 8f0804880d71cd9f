package release

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckKubernetes(t *testing.T) {
	tests := []struct {
		name, serving, server string
		wantErr               []string // substrings; nil: no error
		wantFits              string
		wantWarning           []string // substrings; nil: no warning
	}{
		{name: "exactly the minimum", serving: "1.23.0", server: "v1.34.0"},
		{name: "newer patch", serving: "1.23.2", server: "v1.34.3"},
		{name: "newer minor", serving: "1.23.2", server: "v1.36.1"},
		{name: "minor form", serving: "1.21", server: "v1.33.0"},
		{name: "vendor suffix", serving: "1.23.0", server: "v1.34.0+k3s1"},
		{name: "eks suffix", serving: "1.23.0", server: "v1.34.2-eks-113cf36"},
		{name: "pre-release of the minimum patch", serving: "1.23.0", server: "v1.34.0-rc.1"},
		{name: "1.19 on 1.32", serving: "1.19.6", server: "v1.32.0"},
		{name: "1.20 on 1.32", serving: "1.20.0", server: "v1.32.9"},
		{
			name: "1.23 on 1.33", serving: "1.23.2", server: "v1.33.5",
			wantErr:  []string{"Knative Serving 1.23.2 needs Kubernetes 1.34.0 or newer", "cluster runs v1.33.5", "set serving-version to 1.21"},
			wantFits: "1.21",
		},
		{
			name: "1.22 on 1.32", serving: "1.22", server: "v1.32.1",
			wantErr:  []string{"Knative Serving 1.22 needs Kubernetes 1.34.0", "v1.32.1", "set serving-version to 1.20"},
			wantFits: "1.20",
		},
		{
			name: "1.21 on 1.32", serving: "1.21.0", server: "1.32.4",
			wantErr:  []string{"needs Kubernetes 1.33.0", "set serving-version to 1.20"},
			wantFits: "1.20",
		},
		{
			name: "nothing fits", serving: "1.19.0", server: "v1.31.9",
			wantErr: []string{"Knative Serving 1.19.0 needs Kubernetes 1.32.0", "v1.31.9", "the oldest, 1.19, needs Kubernetes 1.32.0"},
		},
		{name: "newer Knative than the table", serving: "1.24.0", server: "v1.30.0", wantWarning: []string{"Knative Serving 1.24.0 is not known", "known: 1.19 to 1.23", "v1.30.0"}},
		{name: "older Knative than the table", serving: "1.10.1", server: "v1.34.0", wantWarning: []string{"Knative Serving 1.10.1 is not known"}},
		{name: "server version unreadable", serving: "1.23.0", server: "unknown", wantWarning: []string{`"unknown" does not parse`, "Kubernetes 1.34.0"}},
		{name: "bad serving version", serving: "one", server: "v1.34.0", wantErr: []string{"is not a Knative version"}},
		{name: "latest is not resolved", serving: "latest", server: "v1.34.0", wantErr: []string{"is not a resolved Knative version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warning, err := CheckKubernetes(tt.serving, tt.server)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("CheckKubernetes(%q, %q): %v", tt.serving, tt.server, err)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("CheckKubernetes(%q, %q) = nil error, want one", tt.serving, tt.server)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				var tooOld *tooOldError
				if errors.As(err, &tooOld) && tooOld.Fits != tt.wantFits {
					t.Errorf("Fits = %q, want %q", tooOld.Fits, tt.wantFits)
				}
			}
			if tt.wantWarning == nil && warning != "" {
				t.Errorf("unexpected warning %q", warning)
			}
			for _, s := range tt.wantWarning {
				if !strings.Contains(warning, s) {
					t.Errorf("warning %q does not contain %q", warning, s)
				}
			}
		})
	}
}

func TestMinimumKubernetes(t *testing.T) {
	for _, tt := range []struct {
		serving, want string
		known         bool
	}{
		{"1.19", "1.32.0", true},
		{"1.20.3", "1.32.0", true},
		{"1.21.0", "1.33.0", true},
		{"1.22.1", "1.34.0", true},
		{"1.23", "1.34.0", true},
		{"1.24.0", "", false},
		{"1.18.0", "", false},
		{"2.19.0", "", false},
	} {
		got, known, err := minimumKubernetes(tt.serving)
		if err != nil || got != tt.want || known != tt.known {
			t.Errorf("MinimumKubernetes(%q) = %q, %v, %v; want %q, %v", tt.serving, got, known, err, tt.want, tt.known)
		}
	}
}
