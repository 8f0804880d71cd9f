package release

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/knative-preview/action/internal/input"
)

// DefaultServingVersion is the serving-version used when the input is empty:
// the newest minor whose facts (minimum Kubernetes) are checked here.
const DefaultServingVersion = "1.23"

// SpecAccepted describes the accepted forms of a serving-version, for
// input validation messages.
const SpecAccepted = "X.Y.Z (e.g. 1.23.2), X.Y for the newest patch of that minor (e.g. 1.23), or latest"

// specKind says how much of a version a Spec pins.
type specKind int

const (
	// kindExact is X.Y.Z: installed as given.
	kindExact specKind = iota + 1
	// kindMinor is X.Y: the newest patch release of that minor.
	kindMinor
	// kindLatest is the newest release.
	kindLatest
)

// Spec is a parsed serving-version.
type Spec struct {
	Kind specKind
	// Major, Minor and Patch are set as far as Kind pins them (Patch only
	// for KindExact, nothing for KindLatest).
	Major, Minor, Patch uint
}

// String returns the spec in its canonical form: X.Y.Z, X.Y or latest.
func (s Spec) String() string {
	switch s.Kind {
	case kindExact:
		return fmt.Sprintf("%d.%d.%d", s.Major, s.Minor, s.Patch)
	case kindMinor:
		return fmt.Sprintf("%d.%d", s.Major, s.Minor)
	case kindLatest:
		return "latest"
	}
	return "(no version)"
}

var specRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?$`)

// ParseSpec parses a serving-version: X.Y.Z, X.Y or latest. A leading v or
// knative-v (as in release tags) is tolerated, and surrounding spaces.
func ParseSpec(s string) (Spec, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "latest") {
		return Spec{Kind: kindLatest}, nil
	}
	switch {
	case strings.HasPrefix(t, TagPrefix):
		t = strings.TrimPrefix(t, TagPrefix)
	case strings.HasPrefix(t, "v"):
		t = strings.TrimPrefix(t, "v")
	}
	m := specRE.FindStringSubmatch(t)
	if m == nil {
		return Spec{}, specError(s, "is not a Knative version")
	}
	var n [3]uint
	for i, part := range m[1:] {
		if part == "" {
			continue
		}
		v, err := strconv.ParseUint(part, 10, 32)
		if err != nil {
			return Spec{}, specError(s, fmt.Sprintf("is not a Knative version: %q is too large", part))
		}
		n[i] = uint(v)
	}
	if n[0] == 0 {
		return Spec{}, specError(s, "is not a Knative version this action installs: releases before 1.0 are not supported")
	}
	spec := Spec{Kind: kindMinor, Major: n[0], Minor: n[1]}
	if m[3] != "" {
		spec.Kind = kindExact
		spec.Patch = n[2]
	}
	return spec, nil
}

// specError is a problem with the serving-version input.
func specError(value, problem string) error {
	return &input.Error{Input: "serving-version", Value: value, Problem: problem, Accepted: SpecAccepted}
}
