package summary

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lengths that text from outside (a cluster's answers, an error, a
// service's URL) is cut to, so that no input can push the Markdown past
// what GitHub accepts.
const (
	// cellMax is the longest text in a table cell or a line, in bytes.
	cellMax = 200
	// urlMax is the longest URL shown as a link.
	urlMax = 2000
)

// text is s for inline Markdown: on one line, at most limit bytes, with
// control characters dropped and every character that Markdown or HTML
// would read (emphasis, links, tags, entities, table pipes) escaped.
func text(s string, limit int) string {
	s = oneLine(cut(s, limit))
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|~&", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// code is s as an inline code span, on one line, at most limit bytes: its
// fence is longer than any run of backticks inside it.
func code(s string, limit int) string {
	s = oneLine(cut(s, limit))
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// cellCode is code for a table cell, where a pipe, even in a code span,
// ends the cell unless escaped.
func cellCode(s string, limit int) string {
	return strings.ReplaceAll(code(s, limit), "|", `\|`)
}

// block is s as a fenced code block, cut to at most limit bytes (its head
// and its tail, which most often says the cause); its fence is longer than
// any run of backticks inside.
func block(s string, limit int) string {
	s = strings.TrimSpace(clean(s, true))
	if len(s) > limit {
		h := strings.TrimSuffix(cut(s, limit-limit/4), "…")
		t := s[len(s)-limit/4:]
		for len(t) > 0 && !utf8.RuneStart(t[0]) {
			t = t[1:]
		}
		s = fmt.Sprintf("%s\n[... %d bytes cut ...]\n%s", h, len(s)-len(h)-len(t), t)
	}
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + "\n" + s + "\n" + fence + "\n"
}

// link is u as a Markdown link to itself, or as code when it is not a
// plain http(s) URL that a link can carry unchanged.
func link(u string) string { return linkNamed(u, u) }

// linkNamed is a Markdown link to u that reads name; when u is not a plain
// http(s) URL that a link can carry unchanged, it is name with u as code.
func linkNamed(name, u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || len(u) > urlMax ||
		strings.ContainsFunc(u, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("<>\"`\\|[]()", r) }) {
		if name == u {
			return code(u, urlMax)
		}
		return text(name, urlMax) + " (" + code(u, urlMax) + ")"
	}
	return "[" + text(name, urlMax) + "](<" + u + ">)"
}

// label is s as a quoted Mermaid label: only letters, digits and a few
// marks that Mermaid reads as themselves; everything else becomes a space.
func label(s string, limit int) string {
	return `"` + ganttName(s, limit) + `"`
}

// ganttName is s as a gantt task name, which cannot be quoted: as label,
// without the quotes (a colon would end the name).
func ganttName(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" .,_+-/()", r)) {
			return r
		}
		return ' '
	}, cut(s, limit))
	return strings.Join(strings.Fields(s), " ")
}

// oneLine is s with line breaks and tabs as spaces and other control
// characters dropped.
func oneLine(s string) string {
	return strings.TrimSpace(clean(s, false))
}

// clean drops control characters (and invalid UTF-8) from s; newlines
// are kept when lines is true, spaces otherwise.
func clean(s string, lines bool) string {
	s = strings.ToValidUTF8(s, "�")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && lines:
			return r
		case r == '\n' || r == '\r' || r == '\t':
			if r == '\r' && lines {
				return -1
			}
			return ' '
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return -1
		}
		return r
	}, s)
}

// cut is s cut to at most limit bytes at a rune boundary, ending in an
// ellipsis when it was cut.
func cut(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	n := max(limit-len("…"), 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
