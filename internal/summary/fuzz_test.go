package summary

import (
	"testing"
	"time"

	"github.com/knative-preview/action/internal/report"
)

// Job and Comment over a report whose text from outside (the error, a
// stage's name, the samples' pods, reasons and images, the commit, the
// URLs, where the baseline came from) is anything: the job summary stays
// under 1 MiB and the comment under 65536 bytes, and every table keeps
// its columns, every code block is closed, nothing outside code reads as
// HTML or a link of the text's choosing, and every chart is well formed
// (checkRendered, as TestHostileText).
func FuzzRender(f *testing.F) {
	r := succeeded()
	s := r.Measure.Samples[3]
	f.Add(uint8(0), "", r.Stages[0].Name, s.Pod, s.Reason, s.Image, r.Commit, r.Service.URL, r.Comparison.Baseline)
	f.Add(uint8(1), diagnosis, "install", "controller-7d9f-abcde", "a draining pod answered", "ghcr.io/octo/app@sha256:"+r.Commit+r.Commit[:24], "0123456", "https://github.com/octo/app/actions/runs/42", "report file main/report.json (commit 0123456, 2026-03-01T12:00:00Z)")
	for shape := range uint8(4) {
		f.Add(shape, hostile, hostile, hostile, hostile, hostile, hostile, hostile, hostile)
	}
	f.Add(uint8(3), "a\\|b", "a\\|b", "a\\|b", "a\\|b", "a\\|b", "a\\|b", "http://a/\\|b", "a\\|b")
	f.Add(uint8(0), "", "", "", "", "", `\`, "http://x.example/<b>", "")
	f.Add(uint8(2), "````\n```", "`", "``", "```", "\\", "`\\`", "https://x.example/``", "<!-- -->")
	f.Fuzz(func(t *testing.T, shape uint8, errText, stage, pod, reason, image, commit, url, source string) {
		r := succeeded()
		r.Stages[0].Name = stage
		r.Image = report.ImageOf(image)
		r.Commit, r.PullRequest.HeadSHA = commit, commit
		r.Service.URL = url
		for i := range r.Measure.Samples {
			s := &r.Measure.Samples[i]
			s.Pod, s.Reason, s.Image = pod, reason, image
		}
		r.Comparison.Baseline = source
		for i := range r.Trend {
			r.Trend[i].Commit = commit
		}
		if shape&1 == 1 {
			r.OK, r.Error = false, errText
			r.Stages[0].Error = errText
		}
		c := CommentContext{RunURL: url}
		if shape&2 == 2 {
			c.Removed, c.Service, c.Namespace, c.Tag = time.Unix(0, 0), stage, pod, image
		}
		job := Job(r, map[string]string{"url": url, "service": stage, "context": image})
		if len(job) >= 1<<20 {
			t.Fatalf("the job summary is %d bytes, want under 1 MiB", len(job))
		}
		checkRendered(t, job)
		comment := Comment(r, c)
		if len(comment) >= 65536 {
			t.Fatalf("the comment is %d bytes, want under 65536", len(comment))
		}
		checkRendered(t, comment)
	})
}
