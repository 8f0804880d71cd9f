package gke

import (
	"context"
	"strings"
	"testing"

	container "google.golang.org/api/container/v1"

	"github.com/knative-preview/action/internal/cluster/gke/gketest"
)

func TestStateRoundTrip(t *testing.T) {
	want := clusterState{Project: testProject, Location: testZone, Name: testName, Created: true, DeleteOnExit: true}
	enc := want.Encode()
	if strings.Contains(enc, "\n") {
		t.Errorf("encoded state spans lines: %q", enc)
	}
	got, err := decodeState(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("decoded %+v, want %+v", got, want)
	}
}

func TestDecodeStateRejects(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "not JSON", in: "gke", want: "reading the GKE state"},
		{name: "unknown field", in: `{"project":"my-project","location":"us-central1","name":"knative","zone":"x"}`, want: "unknown field"},
		{name: "no name", in: `{"project":"my-project","location":"us-central1"}`, want: "does not name a cluster"},
		{name: "bad project", in: `{"project":"--","location":"us-central1","name":"knative"}`, want: "does not name a cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeState(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCleanup(t *testing.T) {
	created := clusterState{Project: testProject, Location: testZone, Name: testName, Created: true, DeleteOnExit: true}
	tests := []struct {
		name    string
		state   string
		exists  bool
		setup   func(e *env)
		wantErr []string
		wantLog string
		// wantDeletes is how many delete calls the API sees.
		wantDeletes int
		// wantGone: the cluster no longer exists afterwards.
		wantGone bool
	}{
		{name: "created with delete-cluster on-exit: deleted", state: created.Encode(), exists: true, wantDeletes: 1, wantGone: true, wantLog: `deleted GKE cluster "knative" (project my-project, zone us-central1-a)`},
		{name: "already gone: nothing to do", state: created.Encode(), wantDeletes: 1, wantGone: true, wantLog: "is already gone"},
		{
			name: "being deleted by someone else: waits until gone", state: created.Encode(), exists: true,
			setup: func(e *env) {
				e.api.Fail(gketest.ClustersDelete, gketest.Failure{Code: 400, Status: "FAILED_PRECONDITION", Message: "Cluster is being deleted."})
				e.api.SetStatuses(testProject, testZone, testName, "STOPPING", "STOPPING", "")
			},
			wantLog:     `waited 5s for cluster "knative" to be deleted: gone`,
			wantDeletes: 1,
			wantGone:    true,
		},
		{
			name: "reused: kept", state: clusterState{Project: testProject, Location: testZone, Name: testName, DeleteOnExit: true}.Encode(), exists: true,
			wantLog: "this run did not create it",
		},
		{
			name: "created with delete-cluster never: kept", state: clusterState{Project: testProject, Location: testZone, Name: testName, Created: true}.Encode(), exists: true,
			wantLog: "gcloud container clusters delete knative --location us-central1-a --project my-project",
		},
		{name: "no state: nothing to do", state: "", wantLog: "recorded no GKE cluster"},
		{name: "unreadable state", state: "{", wantErr: []string{"reading the GKE state the main step saved"}},
		{
			name: "delete refused", state: created.Encode(), exists: true,
			setup: func(e *env) {
				e.api.Fail(gketest.ClustersDelete, gketest.Failure{Code: 403, Status: "PERMISSION_DENIED", Message: `Required "container.clusters.delete" permission(s).`})
			},
			wantErr:     []string{`deleting GKE cluster "knative" (project my-project, zone us-central1-a): Required "container.clusters.delete" permission(s) (HTTP 403)`, "roles/container.admin"},
			wantDeletes: 1,
		},
		{
			name: "delete operation fails", state: created.Encode(), exists: true,
			setup:       func(e *env) { e.api.OpError = &container.Status{Code: 13, Message: "Internal error."} },
			wantErr:     []string{`deleting GKE cluster "knative" (project my-project, zone us-central1-a): Internal error`, "rerun the job"},
			wantDeletes: 1,
		},
		{
			name: "delete operation finds the cluster gone", state: created.Encode(), exists: true,
			setup:       func(e *env) { e.api.OpError = &container.Status{Code: 5, Message: "Not found: cluster knative."} },
			wantLog:     "is already gone",
			wantDeletes: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.exists {
				e.api.AddCluster(testProject, testZone, e.running())
			}
			if tt.setup != nil {
				tt.setup(e)
			}
			o := e.options()
			// The post step gets the same inputs as main, but only the state
			// decides what it deletes.
			o.Project, o.Location, o.ClusterName = "", "", ""
			o.OperationTimeout = 0
			err := New(o, e.logger()).Cleanup(context.Background(), stateOf(tt.state))
			switch {
			case len(tt.wantErr) == 0 && err != nil:
				t.Fatalf("Cleanup: %v\n%s", err, e.log())
			case len(tt.wantErr) > 0 && err == nil:
				t.Fatalf("Cleanup succeeded, want %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if !strings.Contains(e.log(), tt.wantLog) {
				t.Errorf("progress lacks %q:\n%s", tt.wantLog, e.log())
			}
			if got := e.api.Calls(gketest.ClustersDelete); got != tt.wantDeletes {
				t.Errorf("%d delete calls, want %d", got, tt.wantDeletes)
			}
			if gone := e.api.Cluster(testProject, testZone, testName) == nil; gone != tt.wantGone && (tt.exists || tt.wantGone) {
				t.Errorf("cluster gone: %v, want %v", gone, tt.wantGone)
			}
			assertNoSecret(t, []string{testToken}, e.log(), errString(err))
		})
	}
}

// TestDeleteAtExitOnlyWhenCreated runs main then post, passing the state
// through its encoding as GitHub does.
func TestDeleteAtExitOnlyWhenCreated(t *testing.T) {
	tests := []struct {
		name        string
		exists      bool
		deletePol   string
		wantDeleted bool
	}{
		{name: "created, on-exit", deletePol: deleteOnExit, wantDeleted: true},
		{name: "reused, on-exit", exists: true, deletePol: deleteOnExit},
		{name: "created, never", deletePol: deleteNever},
		{name: "created, default policy", deletePol: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.exists {
				e.api.AddCluster(testProject, testZone, e.running())
			}
			o := e.options()
			o.DeleteCluster = tt.deletePol
			main := New(o, e.logger())
			if _, err := main.Connect(context.Background()); err != nil {
				t.Fatal(err)
			}
			saved := main.State().Encode()
			if err := New(o, e.logger()).Cleanup(context.Background(), stateOf(saved)); err != nil {
				t.Fatal(err)
			}
			if deleted := e.api.Calls(gketest.ClustersDelete) == 1 && e.api.Cluster(testProject, testZone, testName) == nil; deleted != tt.wantDeleted {
				t.Errorf("deleted %v, want %v (state %s)\n%s", deleted, tt.wantDeleted, saved, e.log())
			}
		})
	}
}

func TestDeleteNeedsACluster(t *testing.T) {
	e := newEnv(t)
	err := New(e.options(), e.logger()).Delete(context.Background(), deleteRequest{Project: testProject, Name: testName})
	if err == nil || !strings.Contains(err.Error(), "needs its project, location and name") {
		t.Fatalf("got %v", err)
	}
	if n := len(e.api.Requests()); n != 0 {
		t.Errorf("%d requests for an incomplete request", n)
	}
}

// stateOf reads back encoded as the state saved under StateName.
func stateOf(encoded string) func(string) string {
	return func(name string) string {
		if name == stateName {
			return encoded
		}
		return ""
	}
}
