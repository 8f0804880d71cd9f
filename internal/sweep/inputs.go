package sweep

import (
	"fmt"
	"strconv"
	"strings"
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
	d, _ := input.Check(r, "max-age", parseAge, maxAgeAccepted)
	return d
}

// parseAge reads "7d" or a Go duration of at least an hour.
func parseAge(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 3650 {
			return 0, fmt.Errorf("is not a number of days from 1 to 3650")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("is not a duration")
	case d < time.Hour:
		return 0, fmt.Errorf("is shorter than an hour: a preview being deployed could be removed")
	}
	return d, nil
}
