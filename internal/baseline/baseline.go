// Package baseline finds what a run's figures are compared with: the
// report file of an earlier run (the main branch's, say), or the recent
// runs in the cluster's history of this service or another.
package baseline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/regression"
	"github.com/knative-preview/action/internal/report"
)

// historyValue is the baseline input's value that compares with the
// cluster's history.
const historyValue = "history"

// Inputs are the inputs of the baseline.
var Inputs = []input.Def{
	{
		Name:        "baseline",
		Description: "What this run's figures are compared with. A path, relative to the workspace, of the report file of an earlier run (e.g. the main branch's, downloaded with actions/download-artifact); a missing file is a warning and no comparison, as on the first run. history: the recent runs of this service (or of baseline-service) in the cluster's history (a file named history: ./history). Empty: no comparison.",
	},
	{
		Name:        "baseline-service",
		Description: "With baseline: history, the service whose history to compare with, in the same namespace, e.g. the main branch's service when previewing a pull request. A tagged preview's history is <service>.<tag>. Empty: this run's service (with a tag, its preview).",
	},
}

// recentRuns is how many of the latest runs in a history are pooled into
// the baseline: enough samples for the rank test, recent enough to be
// today's normal.
const recentRuns = 10

// maxFileSize bounds the report file read.
const maxFileSize = 64 << 20

// ErrNone is wrapped by Load's error when there is nothing to compare with
// yet (a report file not written, an empty history): a warning, and no
// comparison this run.
var ErrNone = errors.New("no baseline to compare with")

// Options say where the baseline is.
type Options struct {
	// File is the report file's path, as this process sees it; empty
	// when the baseline is not a file.
	File string
	// History is true for the cluster's history of Service.
	History bool
	// Service is whose history to read; empty: the run's service.
	Service string
}

// Active reports whether a baseline was asked for.
func (o Options) Active() bool { return o.File != "" || o.History }

// Parse reads the baseline inputs. A report file's path is mapped into the
// container's workspace and must be in it; whether it exists is known only
// when Load reads it.
func Parse(r *input.Reader) Options {
	var o Options
	switch v := r.String("baseline"); {
	case strings.EqualFold(v, historyValue):
		o.History = true
	case v != "":
		o.File = r.Path(v)
		if !r.InWorkspace("baseline", o.File) {
			o.File = ""
		}
	}
	svc := r.String("baseline-service")
	switch {
	case svc == "":
	case history.CheckName(svc) != nil:
		r.Bad("baseline-service", svc, "is not a Knative Service name, nor a tagged preview's <service>.<tag>",
			fmt.Sprintf("lower-case letters, digits and '-', starting with a letter, ending with a letter or digit, at most %d characters; or two such names joined by '.'", validation.DNS1035LabelMaxLength))
	case !o.History:
		r.Warn("baseline-service", "is ignored: it names the service whose history baseline: history compares with, and baseline is not history")
	default:
		o.Service = svc
	}
	return o
}

// Load returns the baseline's samples and says where they came from, for
// regression.Compare and the comparison's Baseline. namespace and service
// are the run's; from the history, Load pools the last runs of service (or
// of o.Service), so call it before this run is recorded there. Its error
// wraps ErrNone when there is nothing to compare with yet.
func Load(ctx context.Context, o Options, cs kubernetes.Interface, namespace, service string) (regression.Samples, string, error) {
	switch {
	case o.History:
		return fromHistory(ctx, cs, namespace, cmp.Or(o.Service, service))
	case o.File != "":
		return fromFile(o.File)
	}
	return regression.Samples{}, "", fmt.Errorf("%w: the baseline input is empty", ErrNone)
}

func fromHistory(ctx context.Context, cs kubernetes.Interface, namespace, service string) (regression.Samples, string, error) {
	ps, err := history.Read(ctx, cs, namespace, service)
	if err != nil {
		return regression.Samples{}, "", fmt.Errorf("reading the baseline: %w", err)
	}
	if len(ps) == 0 {
		return regression.Samples{}, "", fmt.Errorf("%w: service %s has no history in namespace %s yet (runs with history on keep it)", ErrNone, service, namespace)
	}
	recent := ps[max(0, len(ps)-recentRuns):]
	source := fmt.Sprintf("the last %d runs of service %s in the cluster's history", len(recent), service)
	if len(recent) == 1 {
		source = fmt.Sprintf("the last run of service %s in the cluster's history", service)
	}
	return regression.SamplesOfPoints(recent), source, nil
}

func fromFile(path string) (regression.Samples, string, error) {
	r, err := readReport(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return regression.Samples{}, "", fmt.Errorf("%w: report file %s does not exist (a workflow's first run has none; check the path and the step that downloads it)", ErrNone, path)
	case err != nil:
		return regression.Samples{}, "", err
	}
	source := "report file " + path
	var about []string
	if c := r.Commit; c != "" {
		about = append(about, "commit "+c[:min(len(c), 7)])
	}
	if r.Time != "" {
		about = append(about, r.Time)
	}
	if !r.OK {
		about = append(about, "a run that failed")
	}
	if len(about) > 0 {
		source += " (" + strings.Join(about, ", ") + ")"
	}
	s := regression.SamplesOf(r)
	if what := negative(s); what != "" {
		return regression.Samples{}, "", fmt.Errorf("baseline report %s has a negative %s time: not a report of %s; give the report file an earlier run wrote", path, what, buildinfo.Name)
	}
	return s, source, nil
}

// negative names the first kind of samples in s with a negative time; ""
// when none has one. A report's numbers are finite (JSON has no others),
// and a time this program measured is never negative.
func negative(s regression.Samples) string {
	for _, kind := range []struct {
		name string
		ms   []float64
	}{{"cold start", s.ColdStartMs}, {"ready", s.ReadyMs}, {"warm request", s.WarmMs}} {
		if slices.ContainsFunc(kind.ms, func(v float64) bool { return v < 0 }) {
			return kind.name
		}
	}
	return ""
}

// readReport reads a report file: one of this program's, of a schema
// version it knows.
func readReport(path string) (*report.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the baseline report: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the baseline report %s: %w", path, err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("baseline report %s is larger than %d MiB: not a report of %s", path, maxFileSize>>20, buildinfo.Name)
	}
	// The version first: a newer schema may not decode as this one.
	var v struct {
		SchemaVersion *int `json:"schema-version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("baseline report %s is not JSON (%v): give the report file an earlier run of %s wrote", path, err, buildinfo.Name)
	}
	switch {
	case v.SchemaVersion == nil || *v.SchemaVersion < 1:
		return nil, fmt.Errorf("baseline %s is not a report of %s (it has no schema-version): give the report file an earlier run wrote", path, buildinfo.Name)
	case *v.SchemaVersion > report.SchemaVersion:
		return nil, fmt.Errorf("baseline report %s has schema version %d, newer than this %s reads (up to %d): compare with a report of the same version, or update this step's version to the one that wrote it", path, *v.SchemaVersion, buildinfo.Name, report.SchemaVersion)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("baseline report %s does not read as a report of schema version %d: %v", path, *v.SchemaVersion, err)
	}
	return &r, nil
}
