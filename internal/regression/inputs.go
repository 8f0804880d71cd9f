package regression

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/report"
)

// Defaults of the inputs.
const (
	// DefaultMaxRegressionPercent is the change, in percent of the
	// baseline's figure, below which nothing is flagged.
	DefaultMaxRegressionPercent = 25.0
	// DefaultFloorMs is the change in milliseconds below which nothing is
	// flagged, however large in percent (10 ms to 20 ms is not news).
	DefaultFloorMs = 100.0
)

// Inputs are the inputs of the regression verdict.
var Inputs = []input.Def{
	{
		Name:        "max-regression",
		Default:     strconv.FormatFloat(DefaultMaxRegressionPercent, 'f', -1, 64),
		Description: "A figure counts as slower (or faster) than the baseline only when it changed by more than this percentage of the baseline's, e.g. 25 or 25%, and by more than regression-floor-ms, and a rank test (Mann-Whitney U at 5%) finds the change clear.",
	},
	{
		Name:        "regression-floor-ms",
		Default:     strconv.FormatFloat(DefaultFloorMs, 'f', -1, 64),
		Description: "A figure counts as slower (or faster) only when it changed by more than this many milliseconds, however large the change in percent.",
	},
	{
		Name:        "fail-on-regression",
		Bool:        true,
		Default:     "false",
		Description: "Fail the job, with the figures side by side, when the comparison with the baseline says slower. With fewer than 5 samples on a side the verdict is inconclusive and never fails.",
	},
}

// Options are the limits of a practically large change, and what a slower
// verdict does; zero limits take the defaults.
type Options struct {
	// MaxRegressionPercent: the change must exceed this percentage of the
	// baseline's figure.
	MaxRegressionPercent float64
	// FloorMs: the change must also exceed this many milliseconds.
	FloorMs float64
	// FailOnRegression makes a slower verdict a failure (Failure).
	FailOnRegression bool
}

// Parse reads the regression inputs.
func Parse(r *input.Reader) Options {
	o := Options{FailOnRegression: r.Bool("fail-on-regression")}
	if v, ok := input.Check(r, "max-regression", percent, "a positive percentage, e.g. 25 or 25%"); ok {
		o.MaxRegressionPercent = v
	}
	if v, ok := input.Check(r, "regression-floor-ms", input.Positive, "a positive number of milliseconds, e.g. 100"); ok {
		o.FloorMs = v
	}
	return o
}

func (o Options) withDefaults() Options {
	if o.MaxRegressionPercent <= 0 {
		o.MaxRegressionPercent = DefaultMaxRegressionPercent
	}
	if o.FloorMs <= 0 {
		o.FloorMs = DefaultFloorMs
	}
	return o
}

func percent(v string) (float64, error) {
	f, err := input.Positive(strings.TrimSpace(strings.TrimSuffix(v, "%")))
	if err != nil {
		return 0, errors.New("is not a positive percentage")
	}
	return f, nil
}

// Failure is the job's failure when fail-on-regression is set and c says
// slower: the figures side by side, and why each is judged as it is. It is
// nil otherwise; an inconclusive comparison never fails.
func (o Options) Failure(c report.Comparison) error {
	if !o.FailOnRegression || c.Verdict != Slower {
		return nil
	}
	o = o.withDefaults()
	var b strings.Builder
	b.WriteString("slower than the baseline")
	if c.Baseline != "" {
		fmt.Fprintf(&b, " (%s)", c.Baseline)
	}
	fmt.Fprintf(&b, ": a figure grew by more than %g%% and %g ms, and clearly so (fail-on-regression is true)\n", o.MaxRegressionPercent, o.FloorMs)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  figure\tbaseline\tcurrent\tdelta\tp\tverdict")
	for _, f := range c.Figures {
		fmt.Fprintf(w, "  %s\t%.0f ms (n=%d)\t%.0f ms (n=%d)\t%+.0f ms (%+.1f%%)\t%.3g\t%s\n",
			f.Name, f.Baseline, f.NBaseline, f.Current, f.NCurrent, f.DeltaMs, f.DeltaPercent, f.P, f.Verdict)
	}
	_ = w.Flush()
	return errors.New(strings.TrimRight(b.String(), "\n"))
}
