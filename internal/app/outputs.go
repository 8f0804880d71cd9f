package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/install"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/pipeline"
	"github.com/knative-preview/action/internal/reachable"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/sweep"
)

// setOutputs writes what the stages found, whether or not the run
// failed: what was found before a failure still reaches the caller.
// results are the stages' results, for the install stage's time.
func (s *runState) setOutputs(results []pipeline.Result) error {
	var errs []error
	f := s.found()
	if cl := f.cluster; cl != nil {
		var extra map[string]string
		if p, ok := s.cluster.Target.(cluster.OutputsProvider); ok {
			extra = p.Outputs()
		}
		errs = append(errs, clusterOutputs(s.out, cl, extra))
	}
	if res := f.installed; res != nil {
		errs = append(errs, installOutputs(s.out, res, results))
	}
	if res := f.deployed; res != nil {
		errs = append(errs, deployOutputs(s.out, res, f.cluster))
	}
	if v := f.reach; v != nil {
		errs = append(errs, reachOutputs(s.out, v))
	}
	if rep := f.measured; rep != nil {
		errs = append(errs, measureOutputs(s.out, rep))
	}
	if c := f.comparison; c != nil {
		errs = append(errs, compareOutputs(s.out, c))
	}
	if s.sweep != nil {
		errs = append(errs, sweepOutputs(s.out, s.sweep.Removed()))
	}
	return errors.Join(errs...)
}

// clusterOutputs writes what the cluster stage reports; extra are the
// target's own outputs (kind: the kubeconfig it wrote for later steps).
func clusterOutputs(out *outputs.Writer, c *cluster.Cluster, extra map[string]string) error {
	errs := []error{
		out.Set("kubernetes-version", c.Version.GitVersion),
		out.Set("context", c.Context),
	}
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		errs = append(errs, out.Set(name, extra[name]))
	}
	return errors.Join(errs...)
}

// installOutputs writes what the install stage reports.
func installOutputs(out *outputs.Writer, res *install.Result, results []pipeline.Result) error {
	errs := []error{
		out.Set("knative-version", res.Versions.Serving),
		out.Set("ingress", res.Ingress),
		out.Set("ingress-version", res.Versions.Ingress),
		out.Set("domain", res.Domain),
	}
	for _, r := range results {
		if r.Name == "install" {
			errs = append(errs, out.Set("install-seconds", strconv.FormatFloat(r.Duration.Seconds(), 'f', 1, 64)))
		}
	}
	return errors.Join(errs...)
}

// compareOutputs writes the verdict of the comparison and its figures.
func compareOutputs(out *outputs.Writer, c *report.Comparison) error {
	figures, err := json.Marshal(c.Figures)
	if err != nil {
		return fmt.Errorf("encoding the compared figures: %w", err)
	}
	return errors.Join(out.Set("regression", c.Verdict), out.Set("regression-figures", string(figures)))
}

// deployOutputs writes what the deploy stage reports; host-url is written
// where the cluster target gives the runner's host a way to the ingress.
func deployOutputs(out *outputs.Writer, res *deploy.Result, cl *cluster.Cluster) error {
	errs := []error{
		out.Set("service", res.Service),
		out.Set("namespace", res.Namespace),
	}
	if res.URL != "" {
		errs = append(errs, out.Set("url", res.URL))
		if h := cl.HostURL(res.URL); h != "" {
			errs = append(errs, out.Set("host-url", h))
		}
	}
	if res.Revision != "" {
		errs = append(errs, out.Set("revision", res.Revision), out.Set("ready-seconds", strconv.FormatFloat(res.ReadySeconds, 'f', 1, 64)))
	}
	if len(res.Services) > 0 {
		urls := map[string]string{}
		for _, s := range res.Services {
			urls[s.Service] = s.URL
		}
		data, err := json.Marshal(urls) // keys sorted: the same app gives the same value
		if err != nil {
			return fmt.Errorf("encoding the Services' URLs: %w", err)
		}
		errs = append(errs, out.Set("urls", string(data)))
	}
	return errors.Join(errs...)
}

// reachOutputs writes whether a reviewer can reach the preview, and why
// not with how to make it so.
func reachOutputs(out *outputs.Writer, v *reachable.Verdict) error {
	return errors.Join(out.Set("reachable", strconv.FormatBool(v.Reachable)), out.Set("reachable-why", strings.TrimSpace(v.Why+" "+v.Fix)))
}

// sweepOutputs writes what the sweep removed (in a dry run, would remove).
func sweepOutputs(out *outputs.Writer, removed []sweep.Removal) error {
	if removed == nil {
		removed = []sweep.Removal{}
	}
	data, err := json.Marshal(removed)
	if err != nil {
		return fmt.Errorf("encoding what the sweep removed: %w", err)
	}
	return out.Set("removed", string(data))
}

// measureOutputs writes what the measure stage reports.
func measureOutputs(out *outputs.Writer, rep *measure.Report) error {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	samples, err := json.Marshal(rep.Samples)
	if err != nil {
		return fmt.Errorf("encoding the samples: %w", err)
	}
	errs := []error{out.Set("cold-start-samples-json", string(samples))}
	if rep.Cold.N > 0 {
		errs = append(errs, out.Set("cold-start-ms", f(rep.Cold.Median)), out.Set("cold-start-p95-ms", f(rep.Cold.P95)))
	}
	if rep.FirstWithPull != nil {
		errs = append(errs, out.Set("cold-start-first-ms", f(rep.FirstWithPull.TotalMs)))
	}
	if rep.Warm.N > 0 {
		errs = append(errs, out.Set("warm-p50-ms", f(rep.Warm.Median)))
	}
	return errors.Join(errs...)
}
