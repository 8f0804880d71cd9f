package input

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Reader reads the raw values of a set of inputs for the components that
// own them: getters apply the input's default, parse the value and record a
// problem, named in the reader's style, when it is bad. The problems are
// collected so that every one is reported at once (Err).
type Reader struct {
	defs     map[string]Def
	raw      Values
	style    Style
	getenv   func(string) string
	paths    pathMap
	problems []error
	warnings []string
	masks    []string
}

// NewReader returns a reader of raw, whose inputs are defs; getenv (nil:
// none) reads the process environment for the defaults some inputs take
// from it. A required input without a value is a problem at once. In a
// container action whose raw values hold host-workspace, Path maps paths
// from the runner's host workspace to the container's.
func NewReader(defs []Def, raw Values, style Style, getenv func(string) string) *Reader {
	r := &Reader{defs: make(map[string]Def, len(defs)), raw: raw, style: style, getenv: getenv, paths: newPathMap(raw, style, getenv)}
	for _, d := range defs {
		r.defs[d.Name] = d
	}
	for _, d := range defs {
		if d.Required && r.String(d.Name) == "" {
			r.Bad(d.Name, "", "is required", "")
		}
		if i := controlAt(strings.TrimSpace(raw[d.Name])); !d.Multiline && i >= 0 {
			// Not quoted: the value is what must not reach the log as is.
			r.Bad(d.Name, "", fmt.Sprintf("has a control character (%U) at byte %d: this input is one line", strings.TrimSpace(raw[d.Name])[i], i), "one line without control characters")
		}
	}
	return r
}

// controlAt is the index of the first control character in s (a tab
// included), or -1.
func controlAt(s string) int {
	return strings.IndexFunc(s, unicode.IsControl)
}

// Style is how the reader names inputs in problems.
func (r *Reader) Style() Style { return r.style }

// Getenv reads an environment variable; empty when the reader has no
// environment.
func (r *Reader) Getenv(key string) string {
	if r.getenv == nil {
		return ""
	}
	return r.getenv(key)
}

// Env is the environment the reader was given (nil: none).
func (r *Reader) Env() func(string) string { return r.getenv }

// Secret reports whether name's value must never be shown, in part or
// whole: a problem about it says where, not what.
func (r *Reader) Secret(name string) bool { return r.def(name).Secret }

func (r *Reader) def(name string) Def {
	d, ok := r.defs[name]
	if !ok {
		panic("input: " + name + " is not an input of this reader")
	}
	return d
}

// Raw is name's value as given, untrimmed and without its default: for
// multi-line values, and content that must not be shown.
func (r *Reader) Raw(name string) string {
	r.def(name)
	return r.raw[name]
}

// String is name's value, trimmed, or its default when blank.
func (r *Reader) String(name string) string {
	d := r.def(name)
	if v := strings.TrimSpace(r.raw[name]); v != "" {
		return v
	}
	return d.Default
}

// Bad records a problem with name: its value (empty when it must not or
// need not be shown; a secret input's is never shown, a credential input's
// only up to its first separator), what is wrong and what would be
// accepted. A problem names its input: an empty name is a mistake of the
// caller, who has BadSetting for what is not an input.
func (r *Reader) Bad(name, value, problem, accepted string) {
	if name == "" {
		panic("input: a problem must name its input (use BadSetting for an environment variable or a file): " + problem)
	}
	switch d := r.defs[name]; {
	case d.Secret:
		value = ""
	case d.Credential:
		if i := strings.IndexAny(value, credentialSeparators); i >= 0 {
			value = value[:i+1] + "…"
		}
	}
	r.problems = append(r.problems, &Error{Input: name, Value: value, Problem: problem, Accepted: accepted, Flag: r.style == FlagStyle})
}

// credentialSeparators end what a problem quotes of a Credential input:
// user:password, token@host.
const credentialSeparators = ":@"

// BadSetting records a problem with a setting the run reads beside its
// inputs: an environment variable (GITHUB_EVENT_PATH) or a file, which
// setting names; problem says what is wrong, without quoting a value that
// may hold a secret.
func (r *Reader) BadSetting(setting, problem, accepted string) {
	if setting == "" {
		panic("input: a problem must name its setting: " + problem)
	}
	r.problems = append(r.problems, &Error{Setting: setting, Problem: problem, Accepted: accepted})
}

// Add records problems found elsewhere: each *Error (joined or not) is
// named in the reader's style; any other error, or an *Error that names
// nothing, is a problem of the input otherwise.
func (r *Reader) Add(otherwise string, errs ...error) {
	for _, err := range errs {
		for _, e := range List(err) {
			var ie *Error
			switch {
			case errors.As(e, &ie) && ie.Input == "" && ie.Setting != "":
				r.BadSetting(ie.Setting, ie.Problem, ie.Accepted)
			case errors.As(e, &ie) && ie.Input == "":
				r.Bad(otherwise, ie.Value, ie.Problem, ie.Accepted) // it names nothing: the input it is about
			case errors.As(e, &ie):
				r.Bad(ie.Input, ie.Value, ie.Problem, ie.Accepted)
			default:
				r.Bad(otherwise, "", e.Error(), "")
			}
		}
	}
}

// Err joins every problem recorded so far, one *Error each; nil when there
// is none.
func (r *Reader) Err() error { return errors.Join(r.problems...) }

// Warn records a warning about name: a value that is accepted but probably
// not what the user wants.
func (r *Reader) Warn(name, format string, args ...any) {
	who := fmt.Sprintf("input %q", name)
	if r.style == FlagStyle {
		who = "--" + name
	}
	r.warnings = append(r.warnings, who+": "+fmt.Sprintf(format, args...))
}

// Warnings are the warnings recorded so far, in order.
func (r *Reader) Warnings() []string { return slices.Clone(r.warnings) }

// Mask records texts of a secret input that were refused, so that they
// are masked like the values it accepts: a refused line may be the secret.
func (r *Reader) Mask(texts ...string) {
	for _, t := range texts {
		if t != "" && !slices.Contains(r.masks, t) {
			r.masks = append(r.masks, t)
		}
	}
}

// Masks are the texts recorded by Mask, in order.
func (r *Reader) Masks() []string { return slices.Clone(r.masks) }

// Bool reads true or false, in any case: the YAML 1.2 core booleans, as
// the runner reads them.
func (r *Reader) Bool(name string) bool {
	v := r.String(name)
	switch {
	case v == "":
		return false
	case strings.EqualFold(v, "true"):
		return true
	case !strings.EqualFold(v, "false"):
		r.Bad(name, v, "is not a boolean", "true, false (in any case)")
	}
	return false
}

// Int reads a whole number from lo to hi; ok is false when the input is
// blank without a default, or bad (then problem and accepted describe it).
func (r *Reader) Int(name string, lo, hi int64, problem, accepted string) (n int64, ok bool) {
	v := r.String(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		r.Bad(name, v, problem, accepted)
		return 0, false
	}
	return n, true
}

// Duration reads a positive Go duration such as 90s or 1h30m; zero when
// blank without a default, or bad. Check with a Span reads other kinds.
func (r *Reader) Duration(name string) time.Duration {
	d, _ := Check(r, name, Span{Min: 1}.Parse, "a Go duration such as 90s, 20m, 1h30m")
	return d
}

// OneOf reads one of values, in any case, and returns it as values spell
// it; problem says what a value outside them is not ("is not a mode").
// Empty when blank without a default, or bad.
func (r *Reader) OneOf(name, problem string, values ...string) string {
	v := r.String(name)
	if v == "" {
		return ""
	}
	for _, ok := range values {
		if strings.EqualFold(v, ok) {
			return ok
		}
	}
	r.Bad(name, v, problem, strings.Join(values, ", ")+" (in any case)")
	return ""
}

// List reads items given one per line or separated by commas or spaces;
// nil when there is none.
func (r *Reader) List(name string) []string {
	items := strings.FieldsFunc(r.String(name), func(c rune) bool {
		return c == ',' || c == '\n' || c == '\r' || c == ' ' || c == '\t'
	})
	if len(items) == 0 {
		return nil
	}
	return items
}

// Check reads name with parse when it is not blank; a parse error is
// recorded as its problem (parse says "is not ..."), with accepted.
func Check[T any](r *Reader, name string, parse func(string) (T, error), accepted string) (T, bool) {
	var zero T
	v := r.String(name)
	if v == "" {
		return zero, false
	}
	out, err := parse(v)
	if err != nil {
		var ie *Error
		if errors.As(err, &ie) {
			r.Add(name, err)
		} else {
			r.Bad(name, v, err.Error(), accepted)
		}
		return zero, false
	}
	return out, true
}

// Positive parses a number above zero (and finite), for input.Check.
func Positive(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return 0, errors.New("is not a positive number")
	}
	return f, nil
}
