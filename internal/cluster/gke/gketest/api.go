// Package gketest fakes, on 127.0.0.1, the Google endpoints the gke
// cluster target talks to: the Container API, a cluster's API server, and
// the token endpoints behind service account keys and Workload Identity
// Federation. The Container API follows its discovery document, the one
// google.golang.org/api/container/v1 is generated from
// (container/v1/container-api.json in that module): the paths, the
// Cluster and Operation shapes and the errors' JSON.
package gketest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	container "google.golang.org/api/container/v1"
)

// RPC names of the calls the fake serves, as in the API's discovery document.
const (
	ClustersGet    = "clusters.get"
	ClustersCreate = "clusters.create"
	ClustersDelete = "clusters.delete"
	OperationsGet  = "operations.get"
)

// request is one request the fake received.
type request struct {
	RPC, Method, Path string
	Authorization     string
	Body              []byte
}

// Failure is an error response, as the API writes it.
type Failure struct {
	Code    int
	Status  string // google.rpc.Code name, e.g. PERMISSION_DENIED
	Message string
	// Reason, when set, is sent as a google.rpc.ErrorInfo detail.
	Reason string
}

// API fakes projects.locations.clusters get, create and delete and
// projects.locations.operations get, with the real REST paths and JSON.
// Operations advance one step per poll; a create operation that finishes
// makes the cluster RUNNING with Endpoint and CA, a delete removes it.
type API struct {
	// URL is the base URL to give the client (gke.Options.Endpoint).
	URL string
	// OpSteps are the statuses successive polls of an operation report; the
	// operation starts PENDING. Default: RUNNING, RUNNING, DONE.
	OpSteps []string
	// OpError, when set, is the error the operations end with.
	OpError *container.Status
	// Endpoint and CA are what created clusters get (a KubeAPI's).
	Endpoint, CA string
	// Version is the Kubernetes version created clusters report.
	Version string
	// Tick, when set, is called as each request arrives, before it is
	// answered: a test moves its fake clock on, as if the requests (the
	// polls of a wait) came a poll interval apart.
	Tick func()

	mu       sync.Mutex
	clusters map[string]*container.Cluster
	statuses map[string][]string
	ops      map[string]*operation
	failures map[string][]Failure
	requests []request
	nextOp   int
}

type operation struct {
	op      *container.Operation
	polls   int
	cluster string // path of the cluster it acts on
	delete  bool
}

// NewAPI starts the fake; it stops when the test ends.
func NewAPI(t testing.TB) *API {
	a := &API{
		OpSteps:  []string{"RUNNING", "RUNNING", "DONE"},
		Version:  "1.34.3-gke.1000",
		clusters: map[string]*container.Cluster{},
		statuses: map[string][]string{},
		ops:      map[string]*operation{},
		failures: map[string][]Failure{},
	}
	srv := httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(srv.Close)
	a.URL = srv.URL + "/"
	return a
}

// clusterPath is the API's name of a cluster.
func clusterPath(project, location, name string) string {
	return fmt.Sprintf("projects/%s/locations/%s/clusters/%s", project, location, name)
}

// AddCluster stores c (named c.Name) in project and location.
func (a *API) AddCluster(project, location string, c *container.Cluster) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c.Location = location
	a.clusters[clusterPath(project, location, c.Name)] = c
}

// SetStatuses makes the next gets of the cluster report these statuses in
// turn; the last one stays. An empty status removes the cluster, as a
// finished deletion does.
func (a *API) SetStatuses(project, location, name string, statuses ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.statuses[clusterPath(project, location, name)] = statuses
}

// Fail makes the next call of rpc fail with f; several calls queue.
func (a *API) Fail(rpc string, f Failure) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failures[rpc] = append(a.failures[rpc], f)
}

// Cluster returns the stored cluster, or nil.
func (a *API) Cluster(project, location, name string) *container.Cluster {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.clusters[clusterPath(project, location, name)]
}

// Requests returns the requests received so far.
func (a *API) Requests() []request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]request(nil), a.requests...)
}

// Calls counts the requests of one RPC.
func (a *API) Calls(rpc string) int {
	n := 0
	for _, r := range a.Requests() {
		if r.RPC == rpc {
			n++
		}
	}
	return n
}

// CreateRequest returns the body of the last create request, or nil.
func (a *API) CreateRequest() *container.CreateClusterRequest {
	var last *container.CreateClusterRequest
	for _, r := range a.Requests() {
		if r.RPC == ClustersCreate {
			last = &container.CreateClusterRequest{}
			if err := json.Unmarshal(r.Body, last); err != nil {
				return nil
			}
		}
	}
	return last
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	if a.Tick != nil {
		a.Tick()
	}
	body, _ := io.ReadAll(r.Body)
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	parts := strings.Split(path, "/")
	rpc := rpcOf(r.Method, parts)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = append(a.requests, request{RPC: rpc, Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: body})
	if rpc == "" {
		writeError(w, Failure{Code: http.StatusNotFound, Status: "NOT_FOUND", Message: "no such method " + r.Method + " " + r.URL.Path})
		return
	}
	if q := a.failures[rpc]; len(q) > 0 {
		a.failures[rpc] = q[1:]
		writeError(w, q[0])
		return
	}
	notFound := Failure{Code: http.StatusNotFound, Status: "NOT_FOUND", Message: "Not found: " + path + "."}
	switch rpc {
	case ClustersGet:
		a.getCluster(w, path, notFound)
	case ClustersCreate:
		a.createCluster(w, path, parts, body)
	case ClustersDelete:
		c, ok := a.clusters[path]
		if !ok {
			writeError(w, notFound)
			return
		}
		c.Status = "STOPPING"
		writeJSON(w, a.startOp(parts[1], parts[3], path, "DELETE_CLUSTER", true))
	case OperationsGet:
		o, ok := a.ops[parts[5]]
		if !ok {
			writeError(w, notFound)
			return
		}
		a.advance(o)
		writeJSON(w, o.op)
	}
}

// rpcOf names the Container API method of a request to
// projects/<p>/locations/<l>/..., or "" for none.
func rpcOf(method string, parts []string) string {
	if len(parts) < 5 || parts[0] != "projects" || parts[2] != "locations" {
		return ""
	}
	switch {
	case len(parts) == 5 && parts[4] == "clusters" && method == http.MethodPost:
		return ClustersCreate
	case len(parts) == 6 && parts[4] == "clusters" && method == http.MethodGet:
		return ClustersGet
	case len(parts) == 6 && parts[4] == "clusters" && method == http.MethodDelete:
		return ClustersDelete
	case len(parts) == 6 && parts[4] == "operations" && method == http.MethodGet:
		return OperationsGet
	}
	return ""
}

// getCluster answers clusters.get: the cluster with its next status; one
// whose statuses ran out to "" is gone.
func (a *API) getCluster(w http.ResponseWriter, path string, notFound Failure) {
	c, ok := a.clusters[path]
	if !ok {
		writeError(w, notFound)
		return
	}
	if s := a.statuses[path]; len(s) > 0 {
		c.Status = s[0]
		if len(s) > 1 {
			a.statuses[path] = s[1:]
		}
	}
	if c.Status == "" {
		delete(a.clusters, path)
		delete(a.statuses, path)
		writeError(w, notFound)
		return
	}
	writeJSON(w, c)
}

// createCluster answers clusters.create under the location path.
func (a *API) createCluster(w http.ResponseWriter, path string, parts []string, body []byte) {
	var req container.CreateClusterRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Cluster == nil || req.Cluster.Name == "" {
		writeError(w, Failure{Code: http.StatusBadRequest, Status: "INVALID_ARGUMENT", Message: "Cluster.name must be set."})
		return
	}
	cp := path + "/" + req.Cluster.Name
	if _, ok := a.clusters[cp]; ok {
		writeError(w, Failure{Code: http.StatusConflict, Status: "ALREADY_EXISTS", Message: "Already exists: " + cp + "."})
		return
	}
	c := req.Cluster
	c.Status, c.Location = "PROVISIONING", parts[3]
	a.clusters[cp] = c
	writeJSON(w, a.startOp(parts[1], parts[3], cp, "CREATE_CLUSTER", false))
}

func (a *API) startOp(project, location, cluster, kind string, del bool) *container.Operation {
	a.nextOp++
	id := fmt.Sprintf("operation-%d-fake", a.nextOp)
	op := &container.Operation{
		Name:          id,
		OperationType: kind,
		Status:        "PENDING",
		Location:      location,
		Zone:          location,
		SelfLink:      "https://container.googleapis.com/v1/projects/" + project + "/locations/" + location + "/operations/" + id,
		TargetLink:    "https://container.googleapis.com/v1/" + cluster,
	}
	a.ops[id] = &operation{op: op, cluster: cluster, delete: del}
	return op
}

func (a *API) advance(o *operation) {
	if o.op.Status == "DONE" {
		return
	}
	step := a.OpSteps[min(o.polls, len(a.OpSteps)-1)]
	o.polls++
	o.op.Status = step
	if step != "DONE" {
		return
	}
	c := a.clusters[o.cluster]
	if a.OpError != nil {
		o.op.Error = a.OpError
		if c != nil && !o.delete {
			c.Status, c.StatusMessage = "ERROR", a.OpError.Message
		}
		return
	}
	if o.delete {
		delete(a.clusters, o.cluster)
		return
	}
	if c != nil {
		c.Status = "RUNNING"
		c.Endpoint = a.Endpoint
		c.MasterAuth = &container.MasterAuth{ClusterCaCertificate: a.CA}
		c.CurrentMasterVersion, c.CurrentNodeVersion = a.Version, a.Version
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, f Failure) {
	e := map[string]any{"code": f.Code, "message": f.Message, "status": f.Status}
	if f.Reason != "" {
		e["details"] = []map[string]any{{
			"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
			"reason":   f.Reason,
			"domain":   "googleapis.com",
			"metadata": map[string]string{"service": "container.googleapis.com"},
		}}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(f.Code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}
