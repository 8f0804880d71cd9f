// Package report is the JSON report every `up` writes: what ran where, with
// which versions, how long each stage took, every cold start sample and
// warm request, and the checks' results, in the shape schema.json
// documents, so that a later run (or a person) can compare with it.
package report

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/knative-preview/action/internal/image"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/reachable"
)

// SchemaVersion is the version of the report's shape: a change that
// removes or retypes a field raises it.
const SchemaVersion = 1

// Schema is the JSON Schema of the report.
//
//go:embed schema.json
var Schema []byte

// FileName is the report's name in the workspace's folder for later steps
// (workspace.Dir), where the action writes it.
const FileName = "report.json"

// Report is one run's report.
type Report struct {
	SchemaVersion int `json:"schema-version"`
	// Time is when the run began, RFC 3339 in UTC.
	Time string `json:"time"`
	// Tool is the program and its version.
	Tool string `json:"tool"`
	// Repository and Commit are GITHUB_REPOSITORY and GITHUB_SHA; empty
	// outside Actions.
	Repository string  `json:"repository"`
	Commit     string  `json:"commit"`
	Image      Image   `json:"image"`
	Cluster    Cluster `json:"cluster"`
	Knative    Knative `json:"knative"`
	// Service is what the deploy stage deployed (of an app, its primary
	// Service); nil when it did not run.
	Service *Service `json:"service"`
	// Services are every Service deployed, Service among them, in the
	// service file's order; empty when the deploy stage did not run.
	Services []Service `json:"services,omitempty"`
	Stages   []Stage   `json:"stages"`
	// Measure is the measure stage's report; nil when it did not run.
	Measure *measure.Report `json:"measure"`
	Checks  Checks          `json:"checks"`
	// Reachability says whether a reviewer can reach the preview after the
	// job; nil when nothing was deployed.
	Reachability *reachable.Verdict `json:"reachability,omitempty"`
	// PullRequest is the pull request the run was for; nil outside one.
	PullRequest *PullRequest `json:"pull-request,omitempty"`
	// Comparison is this run against its baseline; nil without one.
	Comparison *Comparison `json:"comparison,omitempty"`
	// Trend is the figures of the service's recent runs from the cluster's
	// history, oldest first, this run last; empty without history.
	Trend []Point `json:"trend,omitempty"`
	// OK is true when the run succeeded; Error is why not.
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Image is the image deployed.
type Image struct {
	Ref string `json:"ref"`
	// Digest is known when the reference pins one (image@sha256:...);
	// a tag's digest is not read back from the cluster, and is empty.
	Digest      string `json:"digest"`
	DigestKnown bool   `json:"digest-known"`
}

// ImageOf is the Image of a reference.
func ImageOf(ref string) Image {
	d := image.Digest(ref)
	return Image{Ref: ref, Digest: d, DigestKnown: d != ""}
}

// Cluster is the cluster target reached.
type Cluster struct {
	// Target is kind, gke or kubeconfig.
	Target            string `json:"target"`
	Context           string `json:"context"`
	KubernetesVersion string `json:"kubernetes-version"`
	// Created is true when this run created the cluster.
	Created bool `json:"created"`
}

// Knative is what the install stage installed; empty before it ran.
type Knative struct {
	ServingVersion string `json:"serving-version"`
	Ingress        string `json:"ingress"`
	IngressVersion string `json:"ingress-version"`
}

// Service is the Knative Service deployed.
type Service struct {
	Name         string  `json:"name"`
	Namespace    string  `json:"namespace"`
	Revision     string  `json:"revision"`
	URL          string  `json:"url"`
	ReadySeconds float64 `json:"ready-seconds"`
	// ClusterLocal says only the cluster reaches URL.
	ClusterLocal bool `json:"cluster-local,omitempty"`
}

// Stage is one stage's result.
type Stage struct {
	Name    string  `json:"name"`
	Ran     bool    `json:"ran"`
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"`
}

// Checks are the smoke checks' results: status, body and cold-start-max-ms
// over every cold start and warm request.
type Checks struct {
	// Ran is false when the measure stage did not run (or ran no check).
	Ran    bool `json:"ran"`
	Passed bool `json:"passed"`
	// Problems say which request failed which check.
	Problems []string `json:"problems"`
	// ColdStartMaxMs is the cold-start-max-ms the median was held to; 0:
	// none.
	ColdStartMaxMs float64 `json:"cold-start-max-ms,omitempty"`
}

// HeadCommit is the commit the run was for: a pull request's head, else
// GITHUB_SHA (in a pull request, the merge commit GitHub made).
func (r *Report) HeadCommit() string {
	if r.PullRequest != nil && r.PullRequest.HeadSHA != "" {
		return r.PullRequest.HeadSHA
	}
	return r.Commit
}

// PullRequest is the pull request a run was for.
type PullRequest struct {
	Number int `json:"number"`
	// Action is the event's: opened, synchronize, reopened, closed.
	Action  string `json:"action"`
	HeadSHA string `json:"head-sha"`
	// Fork is true when the head is in another repository.
	Fork bool `json:"fork"`
}

// Comparison is a run's figures against a baseline's, figure by figure.
type Comparison struct {
	// Baseline says where the baseline came from: a report file, or the
	// cluster's history of a service and how many runs.
	Baseline string `json:"baseline"`
	// Verdict is none, slower, faster or inconclusive.
	Verdict string   `json:"verdict"`
	Figures []Figure `json:"figures"`
}

// Figure is one figure of a Comparison, in milliseconds.
type Figure struct {
	// Name is cold-start-median, cold-start-p95, ready or warm-p50.
	Name      string  `json:"name"`
	Baseline  float64 `json:"baseline-ms"`
	Current   float64 `json:"current-ms"`
	NBaseline int     `json:"n-baseline"`
	NCurrent  int     `json:"n-current"`
	DeltaMs   float64 `json:"delta-ms"`
	// DeltaPercent is DeltaMs in percent of Baseline (0 when it is 0).
	DeltaPercent float64 `json:"delta-percent"`
	// P is the rank test's two-sided p-value (1: not tested), Level what
	// it had to be below.
	P       float64 `json:"p"`
	Level   float64 `json:"level"`
	Verdict string  `json:"verdict"`
	// Reason says in one line why.
	Reason string `json:"reason"`
}

// Point is one run's figures as the cluster's history keeps them; a figure
// that was not measured is 0 and its samples are empty.
type Point struct {
	// Time is when the run began, RFC 3339 in UTC.
	Time     string `json:"time"`
	Commit   string `json:"commit,omitempty"`
	Revision string `json:"revision,omitempty"`
	// ColdStartMedianMs and ColdStartP95Ms summarise ColdStartMs.
	ColdStartMedianMs float64 `json:"cold-start-median-ms"`
	ColdStartP95Ms    float64 `json:"cold-start-p95-ms"`
	ReadySeconds      float64 `json:"ready-seconds"`
	WarmP50Ms         float64 `json:"warm-p50-ms"`
	// ColdStartMs are the counted cold starts' totals and WarmMs the warm
	// requests' times to first byte, whole milliseconds, for a rank test
	// against a later run.
	ColdStartMs []float64 `json:"cold-start-ms,omitempty"`
	WarmMs      []float64 `json:"warm-ms,omitempty"`
}

// Encode is r as indented JSON, as the report file holds it.
func Encode(r *Report) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the report: %w", err)
	}
	return append(b, '\n'), nil
}
