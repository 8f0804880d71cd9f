package gke

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// stateName is the name under which main saves the State for the post step
// (GITHUB_STATE), which reads it back from the environment variable
// STATE_gke_cluster.
const stateName = "gke_cluster"

// clusterState is what the main step hands the post step: which cluster, whether
// this run created it, and whether to delete it.
type clusterState struct {
	Project      string `json:"project"`
	Location     string `json:"location"`
	Name         string `json:"name"`
	Created      bool   `json:"created"`
	DeleteOnExit bool   `json:"deleteOnExit"`
}

// Encode returns s as one line of JSON.
func (s clusterState) Encode() string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // strings and booleans always marshal
	}
	return string(b)
}

// decodeState reads what Encode wrote and checks it names a cluster.
func decodeState(v string) (clusterState, error) {
	var s clusterState
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return clusterState{}, fmt.Errorf("reading the GKE state the main step saved (%q): %w", v, err)
	}
	if !projectRE.MatchString(s.Project) || !locationRE.MatchString(s.Location) || !nameRE.MatchString(s.Name) {
		return clusterState{}, fmt.Errorf("the GKE state the main step saved (%q) does not name a cluster", v)
	}
	return s, nil
}

// deleteRequest names the cluster Delete deletes.
type deleteRequest struct {
	Project, Location, Name string
}

// Delete deletes the cluster and waits for the operation; a cluster that is
// already gone is not an error. It uses the target's credentials and seams,
// not its inputs.
func (t *target) Delete(ctx context.Context, req deleteRequest) error {
	if req.Project == "" || req.Location == "" || req.Name == "" {
		return fmt.Errorf("deleting a GKE cluster needs its project, location and name; got %+v", req)
	}
	if err := t.init(ctx, req.Project); err != nil {
		return err
	}
	return t.delete(ctx, ref{req.Project, req.Location, req.Name})
}

// Cleanup is the post step's work. state reads back the State main saved
// (empty when main saved none): Cleanup deletes the cluster when this run
// created it and delete-cluster was on-exit, and otherwise says why it
// keeps it.
func (t *target) Cleanup(ctx context.Context, state func(name string) string) error {
	encoded := state(stateName)
	if strings.TrimSpace(encoded) == "" {
		t.log.Infof("the main step recorded no GKE cluster: nothing to delete")
		return nil
	}
	s, err := decodeState(encoded)
	if err != nil {
		return err
	}
	r := ref{s.Project, s.Location, s.Name}
	switch {
	case !s.Created:
		t.log.Infof("keeping %s: this run did not create it", r)
		return nil
	case !s.DeleteOnExit:
		t.log.Infof("keeping %s (delete-cluster: never); it costs money until deleted: gcloud container clusters delete %s --location %s --project %s", r, r.name, r.location, r.project)
		return nil
	}
	return t.Delete(ctx, deleteRequest{Project: s.Project, Location: s.Location, Name: s.Name})
}
