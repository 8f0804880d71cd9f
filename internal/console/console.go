// Package console is the run's log for people: progress lines, collapsible
// groups, warnings and errors, and the job summary. Inside GitHub Actions it
// speaks workflow commands; elsewhere it writes plain lines to stderr. Either
// way it replaces every registered secret, and the user information of
// every URL, before a line is written, and writes text so that the runner
// carries out no command in it but the console's own.
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
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"

	"github.com/knative-preview/action/internal/userinfo"
)

// Console writes the log. It is safe for concurrent use.
type Console struct {
	mu sync.Mutex
	w  io.Writer
	// gha, nil outside Actions, reads the environment and writes the
	// runner's files (summary, state); commands are written by issueLocked.
	gha     *githubactions.Action
	secrets []string
	// toldShort is set once a secret too short to mask has been warned about.
	toldShort bool
	// summaryTo, outside Actions, is where Summary writes; nil: nowhere.
	summaryTo func(markdown string) error
}

// SummaryTo has Summary write the job summary's Markdown through write
// outside Actions (the CLI's --summary FILE).
func (c *Console) SummaryTo(write func(markdown string) error) { c.summaryTo = write }

// NewLocal returns a console for a terminal or a plain log: lines to w.
func NewLocal(w io.Writer) *Console {
	return &Console{w: w}
}

// NewActions returns a console that writes workflow commands to w (the
// step's stdout) and reads command file paths through getenv.
func NewActions(w io.Writer, getenv func(string) string) *Console {
	c := NewLocal(w)
	c.gha = githubactions.New(githubactions.WithWriter(io.Discard), githubactions.WithGetenv(getenv))
	return c
}

// issueLocked writes one workflow command with data escaped as the runner
// unescapes it ('%', '\r' and '\n', by go-githubactions' Command), so that
// the runner reads data whole, on one line, and nothing after it. Every
// command the console writes goes through here, with data redacted (but
// an add-mask's, which is the secret). c.mu is held.
func (c *Console) issueLocked(name, data string) {
	cmd := githubactions.Command{Name: name, Message: data}
	fmt.Fprintln(c.w, cmd.String())
}

// annotate writes a command whose data is msg, redacted.
func (c *Console) annotate(name, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.issueLocked(name, c.redactLocked(msg))
}

// Mask registers secrets so that they are never written. Inside Actions the
// runner is told too (add-mask), so that other steps' logs mask them as
// well. Values shorter than 4 characters are not masked (masking them would
// garble the log, and the runner masks none that short): the first one gets
// a warning.
func (c *Console) Mask(secrets ...string) {
	for _, secret := range secrets {
		if n := len(strings.TrimSpace(secret)); n > 0 && n < 4 && c.tellShort() {
			c.Warnf("a secret value is shorter than 4 characters: it cannot be masked (the runner masks none that short), so it may show in the log; use a longer one")
		}
		// A multi-line secret (a PEM key) is masked line by line, split
		// where the runner splits a step's output: lines are what logs
		// print.
		for _, s := range splitLines(secret) {
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
		c.issueLocked("add-mask", s) // the secret itself, not redacted
	}
}

// Redact returns s with every registered secret, and the user information
// of every URL, replaced by ***.
func (c *Console) Redact(s string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.redactLocked(s)
}

// RedactJSON returns a JSON document with every registered secret, and the
// user information of every URL, replaced by *** in its strings (keys and
// values), objects written with their keys in order. Numbers, booleans and
// the shape are left as they are: a secret of digits is not looked for
// inside a number, where replacing it would break the document.
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

// redactLocked replaces the registered secrets first: a secret that holds
// a URL (a database URL in secret-env) is replaced whole.
func (c *Console) redactLocked(s string) string {
	for _, k := range c.secrets {
		s = strings.ReplaceAll(s, k, "***")
	}
	return userinfo.Redact(s)
}

// Infof writes a progress line.
func (c *Console) Infof(format string, args ...any) {
	c.line("", fmt.Sprintf(format, args...))
}

// Debugf writes a debug line inside Actions, shown when the run has debug
// logging on; outside Actions it writes nothing.
func (c *Console) Debugf(format string, args ...any) {
	if c.gha != nil {
		c.annotate("debug", fmt.Sprintf(format, args...))
	}
}

// Warnf writes a warning (an annotation inside Actions).
func (c *Console) Warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if c.gha != nil {
		c.annotate("warning", msg)
		return
	}
	c.line("warning: ", msg)
}

// Errorf writes an error (an annotation inside Actions).
func (c *Console) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if c.gha != nil {
		c.annotate("error", msg)
		return
	}
	c.line("error: ", msg)
}

// Group starts a collapsible group titled title and returns the function
// that ends it. Outside Actions the title is a heading line.
func (c *Console) Group(title string) (end func()) {
	if c.gha != nil {
		c.annotate("group", title)
		return func() { c.annotate("endgroup", "") }
	}
	c.line("", "==> "+title)
	return func() {}
}

// Summary appends Markdown, redacted, to the job summary inside Actions;
// outside it hands it to what SummaryTo set (the CLI's --summary FILE), or
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

// Safe returns text (a plan, outputs written to stdout) redacted, and
// written as line writes it, so that the runner reads no command in it.
func (c *Console) Safe(text string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	lines := splitLines(c.redactLocked(text))
	for i, l := range lines {
		lines[i] = inert("", l)
	}
	return strings.Join(lines, "\n")
}

// SafeJSON returns a JSON document (a plan written to stdout) redacted as
// RedactJSON does and indented, with each '[' of a "##[" in its strings
// written as \u005b, so that the runner reads no command in it and the
// document means the same.
func (c *Console) SafeJSON(data []byte) ([]byte, error) {
	out, err := c.RedactJSON(data)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, out, "", "  "); err != nil {
		return nil, fmt.Errorf("redacting JSON: %w", err)
	}
	return []byte(breakLegacy(b.String(), `\u005b`)), nil
}

// line writes msg, redacted, one line at a time, each as inert makes it.
func (c *Console) line(prefix, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg = c.redactLocked(msg)
	for _, l := range splitLines(strings.TrimRight(msg, "\r\n")) {
		fmt.Fprintf(c.w, "%s%s\n", prefix, inert(prefix, l))
	}
}

// inert returns l, one line of text to be written after prefix, so that
// the runner reads no command in it, in either form (the runner's
// ActionCommand.cs): a line that starts with "::" after white space is
// indented behind "| ", and every "##[" in it, which the runner looks for
// anywhere in a line, is written "##[\", as the runner itself writes its
// own markers found in a step's output (OutputManager.cs). The text stays
// legible. Code points the runner's culture-sensitive search passes over
// (ignorable) count as absent. Outside Actions too: the CLI may run in a
// workflow's step.
func inert(prefix, l string) string {
	start := strings.TrimLeftFunc(prefix+l, func(r rune) bool { return unicode.IsSpace(r) || ignorable(r) })
	if strings.HasPrefix(strings.Map(dropIgnorable, start), "::") {
		l = "| " + l
	}
	return breakLegacy(l, `[\`)
}

// breakLegacy returns s with the '[' of every "##[" in it, ignorable code
// points between its characters or not, written as bracket.
func breakLegacy(s, bracket string) string {
	if !strings.Contains(s, "[") {
		return s
	}
	var b strings.Builder
	hashes := 0 // '#' just before, ignorable code points aside
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '[' && hashes >= 2:
			b.WriteString(bracket)
			hashes = 0
		case r == '#':
			b.WriteByte('#')
			hashes++
		default:
			b.WriteString(s[i : i+n])
			if !ignorable(r) {
				hashes = 0
			}
		}
		i += n
	}
	return b.String()
}

// ignorable reports whether the runner's string search (IndexOf and
// StartsWith compare with the current culture, ICU) may pass over r:
// format characters, controls other than white space, variation
// selectors.
func ignorable(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.IsControl(r) && !unicode.IsSpace(r) || unicode.Is(unicode.Variation_Selector, r)
}

func dropIgnorable(r rune) rune {
	if ignorable(r) {
		return -1
	}
	return r
}

// splitLines splits s where the runner does when it reads a step's output:
// at "\r\n", "\n" and a bare "\r" (.NET's ReadLine), so that no text
// after a carriage return starts a line of its own unseen.
func splitLines(s string) []string {
	return strings.Split(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"), "\n")
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
