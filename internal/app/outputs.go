package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/outputs"
)

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
	return errors.Join(errs...)
}

// measureOutputs writes what the measure stage reports.
func measureOutputs(out *outputs.Writer, rep *measure.Report) error {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	samples, err := json.Marshal(rep.Samples)
	if err != nil {
		return fmt.Errorf("encoding the samples: %w", err)
	}
	errs := []error{out.Set("cold-start-samples", string(samples))}
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
