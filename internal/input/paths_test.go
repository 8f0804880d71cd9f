package input

import "testing"

const (
	testHost      = "/home/runner/work/app/app"
	testContainer = "/github/workspace"
)

func actionEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var inActions = actionEnv(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": testContainer})

// A path under the host workspace is mapped to the container's, whichever
// form the runner's default gives (quoted by toJSON, or plain); others are
// left alone, and mapping twice is mapping once.
func TestPathMapsTheHostWorkspace(t *testing.T) {
	for _, host := range []string{`"` + testHost + `"`, testHost, testHost + "/"} {
		r := NewReader(nil, Values{hostWorkspace: host}, ActionStyle, inActions)
		if got := r.HostWorkspace(); got != testHost {
			t.Errorf("host-workspace %s: HostWorkspace() = %q, want %q", host, got, testHost)
		}
		for in, want := range map[string]string{
			testHost + "/kubeconfig":          testContainer + "/kubeconfig",
			testHost:                          testContainer,
			"//home/runner/work/app/app/a/b":  testContainer + "/a/b",
			testHost + "/./x/../kubeconfig":   testContainer + "/kubeconfig",
			testContainer + "/kubeconfig":     testContainer + "/kubeconfig",
			testHost + "-other/kubeconfig":    testHost + "-other/kubeconfig",
			"/home/runner/work/_temp/kc":      "/home/runner/work/_temp/kc",
			"/etc/kubernetes/admin.conf":      "/etc/kubernetes/admin.conf",
			"kubeconfig":                      "kubeconfig",
			"":                                "",
			"https://mirror.example/knative/": "https://mirror.example/knative/",
		} {
			got := r.Path(in)
			if got != want {
				t.Errorf("host-workspace %s: Path(%q) = %q, want %q", host, in, got, want)
			}
			if again := r.Path(got); again != got {
				t.Errorf("host-workspace %s: Path(Path(%q)) = %q, not idempotent", host, in, again)
			}
		}
	}
}

// The CLI (flags), a run outside Actions, a missing GITHUB_WORKSPACE or
// host-workspace, and a host workspace the runner already rewrote map
// nothing.
func TestPathMapsNothingOutsideAContainerAction(t *testing.T) {
	p := testHost + "/kubeconfig"
	for name, r := range map[string]*Reader{
		"flags":                 NewReader(nil, Values{hostWorkspace: testHost}, FlagStyle, inActions),
		"not in Actions":        NewReader(nil, Values{hostWorkspace: testHost}, ActionStyle, actionEnv(map[string]string{"GITHUB_WORKSPACE": testContainer})),
		"no GITHUB_WORKSPACE":   NewReader(nil, Values{hostWorkspace: testHost}, ActionStyle, actionEnv(map[string]string{"GITHUB_ACTIONS": "true"})),
		"no host-workspace":     NewReader(nil, Values{}, ActionStyle, inActions),
		"rewritten by runner":   NewReader(nil, Values{hostWorkspace: testContainer}, ActionStyle, inActions),
		"bad JSON":              NewReader(nil, Values{hostWorkspace: `"` + testHost}, ActionStyle, inActions),
		"relative":              NewReader(nil, Values{hostWorkspace: "work/app"}, ActionStyle, inActions),
		"no environment at all": NewReader(nil, Values{hostWorkspace: testHost}, ActionStyle, nil),
	} {
		if got := r.Path(p); got != p {
			t.Errorf("%s: Path(%q) = %q, want it unchanged", name, p, got)
		}
		if got := r.HostWorkspace(); got != "" {
			t.Errorf("%s: HostWorkspace() = %q, want none", name, got)
		}
	}
}
