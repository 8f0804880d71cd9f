package sweep

import (
	"time"

	"github.com/knative-preview/action/internal/input"
)

// Inputs are the sweep's own inputs (mode and namespace are the deploy
// stage's).
var Inputs = []input.Def{
	{
		Name:        "max-age",
		Description: "With mode sweep: remove also the previews of open pull requests not deployed for longer than this, in days (7d) or as a Go duration (36h). Empty: only those of pull requests no longer open.",
	},
}

// maxAgeAccepted says what max-age takes.
const maxAgeAccepted = "a number of days (7d) or a Go duration of at least an hour (36h), or empty"

// ParseMaxAge reads max-age: 0 when empty.
func ParseMaxAge(r *input.Reader) time.Duration {
	d, _ := input.Check(r, "max-age", maxAge.Parse, maxAgeAccepted)
	return d
}

// maxAge is what max-age takes: at least an hour, so that a preview being
// deployed is never removed, and at most ten years.
var maxAge = input.Span{Min: time.Hour, Max: 3650 * 24 * time.Hour, Days: true}
