package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/input"
)

// hostWS is the workspace as the runner's host sees it; the tests' container
// workspace (GITHUB_WORKSPACE) is a t.TempDir.
const hostWS = "/home/runner/work/app/app"

// workspace is a fake container workspace holding files, by path relative
// to it.
func workspace(t *testing.T, files map[string]string) string {
	t.Helper()
	ws := t.TempDir()
	for name, content := range files {
		p := filepath.Join(ws, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

// parseInAction parses inputs (by name) and env as a container action sees
// them: GITHUB_ACTIONS=true, GITHUB_WORKSPACE=ws and host-workspace as
// action.yml's default ${{ toJSON(github.workspace) }} gives it.
func parseInAction(ws string, inputs, extraEnv map[string]string) (*Config, error) {
	e := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws, "HOME": ws, "INPUT_HOST-WORKSPACE": `"` + hostWS + `"`}
	for k, v := range inputs {
		e["INPUT_"+strings.ToUpper(k)] = v
	}
	for k, v := range extraEnv {
		e[k] = v
	}
	return Parse(input.FromAction(Inputs, env(e)), input.ActionStyle, env(e))
}

// kubeconfigOf is a kubeconfig with one context, name, whose cluster and
// user carry extra lines.
func kubeconfigOf(name, cluster, user string) string {
	return "apiVersion: v1\nkind: Config\ncurrent-context: " + name + "\n" +
		"clusters:\n- name: " + name + "\n  cluster:\n    server: https://127.0.0.1:6443\n" + cluster +
		"users:\n- name: " + name + "\n  user:\n" + user +
		"contexts:\n- name: " + name + "\n  context: {cluster: " + name + ", user: " + name + "}\n"
}

// KUBECONFIG as google-github-actions/get-gke-credentials or a user leaves
// it: the runner rewrote the first file's host path (at the start of the
// value), not the second's.
func TestHostPathsInKUBECONFIGList(t *testing.T) {
	ws := workspace(t, map[string]string{
		"a.yaml":     kubeconfigOf("a", "", "    token: tok-aaaaaaaa\n"),
		"sub/b.yaml": kubeconfigOf("b", "", "    token: tok-bbbbbbbb\n"),
	})
	list := filepath.Join(ws, "a.yaml") + ":" + hostWS + "/sub/b.yaml"
	cfg, err := parseInAction(ws, map[string]string{"cluster": "kubeconfig", "context": "b"}, map[string]string{"KUBECONFIG": list})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := cfg.Kubeconfig.Source.Contexts(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("contexts %v: the second file of KUBECONFIG, a host path, was not read from the workspace", got)
	}
	if !slices.Contains(cfg.Secrets(), "tok-bbbbbbbb") {
		t.Error("the token of the mapped file is not masked")
	}
}

func TestHostPathOfKubeconfigInput(t *testing.T) {
	ws := workspace(t, map[string]string{"ci/kubeconfig": kubeconfigOf("ci", "", "    token: tok-cccccccc\n")})
	cfg, err := parseInAction(ws, map[string]string{"cluster": "kubeconfig", "kubeconfig": hostWS + "/ci/kubeconfig"}, nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if want := filepath.Join(ws, "ci/kubeconfig"); cfg.Kubeconfig.Source.Origin != want {
		t.Errorf("kubeconfig read from %q, want %q", cfg.Kubeconfig.Source.Origin, want)
	}
}

// The runner never rewrites file content: the certificate-authority,
// client-certificate, client-key and tokenFile paths inside a kubeconfig
// written by an earlier step are the host's, and are read from the
// workspace.
func TestHostPathsInsideKubeconfig(t *testing.T) {
	certs := kubeconfigOf("certs",
		"    certificate-authority: "+hostWS+"/pki/ca.crt\n",
		"    client-certificate: "+hostWS+"/pki/client.crt\n    client-key: "+hostWS+"/pki/client.key\n")
	ws := workspace(t, map[string]string{
		"kubeconfig":      certs,
		"pki/ca.crt":      "CA",
		"pki/client.crt":  "CERT",
		"pki/client.key":  "KEY",
		"pki/token":       "tok-from-file",
		"token/kubeconfi": kubeconfigOf("token", "", "    tokenFile: "+hostWS+"/pki/token\n"),
	})
	for _, tc := range []struct {
		name, kubeconfig string
	}{{"file", hostWS + "/kubeconfig"}, {"content", certs}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseInAction(ws, map[string]string{"cluster": "kubeconfig", "kubeconfig": tc.kubeconfig}, nil)
			if err != nil {
				t.Fatalf("Parse (clientcmd opens the files a context names): %v", err)
			}
			rc, err := cfg.Kubeconfig.Source.RESTConfig("certs")
			if err != nil {
				t.Fatal(err)
			}
			for what, got := range map[string]string{"ca.crt": rc.CAFile, "client.crt": rc.CertFile, "client.key": rc.KeyFile} {
				if want := filepath.Join(ws, "pki", what); got != want {
					t.Errorf("%s is read from %q, want %q", what, got, want)
				}
			}
		})
	}
	cfg, err := parseInAction(ws, map[string]string{"cluster": "kubeconfig", "kubeconfig": hostWS + "/token/kubeconfi"}, nil)
	if err != nil {
		t.Fatalf("Parse with a tokenFile: %v", err)
	}
	rc, err := cfg.Kubeconfig.Source.RESTConfig("token")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(ws, "pki/token"); rc.BearerTokenFile != want || rc.BearerToken != "tok-from-file" {
		t.Errorf("tokenFile is read from %q (token %t), want %q", rc.BearerTokenFile, rc.BearerToken != "", want)
	}
}

func TestHostPathOfKindConfig(t *testing.T) {
	ws := workspace(t, map[string]string{"ci/kind.yaml": "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking: {disableDefaultCNI: false}\n"})
	cfg, err := parseInAction(ws, map[string]string{"cluster": "kind", "kind-config": hostWS + "/ci/kind.yaml"}, nil)
	if err != nil {
		t.Fatalf("Parse (it reads the kind-config file): %v", err)
	}
	if want := filepath.Join(ws, "ci/kind.yaml"); cfg.Kind.KindConfig != want {
		t.Errorf("kind-config is %q, want %q", cfg.Kind.KindConfig, want)
	}
}

func TestHostPathOfManifestsFolder(t *testing.T) {
	ws := workspace(t, map[string]string{"mirror/serving/1.23.0/serving-core.yaml": "# manifests\n"})
	cfg, err := parseInAction(ws, map[string]string{"manifests-url": hostWS + "/mirror"}, nil)
	if err != nil {
		t.Fatalf("Parse (it checks the folder exists): %v", err)
	}
	want := filepath.Join(ws, "mirror")
	if cfg.Install.Fetcher.Source != want || cfg.Install.Resolver.Folder != want {
		t.Errorf("manifests are fetched from %q (versions from %q), want %q", cfg.Install.Fetcher.Source, cfg.Install.Resolver.Folder, want)
	}
}

// google-github-actions/auth writes its credentials file into the workspace
// and exports its host path.
func TestHostPathOfGoogleCredentials(t *testing.T) {
	ws := workspace(t, map[string]string{"gha-creds-1.json": `{"type":"service_account","project_id":"key-project","client_email":"sa@key-project.iam.gserviceaccount.com"}`})
	cfg, err := parseInAction(ws, map[string]string{"cluster": "gke", "gke-location": "europe-west1-b"},
		map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": hostWS + "/gha-creds-1.json"})
	if err != nil {
		t.Fatalf("Parse (gke-project is unset: it comes from the credentials file's project_id): %v", err)
	}
	if got, want := cfg.GKE.Getenv("GOOGLE_APPLICATION_CREDENTIALS"), filepath.Join(ws, "gha-creds-1.json"); got != want {
		t.Errorf("the run reads credentials from %q, want %q", got, want)
	}
}

// Paths outside the host workspace are left alone, and the CLI (flags, or
// no GITHUB_ACTIONS) maps nothing: the host path stays what it says.
func TestPathsLeftAlone(t *testing.T) {
	ws := workspace(t, map[string]string{"kind.yaml": "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"})
	outside := filepath.Join(ws, "kind.yaml") // not under hostWS
	cfg, err := parseInAction(ws, map[string]string{"cluster": "kind", "kind-config": outside}, nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cfg.Kind.KindConfig != outside {
		t.Errorf("a path outside the host workspace became %q", cfg.Kind.KindConfig)
	}
	// Beside the host workspace: not mapped, and so outside the
	// container's workspace, which a container action refuses to read.
	_, err = parseInAction(ws, map[string]string{"cluster": "kind", "kind-config": "/home/runner/work/app/other/kind.yaml"}, nil)
	if err == nil || !strings.Contains(err.Error(), `"/home/runner/work/app/other/kind.yaml" is outside the workspace`) {
		t.Errorf("a path beside the host workspace was mapped or read: %v", err)
	}

	hostPath := hostWS + "/kind.yaml"
	cliEnv := env(map[string]string{"GITHUB_WORKSPACE": ws, "GITHUB_ACTIONS": "true"})
	raw := input.Values{"cluster": "kind", "kind-config": hostPath, "host-workspace": hostWS}
	cfg, err = Parse(raw, input.FlagStyle, cliEnv)
	if err == nil || cfg.Kind.KindConfig != hostPath || !strings.Contains(err.Error(), hostPath) {
		t.Errorf("the CLI mapped %q to %q (%v)", hostPath, cfg.Kind.KindConfig, err)
	}
	notActions := env(map[string]string{"GITHUB_WORKSPACE": ws, "INPUT_HOST-WORKSPACE": hostWS, "INPUT_KIND-CONFIG": hostPath})
	cfg, err = Parse(input.FromAction(Inputs, notActions), input.ActionStyle, notActions)
	if err == nil || cfg.Kind.KindConfig != hostPath {
		t.Errorf("without GITHUB_ACTIONS=true %q was mapped to %q (%v)", hostPath, cfg.Kind.KindConfig, err)
	}
}
