package gke

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	container "google.golang.org/api/container/v1"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke/gketest"
	"github.com/knative-preview/action/internal/log"
)

const (
	disabledMessage = "Kubernetes Engine API has not been used in project 123456789 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/container.googleapis.com/overview?project=123456789 then retry."
	deniedMessage   = `Required "container.clusters.get" permission(s) for "projects/my-project/locations/us-central1-a/clusters/knative".`
	quotaMessage    = `Insufficient regional quota to satisfy request: resource "CPUS": request requires '12.0' and is short '4.0'. project has a quota of '8.0' with '8.0' available.`
)

func TestConnect(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env, o *Options)
		// wantErr are parts of the error; none means success.
		wantErr []string
		// notInErr must not be in the error.
		notInErr    []string
		wantLog     []string
		wantCreated bool
		wantCalls   map[string]int
		check       func(t *testing.T, e *env, cl *cluster.Cluster)
	}{
		{
			name:      "reuses a RUNNING cluster",
			setup:     func(e *env, o *Options) { e.api.AddCluster(testProject, testZone, e.running()) },
			wantLog:   []string{`reusing GKE cluster "knative" (project my-project, zone us-central1-a): status RUNNING`},
			wantCalls: map[string]int{gketest.ClustersGet: 1, gketest.ClustersCreate: 0, gketest.ClustersDelete: 0},
			check: func(t *testing.T, e *env, cl *cluster.Cluster) {
				if cl.Name != testName || cl.Context != testContext {
					t.Errorf("name %q, context %q", cl.Name, cl.Context)
				}
				if cl.REST.Host != "https://"+e.kube.Endpoint {
					t.Errorf("host %q, want https://%s", cl.REST.Host, e.kube.Endpoint)
				}
				if !bytes.Equal(cl.REST.CAData, e.kube.CAPEM) {
					t.Errorf("CAData is not the decoded clusterCaCertificate:\n%s", cl.REST.CAData)
				}
				if cl.REST.BearerToken != "" || cl.REST.BearerTokenFile != "" || cl.REST.WrapTransport == nil {
					t.Error("the rest.Config carries a static token instead of a token transport")
				}
				if cl.Version.GitVersion != "v1.34.3-gke.1000" {
					t.Errorf("version %q", cl.Version.GitVersion)
				}
				if cl.Domain != "" {
					t.Errorf("domain %q, want empty (the install stage picks it)", cl.Domain)
				}
				if toks := e.kube.Tokens(); len(toks) == 0 || toks[0] != testToken {
					t.Errorf("the API server saw tokens %q, want the credentials' token", toks)
				}
				for _, r := range e.api.Requests() {
					if r.Authorization != "Bearer "+testToken {
						t.Errorf("%s %s sent Authorization %q", r.Method, r.Path, r.Authorization)
					}
				}
			},
		},
		{
			name: "creates a missing cluster, polling the operation PENDING, RUNNING, DONE",
			setup: func(e *env, o *Options) {
				e.api.OpSteps = []string{"PENDING", "PENDING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "DONE"}
				o.MachineType, o.Nodes, o.Spot = "e2-standard-8", 2, true
				o.ReleaseChannel, o.KubernetesVersion = "rapid", "1.34"
			},
			wantCreated: true,
			wantCalls:   map[string]int{gketest.ClustersCreate: 1, gketest.OperationsGet: 8, gketest.ClustersDelete: 0},
			wantLog: []string{
				`creating GKE cluster "knative" (project my-project, zone us-central1-a): 2 e2-standard-8 spot VM nodes, release channel rapid, Kubernetes version 1.34`,
				`waiting up to 30m0s for GKE to create cluster "knative" (operation operation-1-fake)`,
				`(operation operation-1-fake): PENDING, 0s elapsed`,
				`(operation operation-1-fake): RUNNING, 10s elapsed`,
				`(operation operation-1-fake): RUNNING, 25s elapsed`,
				`waited 35s for GKE to create cluster "knative" (operation operation-1-fake): DONE`,
			},
			check: func(t *testing.T, e *env, cl *cluster.Cluster) {
				req := e.api.CreateRequest()
				if req == nil {
					t.Fatal("no create request")
				}
				c := req.Cluster
				np := c.NodePools[0]
				if c.Name != testName || np.InitialNodeCount != 2 || np.Config.MachineType != "e2-standard-8" || !np.Config.Spot ||
					c.ReleaseChannel == nil || c.ReleaseChannel.Channel != "RAPID" || c.InitialClusterVersion != "1.34" {
					t.Errorf("create request %+v, node pool %+v %+v", c, np, np.Config)
				}
				if !cl.Created || cl.Version.GitVersion != "v1.34.3-gke.1000" {
					t.Errorf("created %v, version %s", cl.Created, cl.Version.GitVersion)
				}
				if cl.Ephemeral() {
					t.Errorf("a cluster kept after the job (delete-cluster: never) is ephemeral: %s", cl.EphemeralWhy)
				}
			},
		},
		{
			name:        "creates a cluster that the post step deletes: ephemeral",
			setup:       func(e *env, o *Options) { o.DeleteCluster = deleteOnExit },
			wantCreated: true,
			check: func(t *testing.T, e *env, cl *cluster.Cluster) {
				if !cl.Created || !cl.Ephemeral() || !strings.Contains(cl.EphemeralWhy, "delete-cluster: on-exit") {
					t.Errorf("created %v, ephemeral %v (%s)", cl.Created, cl.Ephemeral(), cl.EphemeralWhy)
				}
			},
		},
		{
			name: "reuses a cluster with delete-cluster on-exit: kept, not ephemeral",
			setup: func(e *env, o *Options) {
				e.api.AddCluster(testProject, testZone, e.running())
				o.DeleteCluster = deleteOnExit
			},
			check: func(t *testing.T, e *env, cl *cluster.Cluster) {
				if cl.Created || cl.Ephemeral() {
					t.Errorf("created %v, ephemeral %v: a reused cluster is never deleted", cl.Created, cl.Ephemeral())
				}
			},
		},
		{
			name: "mode down uses an existing cluster",
			setup: func(e *env, o *Options) {
				e.api.AddCluster(testProject, testZone, e.running())
				o.ExistingOnly = true
			},
			wantCalls: map[string]int{gketest.ClustersGet: 1, gketest.ClustersCreate: 0, gketest.ClustersDelete: 0},
		},
		{
			name:      "mode down with no cluster creates none",
			setup:     func(e *env, o *Options) { o.ExistingOnly = true },
			wantErr:   []string{`GKE cluster "knative" (project my-project, zone us-central1-a) does not exist: mode down creates no cluster`},
			wantCalls: map[string]int{gketest.ClustersCreate: 0, gketest.ClustersDelete: 0},
		},
		{
			name: "reuse-cluster false fails when the cluster exists",
			setup: func(e *env, o *Options) {
				e.api.AddCluster(testProject, testZone, e.running())
				o.Reuse = cluster.ReuseFalse
			},
			wantErr:   []string{`GKE cluster "knative" (project my-project, zone us-central1-a) already exists and reuse-cluster is false`, "reuse-cluster: true to use it"},
			wantCalls: map[string]int{gketest.ClustersCreate: 0},
		},
		{
			name: "reuse-cluster recreate deletes the cluster, then creates it",
			setup: func(e *env, o *Options) {
				e.api.AddCluster(testProject, testZone, e.running())
				o.Reuse = cluster.ReuseRecreate
			},
			wantCreated: true,
			wantLog:     []string{"deleting it first (reuse-cluster: recreate)", `deleted GKE cluster "knative"`, `creating GKE cluster "knative"`},
			wantCalls:   map[string]int{gketest.ClustersDelete: 1, gketest.ClustersCreate: 1},
		},
		{
			name: "a PROVISIONING cluster is waited for until RUNNING",
			setup: func(e *env, o *Options) {
				e.api.AddCluster(testProject, testZone, e.running())
				e.api.SetStatuses(testProject, testZone, testName, "PROVISIONING", "PROVISIONING", "RUNNING")
			},
			wantLog:   []string{`waiting up to 30m0s for cluster "knative" to be RUNNING`, `waited 5s for cluster "knative" to be RUNNING: RUNNING`},
			wantCalls: map[string]int{gketest.ClustersGet: 3, gketest.ClustersCreate: 0},
		},
		{
			name: "a cluster being deleted is waited for, then created anew",
			setup: func(e *env, o *Options) {
				e.api.AddCluster(testProject, testZone, e.running())
				e.api.SetStatuses(testProject, testZone, testName, "STOPPING", "STOPPING", "")
			},
			wantCreated: true,
			wantLog:     []string{"is being deleted; waiting until it is gone", `waited 5s for cluster "knative" to be deleted: gone`, `creating GKE cluster "knative"`},
			wantCalls:   map[string]int{gketest.ClustersCreate: 1, gketest.ClustersDelete: 0},
		},
		{
			name: "a cluster created meanwhile by someone else is reused",
			setup: func(e *env, o *Options) {
				// The first get misses the cluster; the create then finds it.
				e.api.Fail(gketest.ClustersGet, gketest.Failure{Code: 404, Status: "NOT_FOUND", Message: "Not found."})
				e.api.AddCluster(testProject, testZone, e.running())
			},
			wantLog:   []string{"was created meanwhile by someone else; reusing it"},
			wantCalls: map[string]int{gketest.ClustersCreate: 1, gketest.OperationsGet: 0},
		},
		{
			name: "a cluster created meanwhile fails with reuse-cluster false",
			setup: func(e *env, o *Options) {
				e.api.Fail(gketest.ClustersGet, gketest.Failure{Code: 404, Status: "NOT_FOUND", Message: "Not found."})
				e.api.AddCluster(testProject, testZone, e.running())
				o.Reuse = cluster.ReuseFalse
			},
			wantErr: []string{`creating GKE cluster "knative" (project my-project, zone us-central1-a): Already exists: projects/my-project/locations/us-central1-a/clusters/knative (HTTP 409)`},
		},
		{
			name: "an operation that ends with an error",
			setup: func(e *env, o *Options) {
				e.api.OpError = &container.Status{Code: 3, Message: `Network "default" does not exist.`}
			},
			wantCreated: true,
			wantErr:     []string{`creating GKE cluster "knative" (project my-project, zone us-central1-a): Network "default" does not exist.`, "gcloud compute networks create default --project my-project"},
		},
		{
			name: "a quota error from the operation says how to get or need less quota",
			setup: func(e *env, o *Options) {
				e.api.OpError = &container.Status{Code: 8, Message: quotaMessage}
				o.Location = "us-central1"
			},
			wantCreated: true,
			wantErr:     []string{quotaMessage, "https://console.cloud.google.com/iam-admin/quotas?project=my-project", "fewer gke-nodes (now 1)", "a zone rather than a region"},
		},
		{
			name: "403: the Kubernetes Engine API is disabled",
			setup: func(e *env, o *Options) {
				e.api.Fail(gketest.ClustersGet, gketest.Failure{Code: 403, Status: "PERMISSION_DENIED", Reason: "SERVICE_DISABLED", Message: disabledMessage})
			},
			wantErr:  []string{`reading GKE cluster "knative"`, "(HTTP 403, SERVICE_DISABLED)", "gcloud services enable container.googleapis.com --project my-project"},
			notInErr: []string{"roles/container.admin"},
		},
		{
			name: "403: permission denied says which role to grant",
			setup: func(e *env, o *Options) {
				e.api.Fail(gketest.ClustersGet, gketest.Failure{Code: 403, Status: "PERMISSION_DENIED", Reason: "IAM_PERMISSION_DENIED", Message: deniedMessage})
			},
			wantErr:  []string{strings.TrimSuffix(deniedMessage, ".") + " (HTTP 403, IAM_PERMISSION_DENIED)", "roles/container.admin on project my-project", "gcloud projects add-iam-policy-binding my-project"},
			notInErr: []string{"services enable"},
		},
		{
			name: "403 without a reason, on create, is still a permission problem",
			setup: func(e *env, o *Options) {
				e.api.Fail(gketest.ClustersCreate, gketest.Failure{Code: 403, Status: "PERMISSION_DENIED", Message: `Required "container.clusters.create" permission(s) for "projects/my-project".`})
			},
			wantErr:   []string{`creating GKE cluster "knative"`, "(HTTP 403)", "roles/container.admin"},
			wantCalls: map[string]int{gketest.OperationsGet: 0},
		},
		{
			name: "quota refused at create",
			setup: func(e *env, o *Options) {
				e.api.Fail(gketest.ClustersCreate, gketest.Failure{Code: 403, Status: "PERMISSION_DENIED", Message: `Insufficient project quota to satisfy request: resource "CPUS_ALL_REGIONS".`})
			},
			wantErr:  []string{"CPUS_ALL_REGIONS", "iam-admin/quotas?project=my-project"},
			notInErr: []string{"roles/container.admin"},
		},
		{
			name: "404 from create: the project or location does not exist",
			setup: func(e *env, o *Options) {
				e.api.Fail(gketest.ClustersCreate, gketest.Failure{Code: 404, Status: "NOT_FOUND", Message: "Not found: projects/my-project/locations/us-central1-a."})
			},
			wantErr: []string{"(HTTP 404)", "Check gke-project (my-project) and gke-location (us-central1-a)"},
		},
		{
			name: "404 from the operation",
			setup: func(e *env, o *Options) {
				e.api.Fail(gketest.OperationsGet, gketest.Failure{Code: 404, Status: "NOT_FOUND", Message: "Not found: operation-1-fake."})
			},
			wantCreated: true,
			wantErr:     []string{`creating GKE cluster "knative"`, "reading operation operation-1-fake: GKE no longer knows the operation (HTTP 404)", "Rerun the job"},
		},
		{
			name: "a poll failing with 503 is retried",
			setup: func(e *env, o *Options) {
				e.api.Fail(gketest.OperationsGet, gketest.Failure{Code: 503, Status: "UNAVAILABLE", Message: "The service is currently unavailable."})
			},
			wantCreated: true,
			wantLog:     []string{"poll failed (googleapi: Error 503", "): DONE"},
		},
		{
			name: "polls failing more than maxPollFailures times in a row end the wait",
			setup: func(e *env, o *Options) {
				for range maxPollFailures + 1 {
					e.api.Fail(gketest.OperationsGet, gketest.Failure{Code: 503, Status: "UNAVAILABLE", Message: "The service is currently unavailable."})
				}
			},
			wantCreated: true,
			wantErr:     []string{`creating GKE cluster "knative"`, "The service is currently unavailable (HTTP 503)"},
			wantCalls:   map[string]int{gketest.OperationsGet: maxPollFailures + 1},
		},
		{
			name: "a cluster in ERROR",
			setup: func(e *env, o *Options) {
				c := e.running()
				c.Status, c.StatusMessage = "ERROR", "Cluster is in an unrecoverable state."
				c.Conditions = []*container.StatusCondition{{Code: "GCE_STOCKOUT", Message: "Node pool default-pool could not be repaired."}}
				e.api.AddCluster(testProject, testZone, c)
			},
			wantErr: []string{`GKE cluster "knative" (project my-project, zone us-central1-a) is in status ERROR: Cluster is in an unrecoverable state. Node pool default-pool could not be repaired. Replace it`, "reuse-cluster: recreate"},
		},
		{
			name: "a DEGRADED cluster is used, with a warning and the fix",
			setup: func(e *env, o *Options) {
				c := e.running()
				c.Status = "DEGRADED"
				c.Conditions = []*container.StatusCondition{{Code: "GCE_QUOTA_EXCEEDED", Message: "Insufficient quota to scale up the node pool."}}
				e.api.AddCluster(testProject, testZone, c)
			},
			wantLog: []string{"is DEGRADED: Insufficient quota to scale up the node pool.", "iam-admin/quotas"},
		},
		{
			name: "a private endpoint is detected and explained",
			setup: func(e *env, o *Options) {
				c := e.running()
				c.Endpoint = closedEndpoint(e.t)
				c.PrivateClusterConfig = &container.PrivateClusterConfig{EnablePrivateNodes: true, EnablePrivateEndpoint: true}
				e.api.AddCluster(testProject, testZone, c)
				o.ReachTimeout = 2 * time.Second
			},
			wantErr: []string{`GKE cluster "knative" (project my-project, zone us-central1-a): its control plane has only a private endpoint (`, "Checking its API server: gave up after 2s", "GitHub-hosted runners reach only public endpoints", "self-hosted runner inside the cluster's VPC"},
			wantLog: []string{"warning: GKE cluster \"knative\" (project my-project, zone us-central1-a): its control plane has only a private endpoint"},
		},
		{
			name: "master authorized networks are detected and explained",
			setup: func(e *env, o *Options) {
				c := e.running()
				c.Endpoint = closedEndpoint(e.t)
				c.MasterAuthorizedNetworksConfig = &container.MasterAuthorizedNetworksConfig{Enabled: true, CidrBlocks: []*container.CidrBlock{{CidrBlock: "203.0.113.0/24"}}}
				e.api.AddCluster(testProject, testZone, c)
				o.ReachTimeout = 2 * time.Second
			},
			wantErr: []string{"its control plane admits only its master authorized networks (203.0.113.0/24)", "--no-enable-master-authorized-networks"},
		},
		{
			name: "an operation that does not finish in time",
			setup: func(e *env, o *Options) {
				e.api.OpSteps = []string{"RUNNING"}
				o.OperationTimeout = time.Minute
			},
			wantCreated: true,
			wantErr:     []string{`gave up waiting for GKE to create cluster "knative" (operation operation-1-fake) after 1m0s (last status RUNNING)`, "reuse-cluster: true"},
			wantLog:     []string{"RUNNING, 15s elapsed", "RUNNING, 30s elapsed", "RUNNING, 45s elapsed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			o := e.options()
			if tt.setup != nil {
				tt.setup(e, &o)
			}
			target := New(o, e.logger())
			cl, err := target.Connect(context.Background())
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatalf("Connect: %v\nprogress:\n%s", err, e.log())
			}
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Connect succeeded, want an error with %q", tt.wantErr)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error lacks %q:\n%v", want, err)
					}
				}
			}
			for _, not := range tt.notInErr {
				if strings.Contains(errString(err), not) {
					t.Errorf("error has %q:\n%v", not, err)
				}
			}
			log := e.log()
			for _, want := range tt.wantLog {
				if !strings.Contains(log, want) {
					t.Errorf("progress lacks %q:\n%s", want, log)
				}
			}
			for rpc, n := range tt.wantCalls {
				if got := e.api.Calls(rpc); got != n {
					t.Errorf("%s called %d times, want %d", rpc, got, n)
				}
			}
			st := target.State()
			if st.Created != tt.wantCreated {
				t.Errorf("state says created %v, want %v", st.Created, tt.wantCreated)
			}
			if st.Project != testProject || st.Name != testName || st.Location != o.Location {
				t.Errorf("state %+v names another cluster", st)
			}
			if cl != nil {
				if cl.Created != tt.wantCreated {
					t.Errorf("cluster says created %v, want %v", cl.Created, tt.wantCreated)
				}
				if tt.check != nil {
					tt.check(t, e, cl)
				}
			}
			assertNoSecret(t, []string{testToken}, log, errString(err), st.Encode())
		})
	}
}

func TestConnectStopsWithTheContext(t *testing.T) {
	e := newEnv(t)
	e.api.OpSteps = []string{"RUNNING"}
	ctx, cancel := context.WithCancelCause(context.Background())
	o := e.options()
	progress := log.Func(func(format string, args ...any) {
		e.progress(format, args...)
		if strings.Contains(e.log(), "RUNNING, 15s elapsed") {
			cancel(context.DeadlineExceeded)
		}
	})
	_, err := New(o, progress).Connect(ctx)
	if err == nil || !strings.Contains(err.Error(), `stopped waiting for GKE to create cluster "knative"`) || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Fatalf("got %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	r := ref{testProject, testZone, testName}
	tests := []struct {
		name    string
		cluster container.Cluster
		want    string // part of the reason; empty: reachable
	}{
		{name: "public endpoint", cluster: container.Cluster{Endpoint: "34.1.2.3"}},
		{name: "private nodes, public endpoint", cluster: container.Cluster{Endpoint: "34.1.2.3", PrivateClusterConfig: &container.PrivateClusterConfig{EnablePrivateNodes: true}}},
		{name: "private endpoint", cluster: container.Cluster{Endpoint: "10.0.0.2", PrivateClusterConfig: &container.PrivateClusterConfig{EnablePrivateEndpoint: true}}, want: "only a private endpoint (10.0.0.2)"},
		{
			name:    "IP endpoints without a public one",
			cluster: container.Cluster{Endpoint: "10.0.0.2", ControlPlaneEndpointsConfig: &container.ControlPlaneEndpointsConfig{IpEndpointsConfig: &container.IPEndpointsConfig{Enabled: true}}},
			want:    "only a private endpoint",
		},
		{
			name: "IP endpoints with a public one",
			cluster: container.Cluster{Endpoint: "34.1.2.3", ControlPlaneEndpointsConfig: &container.ControlPlaneEndpointsConfig{IpEndpointsConfig: &container.IPEndpointsConfig{
				Enabled: true, EnablePublicEndpoint: true, AuthorizedNetworksConfig: &container.MasterAuthorizedNetworksConfig{},
			}}},
		},
		{
			name: "authorized networks in the IP endpoints config",
			cluster: container.Cluster{Endpoint: "34.1.2.3", ControlPlaneEndpointsConfig: &container.ControlPlaneEndpointsConfig{IpEndpointsConfig: &container.IPEndpointsConfig{
				Enabled: true, EnablePublicEndpoint: true, AuthorizedNetworksConfig: &container.MasterAuthorizedNetworksConfig{Enabled: true},
			}}},
			want: "admits only its master authorized networks (none)",
		},
		{
			name:    "authorized networks open to all",
			cluster: container.Cluster{Endpoint: "34.1.2.3", MasterAuthorizedNetworksConfig: &container.MasterAuthorizedNetworksConfig{Enabled: true, CidrBlocks: []*container.CidrBlock{{CidrBlock: "10.0.0.0/8"}, {CidrBlock: "0.0.0.0/0"}}}},
		},
		{
			name:    "authorized networks disabled",
			cluster: container.Cluster{Endpoint: "34.1.2.3", MasterAuthorizedNetworksConfig: &container.MasterAuthorizedNetworksConfig{CidrBlocks: []*container.CidrBlock{{CidrBlock: "10.0.0.0/8"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unreachable(r, &tt.cluster)
			switch {
			case tt.want == "" && got != "":
				t.Errorf("reachable cluster explained as unreachable: %s", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestRESTConfigRejectsBadCA(t *testing.T) {
	tests := []struct {
		name string
		ca   string
		want string
	}{
		{name: "missing", ca: "", want: "no cluster CA certificate"},
		{name: "not base64", ca: "%%%", want: "not base64"},
		{name: "not PEM", ca: "aGVsbG8=", want: "not a PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := New(Options{Project: testProject, Location: testZone}, log.Discard)
			target.creds = &credentials{}
			_, err := target.restConfig(target.ref(), &container.Cluster{Endpoint: "34.1.2.3", MasterAuth: &container.MasterAuth{ClusterCaCertificate: tt.ca}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// The state reaches the post step as soon as GKE accepts the create, even
// when the wait for the operation fails afterwards.
func TestCreatedIsReportedBeforeTheWait(t *testing.T) {
	e := newEnv(t)
	o := e.options()
	e.api.OpSteps = []string{"PENDING", "RUNNING"}
	type save struct {
		state      clusterState
		afterWait  bool // saved once the wait had begun (and the job was cancelled)
		name, json string
	}
	var saved []save
	ctx, cancel := context.WithCancel(context.Background())
	progress := log.Func(func(f string, a ...any) {
		if strings.Contains(f, "elapsed") || strings.Contains(fmt.Sprintf(f, a...), "PENDING") {
			cancel() // the job is cancelled while GKE creates the cluster
		}
	})
	target := New(o, progress)
	target.KeepState(func(name, value string) {
		st, err := decodeState(value)
		if err != nil {
			t.Errorf("saved state %q: %v", value, err)
		}
		saved = append(saved, save{state: st, afterWait: ctx.Err() != nil, name: name, json: value})
	})
	_, err := target.Connect(ctx)
	if err == nil {
		t.Fatal("Connect succeeded after its context was cancelled")
	}
	if len(saved) == 0 || saved[0].afterWait || saved[0].name != stateName || !saved[0].state.Created || saved[0].state.Name != testName || saved[0].state.Project != testProject {
		t.Fatalf("saved states %+v, want the first, before the wait, to say this run created %s", saved, testName)
	}
	if last := saved[len(saved)-1]; !last.afterWait || !last.state.Created {
		t.Errorf("the state was not saved again when Connect failed: %+v", saved)
	}
}
