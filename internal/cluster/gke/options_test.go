package gke

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/log"
)

func TestParse(t *testing.T) {
	valid := map[string]string{inputProject: testProject, inputLocation: testZone}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range valid {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name   string
		inputs map[string]string
		env    map[string]string
		// want are the problems, one "input: part" per problem; none: valid.
		want  []string
		check func(t *testing.T, o Options)
	}{
		{name: "minimal", inputs: valid},
		{
			name: "every input",
			inputs: map[string]string{
				inputProject: "proj-123", inputLocation: "europe-west4", inputClusterName: "preview-42", inputReuse: "recreate",
				inputMachineType: "n2-standard-8", inputNodes: "3", inputSpot: "true", inputReleaseChannel: "Stable",
				inputKubernetesVersion: "v1.34.1-gke.1829001", inputDeleteCluster: "on-exit",
			},
			check: func(t *testing.T, o Options) {
				if o.Nodes != 3 || !o.Spot || o.ClusterName != "preview-42" || o.Reuse != cluster.ReuseRecreate || o.DeleteCluster != deleteOnExit {
					t.Errorf("options %+v", o)
				}
				n := New(o, log.Discard).opts
				if n.ReleaseChannel != "stable" || n.KubernetesVersion != "1.34.1-gke.1829001" {
					t.Errorf("channel %q, version %q", n.ReleaseChannel, n.KubernetesVersion)
				}
			},
		},
		{name: "project from the environment", inputs: map[string]string{inputLocation: testZone}, env: map[string]string{"CLOUDSDK_CORE_PROJECT": "env-project"}},
		{name: "no project anywhere", inputs: map[string]string{inputLocation: testZone}, want: []string{`"gke-project": is empty and no project was found in GOOGLE_CLOUD_PROJECT`}},
		{name: "project from the environment, invalid", inputs: map[string]string{inputLocation: testZone}, env: map[string]string{"GCLOUD_PROJECT": "Bad_Project"}, want: []string{`"gke-project": "Bad_Project" is not a project ID (taken from GCLOUD_PROJECT)`}},
		{name: "no location", inputs: map[string]string{inputProject: testProject}, want: []string{`"gke-location": is required for cluster: gke (accepted: a region such as us-central1, or a zone such as us-central1-a)`}},
		{name: "bad location", inputs: with(inputLocation, "us central"), want: []string{`"gke-location": "us central" is not a region or zone`}},
		{name: "bad cluster name", inputs: with(inputClusterName, "Knative_1"), want: []string{`"cluster-name": "Knative_1" is not a valid GKE cluster name`}},
		{name: "long cluster name", inputs: with(inputClusterName, strings.Repeat("a", 41)), want: []string{`"cluster-name"`}},
		{name: "bad reuse", inputs: with(inputReuse, "yes"), want: []string{`"reuse-cluster": "yes" is not a reuse policy (accepted: true, false, recreate (in any case))`}},
		{name: "bad machine type", inputs: with(inputMachineType, "big"), want: []string{`"gke-machine-type": "big" is not a machine type`}},
		{name: "nodes not a number", inputs: with(inputNodes, "two"), want: []string{`"gke-nodes": "two" is not a node count (accepted: a whole number from 1 to 1000)`}},
		{name: "zero nodes", inputs: with(inputNodes, "0"), want: []string{`"gke-nodes": "0" is not a node count`}},
		{name: "bad spot", inputs: with(inputSpot, "maybe"), want: []string{`"gke-spot": "maybe" is not a boolean (accepted: true, false (in any case))`}},
		{name: "bad channel", inputs: with(inputReleaseChannel, "beta"), want: []string{`"gke-release-channel": "beta" is not a release channel (accepted: rapid, regular, stable, extended, none (in any case))`}},
		{name: "kind node image as version", inputs: with(inputKubernetesVersion, "kindest/node:v1.34.0"), want: []string{`"kubernetes-version": "kindest/node:v1.34.0" is an image reference (for kind), not a GKE version`}},
		{name: "bad version", inputs: with(inputKubernetesVersion, "2.0"), want: []string{`"kubernetes-version": "2.0" is not a GKE version`}},
		{name: "latest version", inputs: with(inputKubernetesVersion, "latest")},
		{name: "bad delete policy", inputs: with(inputDeleteCluster, "always"), want: []string{`"delete-cluster": "always" is not a delete policy (accepted: never, on-exit (in any case))`}},
		{
			name:   "every problem at once",
			inputs: map[string]string{inputLocation: "x", inputNodes: "-1", inputReuse: "no"},
			want:   []string{`"reuse-cluster"`, `"gke-nodes"`, `"gke-project"`, `"gke-location"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := input.NewReader(slices.Concat(cluster.Inputs, Inputs), tt.inputs, input.ActionStyle, fakeEnv(tt.env))
			o := Parse(r)
			errs := input.List(r.Err())
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(errs), len(tt.want), errors.Join(errs...))
			}
			for i, want := range tt.want {
				var ie *input.Error
				if !errors.As(errs[i], &ie) {
					t.Errorf("problem %d is a %T, not an *input.Error", i, errs[i])
				}
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("problem %d is %q, want it to contain %q", i, errs[i], want)
				}
			}
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

func TestResolveProject(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.json")
	if err := os.WriteFile(keyFile, []byte(`{"type":"service_account","project_id":"key-project"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		project  string
		env      map[string]string
		want     string
		wantFrom string
	}{
		{name: "input wins", project: "input-project", env: map[string]string{"GOOGLE_CLOUD_PROJECT": "env-project"}, want: "input-project", wantFrom: inputProject},
		{name: "GOOGLE_CLOUD_PROJECT first", env: map[string]string{"GCLOUD_PROJECT": "b", "GOOGLE_CLOUD_PROJECT": "a"}, want: "a", wantFrom: "GOOGLE_CLOUD_PROJECT"},
		{name: "CLOUDSDK_CORE_PROJECT before GCLOUD_PROJECT", env: map[string]string{"GCLOUD_PROJECT": "b", "CLOUDSDK_CORE_PROJECT": "c"}, want: "c", wantFrom: "CLOUDSDK_CORE_PROJECT"},
		{name: "the credentials file's project_id last", env: map[string]string{credentialsEnv: keyFile}, want: "key-project", wantFrom: "project_id of GOOGLE_APPLICATION_CREDENTIALS"},
		{name: "an environment variable before the file", env: map[string]string{credentialsEnv: keyFile, "GCP_PROJECT": "d"}, want: "d", wantFrom: "GCP_PROJECT"},
		{name: "nothing", env: map[string]string{credentialsEnv: filepath.Join(dir, "missing.json")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, from := resolveProject(Options{Project: tt.project, Getenv: fakeEnv(tt.env)})
			if got != tt.want || from != tt.wantFrom {
				t.Errorf("got %q from %q, want %q from %q", got, from, tt.want, tt.wantFrom)
			}
		})
	}
}

func TestPlanContactsNothing(t *testing.T) {
	tests := []struct {
		name string
		set  func(o *Options)
		want []string
	}{
		{
			name: "defaults, project from the environment",
			set: func(o *Options) {
				o.Project = ""
				o.Getenv = fakeEnv(map[string]string{"GOOGLE_CLOUD_PROJECT": "env-project", credentialsEnv: "/github/workspace/gha-creds-1.json"})
				o.TokenSource = nil
			},
			want: []string{
				`reuse GKE cluster "knative" in project env-project (from GOOGLE_CLOUD_PROJECT), zone us-central1-a if it exists, else create it (reuse-cluster: true)`,
				"a new cluster gets 1 e2-standard-4 node, GKE's default release channel (regular), the channel's default Kubernetes version",
				"authenticate with Application Default Credentials from GOOGLE_APPLICATION_CREDENTIALS=/github/workspace/gha-creds-1.json",
				"wait up to 30m0s for each GKE operation",
				"keep the cluster after the job (delete-cluster: never)",
			},
		},
		{
			name: "a regional spot cluster, recreated and deleted on exit",
			set: func(o *Options) {
				o.Location, o.Reuse, o.Nodes, o.Spot, o.DeleteCluster = "us-central1", cluster.ReuseRecreate, 2, true, deleteOnExit
				o.ReleaseChannel, o.KubernetesVersion = "none", "1.33"
			},
			want: []string{
				`delete GKE cluster "knative" in project my-project, region us-central1 if it exists, wait for the deletion, then create it (reuse-cluster: recreate)`,
				"a new cluster gets 2 e2-standard-4 spot VM nodes in each of the region's zones (usually 3), no release channel, Kubernetes version 1.33",
				"delete the cluster in the action's post step at the end of the job if this run created it (delete-cluster: on-exit)",
			},
		},
		{
			name: "reuse false",
			set:  func(o *Options) { o.Reuse = cluster.ReuseFalse },
			want: []string{`create GKE cluster "knative" in project my-project, zone us-central1-a; fail if it already exists (reuse-cluster: false)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			o := e.options()
			tt.set(&o)
			plan := strings.Join(New(o, e.logger()).Plan(), "\n")
			for _, want := range tt.want {
				if !strings.Contains(plan, want) {
					t.Errorf("plan lacks %q:\n%s", want, plan)
				}
			}
			if n := len(e.api.Requests()); n != 0 {
				t.Errorf("Plan made %d API requests", n)
			}
			if n := len(e.kube.Tokens()); n != 0 {
				t.Errorf("Plan made %d requests to the API server", n)
			}
		})
	}
}
