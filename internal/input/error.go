package input

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/knative-preview/action/internal/userinfo"
)

// Error is one problem with one input, or with a setting the run reads
// beside its inputs.
type Error struct {
	// Input names the input as action.yml does, e.g. "port".
	Input string
	// Setting, when Input is empty, names what the value came from
	// instead: an environment variable the run reads beside its inputs,
	// such as GITHUB_EVENT_PATH, or a file.
	Setting string
	// Value is the offending value, shown quoted; empty for problems that
	// are not about one value (or whose value must not be shown). The user
	// information of a URL in it, or in the problem, is never shown.
	Value string
	// Problem says what is wrong.
	Problem string
	// Accepted says what would be accepted; may be empty.
	Accepted string
	// Flag names the input as a command-line flag (--port) instead of as
	// an action input (input "port").
	Flag bool
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Input == "" && e.Setting != "":
		b.WriteString(e.Setting)
	case e.Input == "":
		// Every problem is recorded with what it is about (Reader.Bad
		// refuses an empty name): this is a problem built by hand.
		b.WriteString("a setting")
	case e.Flag:
		fmt.Fprintf(&b, "--%s", e.Input)
	default:
		fmt.Fprintf(&b, "input %q", e.Input)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, ": %q %s", e.Value, e.Problem)
	} else {
		fmt.Fprintf(&b, ": %s", e.Problem)
	}
	if e.Accepted != "" {
		fmt.Fprintf(&b, " (accepted: %s)", e.Accepted)
	}
	return userinfo.Redact(b.String())
}

// List returns the problems err joins (errors.Join, nested or not), one
// per line of the report; any other error is a list of one.
func List(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, List(e)...)
		}
		return out
	}
	return []error{err}
}

// Printable is s with its control characters escaped, as %q would: a
// problem that quotes what a user or a file wrote must not reach the log
// with a new line or an escape sequence in it.
func Printable(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
