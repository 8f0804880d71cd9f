package app

import (
	"time"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/pipeline"
	"github.com/knative-preview/action/internal/report"
)

// report is the run's report: what ran where, with which versions, each
// stage's time and every measurement, whether the run failed or not.
func (s *runState) report(started time.Time, results []pipeline.Result, err error) *report.Report {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Time:          started.UTC().Format(time.RFC3339),
		Tool:          buildinfo.UserAgent(),
		Repository:    s.getenv("GITHUB_REPOSITORY"),
		Commit:        s.getenv("GITHUB_SHA"),
		Image:         report.ImageOf(s.cfg.Image),
		Cluster:       report.Cluster{Target: s.cfg.Cluster},
		Measure:       s.measured,
		OK:            err == nil,
	}
	if s.cluster != nil {
		r.Cluster.Context, r.Cluster.Created = s.cluster.Context, s.cluster.Created
		if s.cluster.Version != nil {
			r.Cluster.KubernetesVersion = s.cluster.Version.GitVersion
		}
	}
	if s.installed != nil {
		r.Knative = report.Knative{ServingVersion: s.installed.Versions.Serving, Ingress: s.installed.Ingress, IngressVersion: s.installed.Versions.Ingress}
	}
	if d := s.deployed; d != nil {
		r.Service = &report.Service{Name: d.Service, Namespace: d.Namespace, Revision: d.Revision, URL: d.URL, ReadySeconds: d.ReadySeconds}
	}
	for _, res := range results {
		st := report.Stage{Name: res.Name, Ran: res.Ran, Seconds: res.Duration.Seconds()}
		if res.Err != nil {
			st.Error = s.con.Redact(res.Err.Error())
		}
		r.Stages = append(r.Stages, st)
	}
	if m := s.measured; m != nil {
		r.Checks = report.Checks{Ran: true, Passed: len(m.Problems) == 0, Problems: m.Problems}
	}
	if err != nil {
		r.Error = s.con.Redact(err.Error())
	}
	return r
}
