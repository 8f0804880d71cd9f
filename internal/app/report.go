package app

import (
	"encoding/json"
	"time"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/pipeline"
	"github.com/knative-preview/action/internal/report"
)

// report is the run's report: what ran where, with which versions, each
// stage's time and every measurement, whether the run failed or not. It is
// what the report file, the job summary and the pull request's comment
// say, so the run's secrets are removed from all of it: a failed check
// may quote what the service answered, a secret-env value among it.
func (s *runState) report(f found, results []pipeline.Result, err error) *report.Report {
	r := s.rawReport(f, results, err)
	var redacted report.Report
	data, eerr := report.Encode(r)
	if eerr == nil {
		data, eerr = s.con.RedactJSON(data)
	}
	if eerr == nil {
		eerr = json.Unmarshal(data, &redacted)
	}
	if eerr != nil {
		// Never the raw report: what is not known to be clean is left out.
		s.con.Warnf("the run's report holds only its outcome: %v", eerr)
		return &report.Report{SchemaVersion: report.SchemaVersion, Time: r.Time, Tool: r.Tool, Stages: r.Stages, OK: r.OK, Error: r.Error}
	}
	return &redacted
}

func (s *runState) rawReport(f found, results []pipeline.Result, err error) *report.Report {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Time:          s.started.UTC().Format(time.RFC3339),
		Tool:          buildinfo.UserAgent(),
		Repository:    s.getenv("GITHUB_REPOSITORY"),
		Commit:        s.getenv("GITHUB_SHA"),
		Image:         report.ImageOf(s.cfg.Image),
		Cluster:       report.Cluster{Target: string(s.cfg.Cluster)},
		Measure:       f.measured,
		OK:            err == nil,
	}
	if cl := f.cluster; cl != nil {
		r.Cluster.Context, r.Cluster.Created = cl.Context, cl.Created
		if cl.Version != nil {
			r.Cluster.KubernetesVersion = cl.Version.GitVersion
		}
	}
	if in := f.installed; in != nil {
		r.Knative = report.Knative{ServingVersion: in.Versions.Serving, Ingress: in.Ingress, IngressVersion: in.Versions.Ingress}
	}
	r.Service, r.Services = f.serviceReport(), f.servicesReport()
	r.Reachability = f.reach
	r.Comparison, r.Trend = f.comparison, f.trend
	for _, res := range results {
		st := report.Stage{Name: res.Name, Ran: res.Ran, Seconds: res.Duration.Seconds()}
		if res.Err != nil {
			st.Error = s.con.Redact(res.Err.Error())
		}
		r.Stages = append(r.Stages, st)
	}
	if m := f.measured; m != nil {
		r.Checks = report.Checks{Ran: true, Passed: len(m.Problems) == 0, Problems: m.Problems, ColdStartMaxMs: s.cfg.Measure.MaxMedianMs}
	}
	if ev := s.cfg.Event; ev != nil && ev.PullRequest != nil {
		pr := ev.PullRequest
		r.PullRequest = &report.PullRequest{Number: pr.Number, Action: pr.Action, HeadSHA: pr.HeadSHA, Fork: pr.Fork}
	}
	if err != nil {
		r.Error = s.con.Redact(err.Error())
	}
	return r
}
