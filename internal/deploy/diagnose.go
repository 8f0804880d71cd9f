package deploy

import (
	"fmt"
	"strings"

	"knative.dev/pkg/apis"

	"github.com/knative-preview/action/internal/kube"
)

// summary is one progress line about where the wait stands.
func (s *state) summary() string {
	var parts []string
	if !s.observed() {
		parts = append(parts, fmt.Sprintf("Knative has not processed generation %d yet", s.svc.Generation))
	} else {
		parts = append(parts, describeCondition(s.ready()))
	}
	if s.revision == "" {
		parts = append(parts, "new revision not created yet")
	} else {
		parts = append(parts, "revision "+s.revision+": "+s.describePods())
	}
	return strings.Join(parts, "; ")
}

// diagnose says everything the last look knew, for a timeout.
func (s *state) diagnose() string {
	var parts []string
	if !s.observed() {
		parts = append(parts, fmt.Sprintf("Knative has not processed generation %d of the Service (observed: %d): is Knative Serving's controller running (kubectl get pods -n knative-serving)?",
			s.svc.Generation, s.svc.Status.ObservedGeneration))
	} else {
		parts = append(parts, describeCondition(s.ready()))
		for _, c := range s.svc.Status.Conditions {
			if c.Type != apis.ConditionReady && !c.IsTrue() {
				parts = append(parts, describeCondition(&c))
			}
		}
	}
	switch {
	case s.revision == "":
		parts = append(parts, "no revision of this deploy exists yet")
	default:
		if s.rev == nil {
			parts = append(parts, "revision "+s.revision+" does not exist yet")
		} else {
			for _, c := range s.rev.Status.Conditions {
				if !c.IsTrue() {
					parts = append(parts, "revision "+s.revision+" "+describeCondition(&c))
				}
			}
		}
		parts = append(parts, "pods: "+s.describePods())
	}
	if n := len(s.events); n > 0 {
		var evs []string
		for _, e := range s.events[max(0, n-3):] {
			evs = append(evs, fmt.Sprintf("%s %s: %s: %s", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, strings.TrimSpace(e.Message)))
		}
		parts = append(parts, "recent warnings: "+strings.Join(evs, " | "))
	}
	parts = append(parts, s.notes...)
	return strings.Join(parts, "; ")
}

// describePods says, for each pod, its phase and what keeps it from
// running and being ready.
func (s *state) describePods() string {
	if len(s.pods) == 0 {
		return "no pods yet (kubectl describe deployment " + s.revision + "-deployment)"
	}
	var out []string
	for _, p := range s.pods {
		out = append(out, p.Name+" "+kube.DescribePod(&p))
	}
	return strings.Join(out, " | ")
}

func describeCondition(c *apis.Condition) string {
	if c == nil {
		return "no Ready condition yet"
	}
	d := fmt.Sprintf("%s=%s", c.Type, c.Status)
	if c.Reason != "" {
		d += " " + c.Reason
	}
	if c.Message != "" {
		d += ": " + c.Message
	}
	return d
}
