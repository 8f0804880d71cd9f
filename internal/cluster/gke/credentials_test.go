package gke

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke/gketest"
	"github.com/knative-preview/action/internal/log"
)

const testAccount = "deployer@key-project.iam.gserviceaccount.com"

// TestCredentialsFiles loads the credentials files google-github-actions/auth
// writes, against fake token endpoints that issue a new short-lived token
// each time, and checks that the Container API and the cluster's API server
// get fresh tokens that never show in the output.
func TestCredentialsFiles(t *testing.T) {
	tests := []struct {
		name    string
		file    func(t *testing.T, ts *gketest.TokenServer, dir string) string
		env     map[string]string
		project string
		// wantMember is the IAM member fixes name.
		wantMember string
	}{
		{
			name: "service account key, project from its project_id",
			file: func(t *testing.T, ts *gketest.TokenServer, dir string) string {
				return ts.ServiceAccountKeyFile(t, dir, "key-project", testAccount)
			},
			project:    "key-project",
			wantMember: "serviceAccount:" + testAccount,
		},
		{
			name: "Workload Identity Federation impersonating a service account",
			file: func(t *testing.T, ts *gketest.TokenServer, dir string) string {
				return ts.ExternalAccountFile(t, dir, testAccount)
			},
			env:        map[string]string{"GOOGLE_CLOUD_PROJECT": testProject},
			project:    testProject,
			wantMember: "serviceAccount:" + testAccount,
		},
		{
			name: "Workload Identity Federation, direct",
			file: func(t *testing.T, ts *gketest.TokenServer, dir string) string {
				return ts.ExternalAccountFile(t, dir, "")
			},
			env:     map[string]string{"CLOUDSDK_CORE_PROJECT": testProject},
			project: testProject,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := gketest.NewTokenServer(t)
			ts.ExpiresIn = 1 // every request needs a new token
			e := newEnvAccepting(t, ts.Valid)
			path := tt.file(t, ts, t.TempDir())
			env := map[string]string{credentialsEnv: path}
			for k, v := range tt.env {
				env[k] = v
			}
			o := e.options()
			o.Project, o.TokenSource, o.Getenv, o.ReadFile = "", nil, fakeEnv(env), os.ReadFile
			e.api.AddCluster(tt.project, testZone, e.running())

			target := New(o, e.logger())
			plan := strings.Join(target.Plan(), "\n")
			cl, err := target.Connect(context.Background())
			if err != nil {
				t.Fatalf("Connect: %v\ntoken server problems: %q", err, ts.Problems())
			}
			if p := ts.Problems(); len(p) > 0 {
				t.Errorf("token server problems: %q", p)
			}
			if cl.Context != contextName(tt.project, testZone, testName) {
				t.Errorf("context %q", cl.Context)
			}
			// A later stage's request through the same rest.Config carries
			// a newer token: the transport refreshes, the config holds none.
			if _, err := cluster.ServerVersion(context.Background(), cl.REST, time.Second, log.Func(e.progress)); err != nil {
				t.Fatal(err)
			}
			if toks := e.kube.Tokens(); len(toks) != 2 || toks[0] == toks[1] {
				t.Errorf("the API server got tokens %q, want two different ones", toks)
			}
			seen := map[string]bool{}
			for _, r := range e.api.Requests() {
				tok, ok := strings.CutPrefix(r.Authorization, "Bearer ")
				if !ok || !ts.Valid(tok) {
					t.Errorf("%s %s sent Authorization %q, want a bearer token the token server issued", r.Method, r.Path, r.Authorization)
				}
				seen[tok] = true
			}
			for _, tok := range e.kube.Tokens() {
				if !ts.Valid(tok) {
					t.Errorf("the API server got token %q, not one the token server issued", tok)
				}
				seen[tok] = true
			}
			if len(seen) < 3 {
				t.Errorf("the APIs saw %d distinct tokens, want a refreshed token per request", len(seen))
			}
			if tt.wantMember != "" && target.creds.member != tt.wantMember {
				t.Errorf("IAM member %q, want %q", target.creds.member, tt.wantMember)
			}
			secrets := append(ts.Issued(), gketest.RequestToken, gketest.OIDCToken, "PRIVATE KEY")
			assertNoSecret(t, secrets, e.log(), plan, target.State().Encode())
		})
	}
}

func TestCredentialsProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		file    func(t *testing.T, ts *gketest.TokenServer) string
		setup   func(e *env, ts *gketest.TokenServer)
		wantErr []string
		// wantCalls is how many Container API calls are made.
		wantCalls int
	}{
		{
			name:    "no credentials file where the variable points",
			file:    func(*testing.T, *gketest.TokenServer) string { return filepath.Join(dir, "gha-creds-missing.json") },
			wantErr: []string{"reading the Google credentials file GOOGLE_APPLICATION_CREDENTIALS=", "gha-creds-missing.json", "Run google-github-actions/auth earlier in this job"},
		},
		{
			name:    "not JSON",
			file:    func(*testing.T, *gketest.TokenServer) string { return write("bad.json", "not json") },
			wantErr: []string{"is not JSON"},
		},
		{
			name: "a type this action does not load",
			file: func(*testing.T, *gketest.TokenServer) string {
				return write("gdch.json", `{"type":"gdch_service_account"}`)
			},
			wantErr: []string{`has type "gdch_service_account", which this action does not load (accepted: service_account, external_account`},
		},
		{
			name: "a key the token endpoint rejects",
			file: func(t *testing.T, ts *gketest.TokenServer) string {
				ts.Reject = true
				return ts.ServiceAccountKeyFile(t, t.TempDir(), testProject, testAccount)
			},
			wantErr: []string{"getting a Google access token with the service account key of " + testAccount, "invalid_grant", "deleted or disabled"},
		},
		{
			name: "Workload Identity Federation the token endpoint rejects",
			file: func(t *testing.T, ts *gketest.TokenServer) string {
				ts.Reject = true
				return ts.ExternalAccountFile(t, t.TempDir(), testAccount)
			},
			wantErr: []string{"getting a Google access token with Workload Identity Federation as " + testAccount, "id-token: write"},
		},
		{
			name: "permission denied names the service account to grant the role to",
			file: func(t *testing.T, ts *gketest.TokenServer) string {
				return ts.ServiceAccountKeyFile(t, t.TempDir(), testProject, testAccount)
			},
			setup: func(e *env, ts *gketest.TokenServer) {
				e.api.Fail(gketest.ClustersGet, gketest.Failure{Code: 403, Status: "PERMISSION_DENIED", Message: deniedMessage})
			},
			wantErr:   []string{"Grant " + testAccount + " the role roles/container.admin", "--member=serviceAccount:" + testAccount + " --role=roles/container.admin"},
			wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := gketest.NewTokenServer(t)
			e := newEnvAccepting(t, ts.Valid)
			path := tt.file(t, ts)
			if tt.setup != nil {
				tt.setup(e, ts)
			}
			o := e.options()
			o.TokenSource, o.Getenv, o.ReadFile = nil, fakeEnv(map[string]string{credentialsEnv: path}), os.ReadFile
			_, err := New(o, e.logger()).Connect(context.Background())
			if err == nil {
				t.Fatal("Connect succeeded")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if got := len(e.api.Requests()); got != tt.wantCalls {
				t.Errorf("%d Container API requests, want %d", got, tt.wantCalls)
			}
			secrets := append(ts.Issued(), gketest.RequestToken, gketest.OIDCToken, "PRIVATE KEY")
			assertNoSecret(t, secrets, e.log(), err.Error())
		})
	}
}
