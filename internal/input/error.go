package input

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Error is one problem with one input.
type Error struct {
	// Input names the input as action.yml does, e.g. "port".
	Input string
	// Value is the offending value, shown quoted; empty for problems that
	// are not about one value (or whose value must not be shown).
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
	if e.Flag {
		fmt.Fprintf(&b, "--%s", e.Input)
	} else {
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
	return b.String()
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
