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
	// Service is what the deploy stage deployed; nil when it did not run.
	Service *Service `json:"service"`
	Stages  []Stage  `json:"stages"`
	// Measure is the measure stage's report; nil when it did not run.
	Measure *measure.Report `json:"measure"`
	Checks  Checks          `json:"checks"`
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
}

// Encode is r as indented JSON, as the report file holds it.
func Encode(r *Report) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the report: %w", err)
	}
	return append(b, '\n'), nil
}
