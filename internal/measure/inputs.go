package measure

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/knative-preview/action/internal/input"
)

// Defaults of the inputs.
const (
	DefaultSamples       = 1
	DefaultPath          = "/"
	DefaultStatus        = 200
	DefaultSmokeRequests = 5
	maxCount             = 1000
)

// Inputs are the inputs of the measure stage.
var Inputs = []input.Def{
	{
		Name:        "cold-start-samples",
		Default:     strconv.Itoa(DefaultSamples),
		Description: "Cold starts to measure after deploying (0: none). A sample counts only if the revision was at zero and a new pod served the request.",
	},
	{
		Name:        "path",
		Default:     DefaultPath,
		Description: "Path requested for cold starts and smoke requests.",
	},
	{
		Name:        "expect-status",
		Default:     strconv.Itoa(DefaultStatus),
		Description: "HTTP status every request must get; another fails the job.",
	},
	{
		Name:        "expect-body",
		Description: "Regular expression (Go syntax) every response body must match; a mismatch fails the job.",
	},
	{
		Name:        "cold-start-max-ms",
		Description: "Fail the job when the median cold start is above this many milliseconds.",
	},
	{
		Name:        "smoke-requests",
		Default:     strconv.Itoa(DefaultSmokeRequests),
		Description: "Warm requests after the cold starts, each checked against expect-status and expect-body.",
	},
}

// Parse reads the measure inputs.
func Parse(r *input.Reader) Options {
	count := func(name string) int {
		n, _ := r.Int(name, 0, maxCount, "is not a count", fmt.Sprintf("a whole number from 0 to %d", maxCount))
		return int(n)
	}
	o := Options{Path: r.String("path")}
	o.Samples = count("cold-start-samples")
	o.SmokeRequests = count("smoke-requests")
	if !strings.HasPrefix(o.Path, "/") {
		r.Bad("path", o.Path, "is not a URL path", "a path starting with /, e.g. /healthz")
	}
	if n, ok := r.Int("expect-status", 100, 599, "is not an HTTP status", "100 to 599"); ok {
		o.Expect.Status = int(n)
	}
	if re, ok := input.Check(r, "expect-body", compile, "Go regular expression syntax, e.g. ^Hello"); ok {
		o.Expect.Body = re
	}
	if f, ok := input.Check(r, "cold-start-max-ms", input.Positive, "a positive number of milliseconds, e.g. 2000"); ok {
		o.MaxMedianMs = f
	}
	return o
}

// Active reports whether the measure stage has anything to do.
func (o Options) Active() bool { return o.Samples > 0 || o.SmokeRequests > 0 }

func compile(v string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(v)
	if err != nil {
		return nil, fmt.Errorf("is not a regular expression: %v", err)
	}
	return re, nil
}
