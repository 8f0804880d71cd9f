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
	// RemovedBy says who removed the preview and why, after the date:
	// "by the scheduled sweep: pull request closed"; empty for the pull
	// request's own run.
	RemovedBy string
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
	case r.Reachability != nil && !r.Reachability.Reachable:
		writeTested(&b, r, c)
	default:
		writeReady(&b, r, c)
	}
	return b.String()
}

// writeReady writes where the preview is, as a link, and how it did.
func writeReady(b *strings.Builder, r *report.Report, c CommentContext) {
	b.WriteString("### Preview ready\n\n")
	if s := r.Service; s != nil && s.URL != "" {
		b.WriteString(link(s.URL) + "\n\n")
	}
	writeFigures(b, r)
	writeRunLink(b, c.RunURL)
}

// writeTested writes how a preview that no one outside can reach did: its
// address as text, not a link that leads nowhere, why there is no link and
// how to get one, and every figure with the smoke check's verdict.
func writeTested(b *strings.Builder, r *report.Report, c CommentContext) {
	b.WriteString("### Preview tested\n\n")
	v := r.Reachability
	fmt.Fprintf(b, "No link: %s; %s.\n\n", clause(v.Why), clause(v.Fix))
	if s := r.Service; s != nil && s.URL != "" {
		fmt.Fprintf(b, "- address (not reachable from outside) %s\n", code(s.URL, urlMax))
	}
	b.WriteString(smokeLine(r))
	if m := r.Measure; m != nil && m.Warm.N > 0 {
		fmt.Fprintf(b, "- warm requests: median time to first byte %s, n = %d\n", ms(m.Warm.Median), m.Warm.N)
	}
	writeFigures(b, r)
	writeRunLink(b, c.RunURL)
}

// smokeLine is the smoke check's verdict, as a list item.
func smokeLine(r *report.Report) string {
	switch {
	case !r.Checks.Ran:
		return "- smoke check: not run (no request was asked for, or the Service is cluster-local)\n"
	case r.Checks.Passed:
		n := len(r.Measure.Samples) + r.Measure.Warm.N
		return fmt.Sprintf("- smoke check: **passed** (%d request(s), each answered as expected)\n", n)
	}
	return fmt.Sprintf("- smoke check: **failed** (%d problem(s))\n", len(r.Checks.Problems))
}

// clause is a sentence as a clause: without its final stop and, unless it
// starts with a name, its capital.
func clause(s string) string {
	s = text(strings.TrimSuffix(strings.TrimSpace(s), "."), urlMax)
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && (s[1] < 'A' || s[1] > 'Z') {
		s = strings.ToLower(s[:1]) + s[1:]
	}
	return s
}

// writeFigures writes the preview's service, commit, versions and times,
// the cold starts' verdict and the comparison with a baseline.
func writeFigures(b *strings.Builder, r *report.Report) {
	s := r.Service
	if s != nil {
		fmt.Fprintf(b, "- service %s in %s", code(s.Name, cellMax), code(s.Namespace, cellMax))
		if s.Revision != "" {
			fmt.Fprintf(b, ", revision %s", code(s.Revision, cellMax))
		}
		b.WriteString("\n")
	}
	if sha := r.HeadCommit(); sha != "" {
		fmt.Fprintf(b, "- commit %s\n", code(ShortSHA(sha), cellMax))
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
	writeServices(b, "", r)
	if v := threshold(r); v != "" {
		b.WriteString("\n" + v + "\n")
	}
	if r.Comparison != nil {
		b.WriteString("\n**This run vs baseline.** ")
		writeComparison(b, r.Comparison)
	}
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
		fmt.Fprintf(b, " for commit %s", code(ShortSHA(sha), cellMax))
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
	if c.RemovedBy != "" {
		b.WriteString(" " + text(c.RemovedBy, cellMax))
	}
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
