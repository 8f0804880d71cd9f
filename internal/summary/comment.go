package summary

import (
	"fmt"
	"strings"
	"time"

	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/report"
)

// Marker is the first line of the pull request's comment, hidden when
// rendered: the comment is found again by it and edited in place.
const Marker = "<!-- knative-preview:preview -->"

// commentErrorMax is the longest error a comment quotes, in bytes; the
// job summary has the rest.
const commentErrorMax = 4 << 10

// CommentContext is what a comment says besides the report.
type CommentContext struct {
	// RunURL is the workflow run's page; "" leaves the link out.
	RunURL string
	// Removed is when the preview was removed; zero when it was not.
	Removed time.Time
	// Service and Namespace name the removed preview, which the report
	// of a removal does not (it deploys nothing).
	Service, Namespace string
	// Tag is the removed preview's traffic tag; its Service stays.
	Tag string
}

// Comment is the body of the pull request's comment about the run r: the
// preview's URL and figures, why it failed, or that it was removed. It
// begins with Marker.
func Comment(r *report.Report, c CommentContext) string {
	if r == nil {
		r = &report.Report{}
	}
	var b strings.Builder
	b.WriteString(Marker + "\n")
	switch {
	case !r.OK && !c.Removed.IsZero():
		b.WriteString("### Removing the preview failed\n\n")
		writeCommentFailure(&b, r, c)
	case !r.OK:
		b.WriteString("### Preview failed\n\n")
		writeCommentFailure(&b, r, c)
	case !c.Removed.IsZero():
		writeRemoved(&b, c)
	default:
		writeReady(&b, r, c)
	}
	return b.String()
}

// writeReady writes where the preview is and how it did.
func writeReady(b *strings.Builder, r *report.Report, c CommentContext) {
	b.WriteString("### Preview ready\n\n")
	s := r.Service
	if s != nil && s.URL != "" {
		b.WriteString(link(s.URL) + "\n\n")
	}
	if s != nil {
		fmt.Fprintf(b, "- service %s in %s", code(s.Name, cellMax), code(s.Namespace, cellMax))
		if s.Revision != "" {
			fmt.Fprintf(b, ", revision %s", code(s.Revision, cellMax))
		}
		b.WriteString("\n")
	}
	if sha := r.HeadCommit(); sha != "" {
		fmt.Fprintf(b, "- commit %s\n", code(short(sha), cellMax))
	}
	if k := r.Knative; k.ServingVersion != "" {
		fmt.Fprintf(b, "- Knative Serving %s", code(k.ServingVersion, cellMax))
		if k.Ingress != "" {
			fmt.Fprintf(b, ", ingress %s %s", code(k.Ingress, cellMax), code(k.IngressVersion, cellMax))
		}
		b.WriteString("\n")
	}
	if s != nil && s.ReadySeconds > 0 {
		fmt.Fprintf(b, "- ready in %s\n", seconds(s.ReadySeconds))
	}
	fmt.Fprintf(b, "- cold start: %s\n", coldStartLine(r.Measure))
	writeServices(b, "", r.Services)
	if v := threshold(r); v != "" {
		b.WriteString("\n" + v + "\n")
	}
	if r.Comparison != nil {
		b.WriteString("\n**This run vs baseline.** ")
		writeComparison(b, r.Comparison)
	}
	writeRunLink(b, c.RunURL)
}

// coldStartLine says the cold start figures in one line, or plainly that
// there are none.
func coldStartLine(m *measure.Report) string {
	switch {
	case m == nil:
		return "not measured in this run"
	case len(m.Samples) == 0:
		return "not measured (samples: 0)"
	case m.Cold.N == 0:
		return fmt.Sprintf("none of the %d samples was a cold start", len(m.Samples))
	}
	line := fmt.Sprintf("median **%s**, p95 %s, n = %d", ms(m.Cold.Median), ms(m.Cold.P95), m.Cold.N)
	if m.FirstWithPull != nil {
		line += fmt.Sprintf(" (the first, which pulled the image, took %s and is not counted)", ms(m.FirstWithPull.TotalMs))
	}
	return line
}

// writeCommentFailure writes which stage failed, why, and where the run's
// log is.
func writeCommentFailure(b *strings.Builder, r *report.Report, c CommentContext) {
	stage, reason := failure(r)
	if stage != "" {
		fmt.Fprintf(b, "Stage %s failed", code(stage, cellMax))
	} else {
		b.WriteString("The run failed")
	}
	if sha := r.HeadCommit(); sha != "" {
		fmt.Fprintf(b, " for commit %s", code(short(sha), cellMax))
	}
	if reason == "" {
		b.WriteString(".\n")
	} else {
		b.WriteString(":\n\n" + block(reason, commentErrorMax))
	}
	writeRunLink(b, c.RunURL)
}

// writeRemoved writes that the preview was removed, when, and its last
// URL struck through.
func writeRemoved(b *strings.Builder, c CommentContext) {
	name, ns := c.Service, c.Namespace
	b.WriteString("### Preview removed\n\nThe preview")
	if c.Tag != "" {
		fmt.Fprintf(b, " tagged %s", code(c.Tag, cellMax))
	}
	if name != "" {
		if c.Tag != "" {
			b.WriteString(" on the Service")
		}
		fmt.Fprintf(b, " %s", code(name, cellMax))
		if ns != "" {
			fmt.Fprintf(b, " in %s", code(ns, cellMax))
		}
	}
	fmt.Fprintf(b, " was removed on %s UTC", c.Removed.UTC().Format("2006-01-02 at 15:04"))
	if c.Tag != "" {
		b.WriteString("; the Service and its other tags stay")
	}
	b.WriteString(".\n")
	writeRunLink(b, c.RunURL)
}

// writeRunLink links the workflow run, when known.
func writeRunLink(b *strings.Builder, u string) {
	if u != "" {
		fmt.Fprintf(b, "\n%s has the whole log.\n", linkNamed("The workflow run", u))
	}
}
