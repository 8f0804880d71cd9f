package release

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
)

// kubernetesMinimum is one row of the table: the oldest Kubernetes a Knative
// minor runs on.
type kubernetesMinimum struct {
	knative    string // X.Y
	kubernetes string // X.Y.Z
}

// kubernetesMinimums is the table, oldest Knative first, read from the
// version package of knative.dev/pkg of each release. Knative's own pods
// refuse to start below it. A new row is added once it has been checked.
func kubernetesMinimums() []kubernetesMinimum {
	return []kubernetesMinimum{
		{"1.19", "1.32.0"},
		{"1.20", "1.32.0"},
		{"1.21", "1.33.0"},
		{"1.22", "1.34.0"},
		{"1.23", "1.34.0"},
	}
}

// minimumKubernetes returns the oldest Kubernetes version (X.Y.Z) Knative
// Serving servingVersion (X.Y or X.Y.Z) runs on; known is false when the
// table has no row for its minor.
func minimumKubernetes(servingVersion string) (minimum string, known bool, err error) {
	sv, err := parseServing(servingVersion)
	if err != nil {
		return "", false, err
	}
	for _, row := range kubernetesMinimums() {
		if version.MustParseGeneric(row.knative).EqualTo(version.MajorMinor(sv.Major(), sv.Minor())) {
			return row.kubernetes, true, nil
		}
	}
	return "", false, nil
}

// tooOldError is a cluster whose Kubernetes is older than the Knative
// release's minimum.
type tooOldError struct {
	Serving string // the Knative Serving release
	Minimum string // its minimum Kubernetes, X.Y.Z
	Server  string // the API server's gitVersion
	// Fits is the newest Knative minor in the table that runs on Server, or
	// empty when none does.
	Fits string
}

func (e *tooOldError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Knative Serving %s needs Kubernetes %s or newer, but the cluster runs %s: use a cluster with Kubernetes %s or newer", e.Serving, e.Minimum, e.Server, e.Minimum)
	if e.Fits != "" {
		fmt.Fprintf(&b, ", or set serving-version to %s (the newest Knative release known to run on it)", e.Fits)
	} else {
		oldest := kubernetesMinimums()[0]
		fmt.Fprintf(&b, " (no Knative release this action knows runs on it; the oldest, %s, needs Kubernetes %s)", oldest.knative, oldest.kubernetes)
	}
	return b.String()
}

// CheckKubernetes refuses, with a *TooOldError, a cluster whose Kubernetes
// (serverGitVersion, as /version reports it, e.g. v1.34.3+k3s1) is older
// than the minimum of Knative Serving servingVersion (X.Y.Z or X.Y).
// Pre-releases and vendor suffixes of the minimum's patch are accepted, as
// Knative does.
//
// When the check cannot be made (a Knative minor the table does not know, a
// server version that does not parse), err is nil and warning says so; the
// caller shows it and goes on.
func CheckKubernetes(servingVersion, serverGitVersion string) (warning string, err error) {
	sv, err := parseServing(servingVersion)
	if err != nil {
		return "", fmt.Errorf("checking the minimum Kubernetes version: %w", err)
	}
	minimum, known, _ := minimumKubernetes(servingVersion)
	if !known {
		rows := kubernetesMinimums()
		return fmt.Sprintf("the minimum Kubernetes version of Knative Serving %s is not known here (known: %s to %s); not checked: if the cluster (%s) is too old, Knative's pods will not start",
			sv, rows[0].knative, rows[len(rows)-1].knative, serverGitVersion), nil
	}
	server, err := parseServer(serverGitVersion)
	if err != nil {
		return fmt.Sprintf("the cluster's Kubernetes version %q does not parse (%v); not checked against Knative Serving %s's minimum, Kubernetes %s", serverGitVersion, err, sv, minimum), nil
	}
	if server.AtLeast(version.MustParseGeneric(minimum)) {
		return "", nil
	}
	e := &tooOldError{Serving: sv.String(), Minimum: minimum, Server: serverGitVersion}
	rows := kubernetesMinimums()
	for i := len(rows) - 1; i >= 0; i-- {
		if server.AtLeast(version.MustParseGeneric(rows[i].kubernetes)) {
			e.Fits = rows[i].knative
			break
		}
	}
	return "", e
}

// parseServing parses a Knative Serving version, X.Y.Z or X.Y, with an
// optional v or knative-v prefix.
func parseServing(s string) (*version.Version, error) {
	spec, err := ParseSpec(s)
	if err != nil {
		return nil, err
	}
	switch spec.Kind {
	case kindExact:
		return version.MajorMinor(spec.Major, spec.Minor).WithPatch(spec.Patch), nil
	case kindMinor:
		return version.MajorMinor(spec.Major, spec.Minor), nil
	}
	return nil, fmt.Errorf("%q is not a resolved Knative version (X.Y.Z or X.Y)", s)
}

// parseServer parses an API server gitVersion, keeping only its numbers so
// that v1.34.0-rc.1, v1.34.0+k3s1 and v1.34.0-eks-1 all count as 1.34.0.
func parseServer(s string) (*version.Version, error) {
	v, err := version.ParseGeneric(s)
	if err != nil {
		return nil, err
	}
	c := v.Components()
	if len(c) < 3 {
		return version.MajorMinor(c[0], c[1]), nil
	}
	return version.MajorMinor(c[0], c[1]).WithPatch(c[2]), nil
}
