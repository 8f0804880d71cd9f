package release

import (
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    Spec
		wantStr string
		wantErr string
	}{
		{in: "1.23.2", want: Spec{Kind: kindExact, Major: 1, Minor: 23, Patch: 2}, wantStr: "1.23.2"},
		{in: "1.23.0", want: Spec{Kind: kindExact, Major: 1, Minor: 23}, wantStr: "1.23.0"},
		{in: "1.23", want: Spec{Kind: kindMinor, Major: 1, Minor: 23}, wantStr: "1.23"},
		{in: " 1.9 ", want: Spec{Kind: kindMinor, Major: 1, Minor: 9}, wantStr: "1.9"},
		{in: "v1.23.1", want: Spec{Kind: kindExact, Major: 1, Minor: 23, Patch: 1}, wantStr: "1.23.1"},
		{in: "knative-v1.22.4", want: Spec{Kind: kindExact, Major: 1, Minor: 22, Patch: 4}, wantStr: "1.22.4"},
		{in: "knative-v1.22", want: Spec{Kind: kindMinor, Major: 1, Minor: 22}, wantStr: "1.22"},
		{in: "latest", want: Spec{Kind: kindLatest}, wantStr: "latest"},
		{in: "Latest", want: Spec{Kind: kindLatest}, wantStr: "latest"},
		{in: DefaultServingVersion, want: Spec{Kind: kindMinor, Major: 1, Minor: 23}, wantStr: "1.23"},

		{in: "", wantErr: "is not a Knative version"},
		{in: "1", wantErr: "is not a Knative version"},
		{in: "1.23.x", wantErr: "is not a Knative version"},
		{in: "1.23.2.1", wantErr: "is not a Knative version"},
		{in: "1.23.2-rc.1", wantErr: "is not a Knative version"},
		{in: "01.23", wantErr: "is not a Knative version"},
		{in: "1.023", wantErr: "is not a Knative version"},
		{in: "1.2e", wantErr: "is not a Knative version"},
		{in: "1.23.", wantErr: "is not a Knative version"},
		{in: "vv1.23", wantErr: "is not a Knative version"},
		{in: "v", wantErr: "is not a Knative version"},
		{in: "newest", wantErr: "is not a Knative version"},
		{in: "1.5", want: Spec{Kind: kindMinor, Major: 1, Minor: 5}, wantStr: "1.5"},
		{in: "0.26", wantErr: "releases before 1.0 are not supported"},
		{in: "1.99999999999", wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpec(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseSpec(%q) = %+v, want an error containing %q", tt.in, got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), SpecAccepted) {
					t.Errorf("error %q does not list the accepted forms", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSpec(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseSpec(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.wantStr {
				t.Errorf("String() = %q, want %q", got.String(), tt.wantStr)
			}
		})
	}
}

func TestIngressComponent(t *testing.T) {
	for _, tt := range []struct{ ingress, want, wantErr string }{
		{ingress: "kourier", want: NetKourier},
		{ingress: "istio", want: NetIstio},
		{ingress: "contour", want: NetContour},
		{ingress: "nginx", wantErr: `"nginx" is not an ingress (accepted: kourier, istio, contour)`},
		{ingress: "", wantErr: "is not an ingress"},
	} {
		got, err := IngressComponent(tt.ingress)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("IngressComponent(%q) = %q, %v; want error containing %q", tt.ingress, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("IngressComponent(%q) = %q, %v; want %q", tt.ingress, got, err, tt.want)
		}
		if repo, err := Repo(got); err != nil || repo != "knative/"+tt.want {
			t.Errorf("Repo(%q) = %q, %v", got, repo, err)
		}
	}
	if _, err := Repo("eventing"); err == nil {
		t.Error("Repo(eventing): want an error")
	}
}
