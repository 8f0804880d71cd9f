// Package console is the run's log for people: progress lines, collapsible
// groups, warnings and errors, and the job summary. Inside GitHub Actions it
// speaks workflow commands; elsewhere it writes plain lines to stderr. Either
// way it replaces every registered secret before a line is written.
package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/sethvargo/go-githubactions"
)

// Console writes the log. It is safe for concurrent use.
type Console struct {
	mu      sync.Mutex
	w       io.Writer
	gha     *githubactions.Action // nil outside Actions
	secrets []string
	// toldShort is set once a secret too short to mask has been warned about.
	toldShort bool
	// summaryTo, outside Actions, is where Summary writes; nil: nowhere.
	summaryTo func(markdown string) error
}

// SummaryTo has Summary write the job summary's Markdown through write
// outside Actions (the CLI's --report FILE).
func (c *Console) SummaryTo(write func(markdown string) error) { c.summaryTo = write }

// NewLocal returns a console for a terminal or a plain log: lines to w.
func NewLocal(w io.Writer) *Console {
	return &Console{w: w}
}

// NewActions returns a console that writes workflow commands to w (the
// step's stdout) and reads command file paths through getenv.
func NewActions(w io.Writer, getenv func(string) string) *Console {
	c := NewLocal(w)
	c.gha = githubactions.New(githubactions.WithWriter(&redactor{c: c, w: w}), githubactions.WithGetenv(getenv))
	return c
}

// Mask registers secrets so that they are never written. Inside Actions the
// runner is told too, so that other steps' logs mask them as well. Values
// shorter than 4 characters are not masked (masking them would garble the
// log, and the runner masks none that short): the first one gets a warning.
func (c *Console) Mask(secrets ...string) {
	for _, secret := range secrets {
		if n := len(strings.TrimSpace(secret)); n > 0 && n < 4 && c.tellShort() {
			c.Warnf("a secret value is shorter than 4 characters: it cannot be masked (the runner masks none that short), so it may show in the log; use a longer one")
		}
		// A multi-line secret (a PEM key) is masked line by line: the runner
		// takes one line per add-mask, and lines are what logs print.
		for _, s := range strings.Split(secret, "\n") {
			c.maskOne(strings.TrimSpace(s))
		}
	}
}

// tellShort reports whether the warning about a short secret is still to
// be given, and marks it given.
func (c *Console) tellShort() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	tell := !c.toldShort
	c.toldShort = true
	return tell
}

func (c *Console) maskOne(s string) {
	if len(s) < 4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.secrets {
		if k == s {
			return
		}
	}
	c.secrets = append(c.secrets, s)
	// Longest first: a secret that contains a shorter one must be replaced
	// whole, not around the shorter one's ***.
	slices.SortStableFunc(c.secrets, func(a, b string) int { return len(b) - len(a) })
	if c.gha != nil {
		// add-mask must reach the runner verbatim, so it bypasses redaction.
		fmt.Fprintf(c.w, "::add-mask::%s\n", s)
	}
}

// Redact returns s with every registered secret replaced by ***.
func (c *Console) Redact(s string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.redactLocked(s)
}

// RedactJSON returns a JSON document with every registered secret replaced
// by *** in its strings (keys and values). Numbers, booleans and the shape
// are left as they are: a secret of digits is not looked for inside a
// number, where replacing it would break the document.
func (c *Console) RedactJSON(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("redacting JSON: %w", err)
	}
	c.mu.Lock()
	v = c.redactValueLocked(v)
	c.mu.Unlock()
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("redacting JSON: %w", err)
	}
	return out, nil
}

func (c *Console) redactValueLocked(v any) any {
	switch t := v.(type) {
	case string:
		return c.redactLocked(t)
	case []any:
		for i := range t {
			t[i] = c.redactValueLocked(t[i])
		}
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[c.redactLocked(k)] = c.redactValueLocked(e)
		}
		return out
	}
	return v
}

func (c *Console) redactLocked(s string) string {
	for _, k := range c.secrets {
		s = strings.ReplaceAll(s, k, "***")
	}
	return s
}

// Infof writes a progress line.
func (c *Console) Infof(format string, args ...any) {
	c.line("", fmt.Sprintf(format, args...))
}

// Debugf writes a debug line inside Actions, shown when the run has debug
// logging on; outside Actions it writes nothing.
func (c *Console) Debugf(format string, args ...any) {
	if c.gha != nil {
		// Redacted before go-githubactions escapes it (% and new lines),
		// after which a secret would no longer match.
		c.gha.Debugf("%s", c.Redact(fmt.Sprintf(format, args...)))
	}
}

// Warnf writes a warning (an annotation inside Actions).
func (c *Console) Warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if c.gha != nil {
		c.gha.Warningf("%s", c.Redact(msg)) // before escaping, as Debugf
		return
	}
	c.line("warning: ", msg)
}

// Errorf writes an error (an annotation inside Actions).
func (c *Console) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if c.gha != nil {
		c.gha.Errorf("%s", c.Redact(msg)) // before escaping, as Debugf
		return
	}
	c.line("error: ", msg)
}

// Group starts a collapsible group titled title and returns the function
// that ends it. Outside Actions the title is a heading line.
func (c *Console) Group(title string) (end func()) {
	if c.gha != nil {
		c.gha.Group(c.Redact(title)) // before escaping, as Debugf
		return c.gha.EndGroup
	}
	c.line("", "==> "+title)
	return func() {}
}

// Summary appends Markdown, redacted, to the job summary inside Actions;
// outside it hands it to what SummaryTo set (the CLI's --report FILE), or
// does nothing (the log already says the same).
func (c *Console) Summary(markdown string) (err error) {
	if c.gha == nil && c.summaryTo != nil {
		if err := c.summaryTo(c.Redact(markdown)); err != nil {
			return fmt.Errorf("writing the summary: %w", err)
		}
		return nil
	}
	if c.gha == nil || c.gha.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing the job summary: %v", r)
		}
	}()
	c.gha.AddStepSummary(c.Redact(markdown))
	return nil
}

// Safe returns text (a plan, a report written to stdout) redacted and, inside
// Actions, with every line the runner would read as a workflow command
// indented as line does.
func (c *Console) Safe(text string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	lines := splitLines(c.redactLocked(text))
	for i, l := range lines {
		lines[i] = c.inert("", l)
	}
	return strings.Join(lines, "\n")
}

// line writes msg, redacted, one line at a time. Inside Actions a line that
// the runner would read as a workflow command (text from the cluster, a
// pod's log, an error body: "::add-mask::...", "::error::...") is indented
// behind "| ", so it shows as text and commands nothing.
func (c *Console) line(prefix, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg = c.redactLocked(msg)
	for _, l := range splitLines(strings.TrimRight(msg, "\r\n")) {
		fmt.Fprintf(c.w, "%s%s\n", prefix, c.inert(prefix, l))
	}
}

// inert is l, a line to be written after prefix, indented behind "| "
// inside Actions when the runner would read prefix+l as a workflow command.
func (c *Console) inert(prefix, l string) string {
	if c.gha != nil && commandLike(prefix+l) {
		return "| " + l
	}
	return l
}

// splitLines splits s where the runner does when it reads a step's output:
// at "\r\n", "\n" and a bare "\r" (.NET's ReadLine), so that no text
// after a carriage return starts a line of its own unseen.
func splitLines(s string) []string {
	return strings.Split(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"), "\n")
}

// commandLike reports whether the runner would take line for a workflow
// command: "::name ...::" or the older "##[name ...]", after any leading
// space.
func commandLike(line string) bool {
	t := strings.TrimLeftFunc(line, unicode.IsSpace)
	return strings.HasPrefix(t, "::") || strings.HasPrefix(t, "##[")
}

// redactor sits between go-githubactions and the real writer so workflow
// commands (annotations, debug lines, group titles) are redacted too.
type redactor struct {
	c *Console
	w io.Writer
}

func (r *redactor) Write(p []byte) (int, error) {
	r.c.mu.Lock()
	defer r.c.mu.Unlock() // one writer at a time, as line writes
	if _, err := io.WriteString(r.w, r.c.redactLocked(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// SaveState hands a value from the main step to the post step (inside
// Actions; outside it does nothing: there is no post step).
func (c *Console) SaveState(name, value string) (err error) {
	if c.gha == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("saving state %s for the post step: %v", name, r)
		}
	}()
	c.gha.SaveState(name, value)
	return nil
}
