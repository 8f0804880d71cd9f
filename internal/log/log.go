// Package log is how a component tells the user what it is doing: each one
// is given a Logger as a parameter, which the run points at its console (the
// Actions log, or stderr on a laptop).
package log

import "fmt"

// Logger receives progress lines and warnings. A component never prints
// itself.
type Logger interface {
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
}

// Discard is a Logger that says nothing, for callers with no one to tell.
var Discard Logger = discard{}

type discard struct{}

func (discard) Infof(string, ...any) {}
func (discard) Warnf(string, ...any) {}

// Func is a Logger that passes every line to a printf-like function, a
// warning with the prefix "warning: ".
type Func func(format string, args ...any)

// Infof passes the line on.
func (f Func) Infof(format string, args ...any) { f(format, args...) }

// Warnf passes the line on as a warning.
func (f Func) Warnf(format string, args ...any) { f("warning: %s", fmt.Sprintf(format, args...)) }
