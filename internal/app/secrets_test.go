package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sentinel stands for a secret in every shape below; it must show nowhere
// the runner or a later step can read, except in the ::add-mask:: command
// that tells the runner to hide it.
const sentinel = "s3ntinel-0f9e8d7c6b5a"

// Every input that carries or may carry a secret, in well-formed and
// malformed shapes: the secret reaches neither the log (stdout, stderr)
// nor GITHUB_OUTPUT, the job summary, the state file or the run's report.
func TestNoSecretLeavesTheStep(t *testing.T) {
	kcYAML := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: %q}\nusers:\n- name: u\n  user: {token: %q}\ncontexts:\n- name: dev\n  context: {cluster: c, user: u}\ncurrent-context: dev\n", closedPort(t), sentinel)
	// The other inputs' cases reach the cluster through a kubeconfig whose
	// token is not the sentinel: masking that token must not hide them.
	kcOther := strings.Replace(kcYAML, sentinel, "not-the-sentinel-token", 1)
	b64 := base64.StdEncoding.EncodeToString([]byte(kcYAML))
	twice := base64.StdEncoding.EncodeToString([]byte(b64))
	brokenYAML := strings.Replace(kcYAML, "contexts:", "contexts: [ :", 1)
	gkeCreds := func(content string) string {
		p := filepath.Join(t.TempDir(), "gha-creds.json")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	kubeconfig := map[string]string{"INPUT_CLUSTER": "kubeconfig", "INPUT_TIMEOUT": "3s"}
	tests := []struct {
		name   string
		inputs map[string]string
		// reached is what the run says when it took the path the case is
		// about: a case whose run stopped elsewhere proves nothing.
		reached string
	}{
		{"kubeconfig YAML, cluster unreachable", with(kubeconfig, "INPUT_KUBECONFIG", kcYAML), "stopped waiting for the API server"},
		{"kubeconfig base64, cluster unreachable", with(kubeconfig, "INPUT_KUBECONFIG", b64), "stopped waiting for the API server"},
		{"kubeconfig base64 cut short", with(kubeconfig, "INPUT_KUBECONFIG", b64[:len(b64)/2]), "input \"kubeconfig\": inline base64 content is not a valid kubeconfig"},
		{"kubeconfig base64 encoded twice", with(kubeconfig, "INPUT_KUBECONFIG", twice), "input \"kubeconfig\": the value ("},
		{"kubeconfig base64 of broken YAML", with(kubeconfig, "INPUT_KUBECONFIG", base64.StdEncoding.EncodeToString([]byte(brokenYAML))), "input \"kubeconfig\": inline base64 content is not a valid kubeconfig"},
		{"kubeconfig broken YAML", with(kubeconfig, "INPUT_KUBECONFIG", brokenYAML), "input \"kubeconfig\": inline content is not a valid kubeconfig"},
		{"kubeconfig token given as the value", with(kubeconfig, "INPUT_KUBECONFIG", sentinel), "it is not shown, as it may be a credential"},
		{"kubeconfig token with a slash given as the value", with(kubeconfig, "INPUT_KUBECONFIG", "wJalrXUtnFEMI/K7MDENG/"+sentinel), "it is not shown, as it may be a credential"},
		{"secret-env well formed, dry run", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "API_KEY="+sentinel, "INPUT_IMAGE", "ghcr.io/o/app:v1", "INPUT_SERVICE", "app", "INPUT_DRY-RUN", "true"), "Plan (dry run"},
		{"secret-env YAML style", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "API_KEY: "+sentinel+"=x"), "has a ':' before its '='"},
		{"secret-env unterminated quote", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", `API_KEY="`+sentinel), "the value of API_KEY starts with"},
		{"secret-env a pasted key, split at its padding", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "sk_live+"+sentinel+"/x=="), "the text before '=' is not a variable name"},
		{"secret-env a bare token ending in '='", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", sentinel+"="), "line 1: has an empty value: a secret needs one"},
		{"secret-env bad name", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "1API="+sentinel), "the text before '=' is not a variable name"},
		{"secret-env reserved name", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "PORT="+sentinel), "PORT is set by Knative"},
		{"secret-env set twice", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "A="+sentinel+"\nA="+sentinel), "A is set again"},
		{"secret-env also in env", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_SECRET-ENV", "A="+sentinel, "INPUT_ENV", "A=plain"), "A is also set by input env"},
		{"github-token well formed, dry run", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_GITHUB-TOKEN", sentinel, "INPUT_DRY-RUN", "true"), "Plan (dry run"},
		{"github-token with a new line", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_GITHUB-TOKEN", sentinel+"\n::warning::x"), "input \"github-token\": has a control character"},
		{"registry-password well formed, dry run", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_REGISTRY-USERNAME", "bot", "INPUT_REGISTRY-PASSWORD", sentinel, "INPUT_IMAGE", "registry.example/o/app:v1", "INPUT_SERVICE", "app", "INPUT_DRY-RUN", "true"), "Plan (dry run"},
		{"registry-password without a username", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_REGISTRY-PASSWORD", sentinel, "INPUT_IMAGE", "registry.example/o/app:v1", "INPUT_SERVICE", "app"), "registry-username is not"},
		{"registry-password, cluster unreachable", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_REGISTRY-USERNAME", "bot", "INPUT_REGISTRY-PASSWORD", sentinel, "INPUT_IMAGE", "registry.example/o/app:v1", "INPUT_SERVICE", "app"), "stopped waiting for the API server"},
		{"manifests-url credentials, dry run", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_MANIFESTS-URL", "https://bob:"+sentinel+"@mirror.example/knative", "INPUT_DRY-RUN", "true"), "Plan (dry run"},
		{"manifests-url credentials, unparsable", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_MANIFESTS-URL", "https://bob:"+sentinel+"@bad host/knative"), "is not a valid URL"},
		{"manifests-url credentials, wrong scheme", with(with(kubeconfig, "INPUT_KUBECONFIG", kcOther), "INPUT_MANIFESTS-URL", "ftp://bob:"+sentinel+"@mirror.example/knative"), "only http and https are supported"},
		{"gke credentials file, dry run", with(map[string]string{"INPUT_CLUSTER": "gke", "INPUT_GKE-PROJECT": "my-project", "INPUT_GKE-LOCATION": "us-central1", "INPUT_DRY-RUN": "true"}, "GOOGLE_APPLICATION_CREDENTIALS", gkeCreds(`{"type":"service_account","project_id":"my-project","private_key":"`+sentinel+`"}`)), "Plan (dry run"},
		{"gke credentials file, not JSON", with(map[string]string{"INPUT_CLUSTER": "gke", "INPUT_GKE-PROJECT": "my-project", "INPUT_GKE-LOCATION": "us-central1", "INPUT_TIMEOUT": "5s"}, "GOOGLE_APPLICATION_CREDENTIALS", gkeCreds(`{"type":"service_account","private_key":"`+sentinel)), "is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{
				"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
				"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
				"GITHUB_STATE":        filepath.Join(dir, "state"),
			}
			env := with(tt.inputs, "GITHUB_ACTIONS", "true", "GITHUB_WORKSPACE", dir, "GITHUB_REPOSITORY", "octo/app")
			for k, v := range files {
				env[k] = v
			}
			r := runMain(context.Background(), nil, env)
			places := map[string]string{
				"stdout": withoutMaskCommands(r.stdout),
				"stderr": r.stderr,
			}
			files["the report"] = filepath.Join(dir, ".knative-preview", "report.json")
			for k, p := range files {
				b, _ := os.ReadFile(p)
				places[k] = string(b)
			}
			for where, text := range places {
				if strings.Contains(text, sentinel) {
					t.Errorf("the secret shows in %s:\n%s", where, text)
				}
			}
			if t.Failed() || os.Getenv("SECRETS_LOG") != "" {
				t.Logf("exit %d; stdout:\n%s", r.code, r.stdout)
			}
		})
	}
}

// with returns a copy of m with the key-value pairs kv added.
func with(m map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// withoutMaskCommands drops the ::add-mask:: lines from a step's log: the
// runner takes them as commands and never shows them (their extension
// omits the echo: AddMaskCommandExtension.OmitEcho in actions/runner's
// src/Runner.Worker/ActionCommandManager.cs).
func withoutMaskCommands(log string) string {
	var kept []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}
