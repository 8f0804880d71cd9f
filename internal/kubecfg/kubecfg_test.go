package kubecfg

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const keyPEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFakeKeyLineOneAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAoAoGCCqGSM49\nAwEHoUQDQgAEFakeKeyLineTwoBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\n-----END EC PRIVATE KEY-----\n"

func TestSecretsCoverEveryCredentialForm(t *testing.T) {
	cfg := clientcmdapi.NewConfig()
	cfg.AuthInfos["token"] = &clientcmdapi.AuthInfo{Token: "tok-123456"}
	cfg.AuthInfos["basic"] = &clientcmdapi.AuthInfo{Username: "admin", Password: "pa55word"}
	cfg.AuthInfos["cert"] = &clientcmdapi.AuthInfo{ClientCertificateData: []byte("PUBLIC CERT"), ClientKeyData: []byte(keyPEM)}
	cfg.AuthInfos["oidc"] = &clientcmdapi.AuthInfo{AuthProvider: &clientcmdapi.AuthProviderConfig{
		Name:   "oidc",
		Config: map[string]string{"client-id": "public-client-id", "id-token": "eyJ.id.token", "refresh-token": "refresh-456"},
	}}
	cfg.AuthInfos["exec"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		Command: "get-token",
		Env:     []clientcmdapi.ExecEnvVar{{Name: "REGION", Value: "eu-west-1"}, {Name: "API_SECRET", Value: "s3cr3t-value"}},
	}}

	cfg.Clusters["basic-in-url"] = &clientcmdapi.Cluster{Server: "https://kube:s3rver-pw@10.0.0.1:6443", ProxyURL: "http://proxy-user:pr0xy%40pw@proxy:3128"}
	cfg.Contexts["basic-in-url"] = &clientcmdapi.Context{Cluster: "basic-in-url"}

	got := credentialsIn(cfg)
	for _, want := range []string{
		"tok-123456", "pa55word", "eyJ.id.token", "refresh-456", "s3cr3t-value",
		"s3rver-pw", "proxy-user", "pr0xy%40pw", "pr0xy@pw",
		base64.StdEncoding.EncodeToString([]byte(keyPEM)),
		"MHcCAQEEIFakeKeyLineOneAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAoAoGCCqGSM49",
		"AwEHoUQDQgAEFakeKeyLineTwoBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("secret %q is not listed for masking", want)
		}
	}
	for _, notSecret := range []string{"admin", "public-client-id", "eu-west-1", "-----BEGIN EC PRIVATE KEY-----"} {
		if slices.Contains(got, notSecret) {
			t.Errorf("%q is listed as a secret; masking it would garble the log", notSecret)
		}
	}
	src := &Source{Config: cfg}
	if got := src.Server("basic-in-url"); got != "https://***@10.0.0.1:6443" {
		t.Errorf("Server = %q, want the user information hidden", got)
	}
}

func TestResolveContext(t *testing.T) {
	one := clientcmdapi.NewConfig()
	one.Contexts["only"] = &clientcmdapi.Context{}
	two := clientcmdapi.NewConfig()
	two.Contexts["a"] = &clientcmdapi.Context{}
	two.Contexts["b"] = &clientcmdapi.Context{}
	dangling := clientcmdapi.NewConfig()
	dangling.Contexts["a"] = &clientcmdapi.Context{}
	dangling.CurrentContext = "gone"

	tests := []struct {
		name    string
		cfg     *clientcmdapi.Config
		ask     string
		want    string
		wantErr string
	}{
		{"the only context", one, "", "only", ""},
		{"asked for", two, "b", "b", ""},
		{"no current-context among several", two, "", "", "no current-context: choose one of a, b"},
		{"missing", two, "c", "", `context "c" is not in the kubeconfig (contexts: a, b)`},
		{"dangling current-context", dangling, "", "", `current-context "gone" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&Source{Config: tt.cfg}).ResolveContext(tt.ask)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestRESTConfigNeedsAServer(t *testing.T) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "tok-123456"}
	cfg.Contexts["x"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	_, err := (&Source{Config: cfg}).RESTConfig("x")
	if err == nil || !strings.Contains(err.Error(), `context "x" of the kubeconfig cannot be used`) {
		t.Fatalf("got %v, want an error naming the context", err)
	}
}

// Content that cannot be read as a kubeconfig is never echoed, and the
// URL-safe base64 alphabet is read too.
func TestLoadUnreadableContentIsNotEchoed(t *testing.T) {
	yaml := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: https://h:6443}\nusers:\n- name: u\n  user: {token: tok-secret-value-123}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
	src, err := Load(base64.URLEncoding.EncodeToString([]byte(yaml+"# ??>>\n")), nil, nil)
	if err != nil || src.Origin != "inline base64 content" {
		t.Fatalf("URL-safe base64: %v", err)
	}
	junk := strings.Repeat("bm90LWEta3ViZWNvbmZpZw", 80) // base64 of something else, too long for a path
	_, err = Load(junk, nil, nil)
	if err == nil || strings.Contains(err.Error(), junk[:40]) {
		t.Fatalf("got %v, want an error that does not echo the value", err)
	}
}
