// Package runnertest reads a step's output as GitHub's runner does, so that
// tests can tell which lines the runner would carry out as workflow
// commands. It follows the runner's own source (github.com/actions/runner):
//
//   - src/Runner.Sdk/ProcessInvoker.cs and src/Runner.Worker/Handlers/OutputManager.cs:
//     stdout and stderr are read line by line (StreamReader.ReadLine: a
//     line ends at "\r\n", "\n" or a bare "\r"), and every line is offered
//     to the command manager;
//   - src/Runner.Worker/ActionCommandManager.cs (TryProcessCommand): the
//     line is parsed as a "::name k=v,...::data" command (TryParseV2), else
//     as a "##[name k=v;...]data" one (TryParse); only registered names
//     count (the command extensions', listed in registered below);
//     "stop-commands" stops every command but the resume "::TOKEN::" (or
//     "##[TOKEN]");
//   - src/Runner.Common/ActionCommand.cs (TryParseV2, TryParse and their
//     Unescape* tables): the V2 form only at the start of the line after
//     white space, the legacy form anywhere in it ("##[" is looked for with
//     IndexOf), the data and property values unescaped after parsing.
//
// Where .NET and Go differ, the model takes the reading that finds more
// commands. It also reads a few the runner may not carry out: "notice"
// whatever the DistributedTask.EnhancedAnnotations feature says
// (ActionCommandManager.cs), and a "stop-commands" token the runner would
// refuse (ValidateStopToken). The runner's IndexOf(string) and StartsWith(string) compare
// with the current culture (ICU), which passes over ignorable code points
// (U+200B, U+00AD, controls, ...): a line in which the exact reading finds
// no command is read again with those code points left out (which finds
// every command the culture's reading does, and some more). Names are
// compared ignoring case both as .NET's OrdinalIgnoreCase does
// (upper-casing each character) and as Go's case folding does. The offsets
// the runner computes are lengths of ASCII tokens, the same in UTF-16 and
// UTF-8; a byte that is not UTF-8, which .NET reads as U+FFFD, is kept.
package runnertest

import (
	"slices"
	"strings"
	"unicode"
)

// Command is a workflow command the runner carries out.
type Command struct {
	// Name is the command's name as written.
	Name string
	// Properties are the "k=v" pairs, values unescaped; nil when none.
	Properties map[string]string
	// Data is what follows the command, unescaped.
	Data string
	// Legacy is true for the "##[name]data" form.
	Legacy bool
	// Line is the line the command was read from.
	Line string
}

// Masks are the values an add-mask command hides (AddMaskCommandExtension):
// its data, and each of its lines, trimmed; nil for another command or
// blank data.
func (c Command) Masks() []string {
	if !sameName(c.Name, "add-mask") || strings.TrimSpace(c.Data) == "" {
		return nil
	}
	out := []string{c.Data}
	for _, l := range strings.FieldsFunc(c.Data, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if l = strings.TrimFunc(l, unicode.IsSpace); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// registered are the names of the runner's command extensions
// (ActionCommandManager.cs), and stop-commands; "internal-set-repo-path"
// is registered only for the runner's own plugins.
var registered = []string{
	"stop-commands",
	"set-env", "set-output", "save-state", "add-mask", "add-path",
	"add-matcher", "remove-matcher", "debug", "warning", "error", "notice",
	"group", "endgroup", "echo",
}

// Runner is the command state of one step: stdout and stderr share it.
type Runner struct {
	stopToken string // set while commands are stopped
}

// Read returns the commands the runner carries out in output, one step's
// stdout or stderr, in order.
func Read(output string) []Command {
	var r Runner
	return r.Read(output)
}

// Read returns the commands the runner carries out in output, going on
// from the state the earlier output left.
func (r *Runner) Read(output string) []Command {
	var out []Command
	for _, l := range Lines(output) {
		if c, ok := r.Line(l); ok {
			out = append(out, c)
		}
	}
	return out
}

// Line returns the command the runner carries out for one line, if any
// (TryProcessCommand): stop-commands and its resume are commands too.
func (r *Runner) Line(line string) (Command, bool) {
	if line == "" {
		return Command{}, false
	}
	names := registered
	if r.stopToken != "" {
		names = append(slices.Clone(registered), r.stopToken)
	}
	c, ok := parse(line, names)
	if !ok {
		return Command{}, false
	}
	switch {
	case r.stopToken != "":
		if !sameName(c.Name, r.stopToken) {
			return Command{}, false // stopped: the line is text
		}
		r.stopToken = ""
		return c, true
	case sameName(c.Name, "stop-commands"):
		// ValidateStopToken: an empty or registered token, or
		// pause-logging, fails the step (unless the workflow allows it);
		// either way it is a command the runner acted on.
		if c.Data != "" && !sameName(c.Data, "pause-logging") && !slices.ContainsFunc(registered, func(n string) bool { return sameName(n, c.Data) }) {
			r.stopToken = c.Data
		}
		return c, true
	}
	return c, true
}

// WithoutMasks returns output without the lines the runner reads as
// add-mask commands (the one place a secret may show), one line each.
func WithoutMasks(output string) string {
	var keep []string
	var r Runner
	for _, l := range Lines(output) {
		if c, ok := r.Line(l); !ok || !sameName(c.Name, "add-mask") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// Lines splits output as StreamReader.ReadLine does: at "\r\n", "\n" and a
// bare "\r"; text after the last line break is a line when not empty.
func Lines(output string) []string {
	var out []string
	for len(output) > 0 {
		i := strings.IndexAny(output, "\r\n")
		if i < 0 {
			out = append(out, output)
			break
		}
		out = append(out, output[:i])
		if output[i] == '\r' && i+1 < len(output) && output[i+1] == '\n' {
			i++
		}
		output = output[i+1:]
	}
	return out
}

// parse is TryParseV2, else TryParse; failing both, the same with the
// line's ignorable code points left out.
func parse(line string, names []string) (Command, bool) {
	for _, l := range []string{line, strings.Map(dropIgnorable, line)} {
		c, ok := parseV2(l, names)
		if !ok {
			c, ok = parseLegacy(l, names)
		}
		if ok {
			c.Line = line
			return c, true
		}
	}
	return Command{}, false
}

// parseV2 is ActionCommand.TryParseV2.
func parseV2(s string, names []string) (Command, bool) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace) // TrimStart: char.IsWhiteSpace
	if !strings.HasPrefix(s, "::") {
		return Command{}, false
	}
	end := strings.Index(s[2:], "::")
	if end < 0 {
		return Command{}, false
	}
	end += 2
	name, props, ok := nameOf(s[2:end], names)
	if !ok {
		return Command{}, false
	}
	c := Command{Name: name}
	for _, p := range splitNET(strings.TrimFunc(props, unicode.IsSpace), ',', -1) {
		if kv := splitNET(p, '=', 2); len(kv) == 2 {
			c.setProperty(kv[0], unescape(kv[1], propertyEscapes))
		}
	}
	c.Data = unescape(s[end+2:], dataEscapes)
	return c, true
}

// parseLegacy is ActionCommand.TryParse.
func parseLegacy(s string, names []string) (Command, bool) {
	p := strings.Index(s, "##[")
	if p < 0 {
		return Command{}, false
	}
	rb := strings.IndexByte(s[p:], ']')
	if rb < 0 {
		return Command{}, false
	}
	rb += p
	name, props, ok := nameOf(s[p+3:rb], names)
	if !ok {
		return Command{}, false
	}
	c := Command{Name: name, Legacy: true}
	for _, p := range splitNET(props, ';', -1) {
		if kv := splitNET(p, '=', 2); len(kv) == 2 {
			c.setProperty(kv[0], unescape(kv[1], legacyEscapes))
		}
	}
	c.Data = unescape(s[rb+1:], legacyEscapes)
	return c, true
}

// nameOf splits command info at its first space into the name, which
// must be registered, and the properties.
func nameOf(info string, names []string) (name, props string, ok bool) {
	name, props, _ = strings.Cut(info, " ")
	if !slices.ContainsFunc(names, func(r string) bool { return sameName(r, name) }) {
		return "", "", false
	}
	return name, props, true
}

// setProperty is Properties[k] = v of a dictionary whose keys ignore case.
func (c *Command) setProperty(k, v string) {
	if c.Properties == nil {
		c.Properties = map[string]string{}
	}
	for old := range c.Properties {
		if sameName(old, k) {
			k = old
			break
		}
	}
	c.Properties[k] = v
}

// The escape tables of ActionCommand.cs, in the order Unescape* applies
// them (each a String.Replace, which is ordinal).
var (
	legacyEscapes   = [][2]string{{"%3B", ";"}, {"%0D", "\r"}, {"%0A", "\n"}, {"%5D", "]"}, {"%25", "%"}}
	dataEscapes     = [][2]string{{"%0D", "\r"}, {"%0A", "\n"}, {"%25", "%"}}
	propertyEscapes = [][2]string{{"%0D", "\r"}, {"%0A", "\n"}, {"%3A", ":"}, {"%2C", ","}, {"%25", "%"}}
)

func unescape(s string, table [][2]string) string {
	for _, e := range table {
		s = strings.ReplaceAll(s, e[0], e[1])
	}
	return s
}

// splitNET is String.Split(sep, count, RemoveEmptyEntries); count < 0: no
// limit. Once count-1 pieces are taken, the separators that follow are
// skipped and the rest of s is the last piece.
func splitNET(s string, sep byte, count int) []string {
	var out []string
	for {
		if count > 0 && len(out) == count-1 {
			s = strings.TrimLeft(s, string(sep))
			if s != "" {
				out = append(out, s)
			}
			return out
		}
		i := strings.IndexByte(s, sep)
		if i < 0 {
			if s != "" {
				out = append(out, s)
			}
			return out
		}
		if i > 0 {
			out = append(out, s[:i])
		}
		s = s[i+1:]
	}
}

// sameName compares names as the runner's OrdinalIgnoreCase sets do:
// equal once each character is upper-cased; Go's case folding counts too.
func sameName(a, b string) bool {
	return strings.EqualFold(a, b) || strings.Map(unicode.ToUpper, a) == strings.Map(unicode.ToUpper, b)
}

// ignorable reports whether ICU's root collation, which the runner's
// culture-sensitive string search uses, passes over r: format characters,
// controls other than white space, variation selectors.
func ignorable(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Cc, r) && !unicode.IsSpace(r) || unicode.Is(unicode.Variation_Selector, r)
}

func dropIgnorable(r rune) rune {
	if ignorable(r) {
		return -1
	}
	return r
}
