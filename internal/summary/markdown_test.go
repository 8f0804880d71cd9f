package summary

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/report"
)

func TestInline(t *testing.T) {
	for _, tc := range []struct {
		name, in, text, code, cellCode string
	}{
		{"plain", "hello-00001", "hello-00001", "`hello-00001`", "`hello-00001`"},
		{"pipe and newline", "a|b\nc\r\nd\te", `a\|b c  d e`, "`a|b c  d e`", "`a\\|b c  d e`"},
		{"markup", "<b>*x*</b> [l](u) ~~s~~ &amp; _u_", `\<b\>\*x\*\</b\> \[l\](u) \~\~s\~\~ \&amp; \_u\_`, "`<b>*x*</b> [l](u) ~~s~~ &amp; _u_`", "`<b>*x*</b> [l](u) ~~s~~ &amp; _u_`"},
		{"backticks", "a ``b`` c", "a \\`\\`b\\`\\` c", "```a ``b`` c```", "```a ``b`` c```"},
		{"backtick at the ends", "`x`", "\\`x\\`", "`` `x` ``", "`` `x` ``"},
		{"control characters", "a\x00b\x1bc\u2028d", "abcd", "`abcd`", "`abcd`"},
		{"invalid UTF-8", "a\xffb", "a�b", "`a�b`", "`a�b`"},
		{"empty", "", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := text(tc.in, 100); got != tc.text {
				t.Errorf("text: %q, want %q", got, tc.text)
			}
			if got := code(tc.in, 100); got != tc.code {
				t.Errorf("code: %q, want %q", got, tc.code)
			}
			if got := cellCode(tc.in, 100); got != tc.cellCode {
				t.Errorf("cellCode: %q, want %q", got, tc.cellCode)
			}
		})
	}
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a longer text", 10, "a longe…"},
		{"ééééé", 8, "éé…"}, // never half a rune
		{"abc", 2, "…"},
	} {
		if got := cut(tc.in, tc.limit); got != tc.want || len(got) > max(tc.limit, len("…")) {
			t.Errorf("cut(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestBlock(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		limit    int
		want     string
	}{
		{"plain", "line 1\n  line 2\n", 100, "```\nline 1\n  line 2\n```\n"},
		{"fence inside", "a\n```\nb\n````", 100, "`````\na\n```\nb\n````\n`````\n"},
		{"carriage returns and controls", "a\r\nb\x1b[31m", 100, "```\na\nb[31m\n```\n"},
		{"cut keeps head and tail", "HEAD" + strings.Repeat("x", 1000) + "TAIL", 100, "```\nHEAD" + strings.Repeat("x", 68) + "\n[... 911 bytes cut ...]\n" + strings.Repeat("x", 21) + "TAIL\n```\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := block(tc.in, tc.limit); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestLink(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://hello.default.example.com", "[http://hello.default.example.com](<http://hello.default.example.com>)"},
		{"https://h.example.com/a_b?x=1", `[https://h.example.com/a\_b?x=1](<https://h.example.com/a_b?x=1>)`},
		{"javascript:alert(1)", "`javascript:alert(1)`"},
		{"http://h.example.com/x>)<img src=x>", "`http://h.example.com/x>)<img src=x>`"},
		{"http://h.example.com/a b", "`http://h.example.com/a b`"},
		{"not a url", "`not a url`"},
	} {
		if got := link(tc.in); got != tc.want {
			t.Errorf("link(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// hostile is text from outside that tries to break out of a table cell,
// a code span, a code block or a Mermaid label, and to add HTML and links.
const hostile = "x | y\n| --- |\n```\n<img src=x onerror=alert(1)> [click](http://evil.example) ``` \"]\n%%{init}%%\n-->"

// Text from outside (pod names, reasons, errors, versions, URLs, outputs)
// leaves every table with its columns, every code block closed where it
// began, and no HTML or link of its own.
func TestHostileText(t *testing.T) {
	r := succeeded()
	r.Service = &report.Service{Name: hostile, Namespace: hostile, Revision: hostile, URL: hostile, ReadySeconds: 1}
	r.Knative = report.Knative{ServingVersion: hostile, Ingress: hostile, IngressVersion: hostile}
	r.PullRequest.HeadSHA = hostile
	r.Stages[0].Name = hostile
	for i := range r.Measure.Samples {
		s := &r.Measure.Samples[i]
		s.Pod, s.Image, s.Reason, s.Verdict = hostile, hostile, hostile, hostile
	}
	r.Comparison.Baseline, r.Comparison.Verdict = hostile, hostile
	for i := range r.Comparison.Figures {
		f := &r.Comparison.Figures[i]
		f.Name, f.Verdict, f.Reason = hostile, hostile, hostile
	}
	for i := range r.Trend {
		r.Trend[i].Time, r.Trend[i].Commit = hostile, hostile
	}
	values := map[string]string{"url": hostile, "domain": hostile, "context": hostile}
	bad := *r
	bad.OK, bad.Error = false, hostile+"\n"+hostile
	bad.Stages = append([]report.Stage{}, r.Stages...)
	bad.Stages[1].Error = hostile
	for name, md := range map[string]string{
		"job":             Job(r, values),
		"job failed":      Job(&bad, values),
		"comment":         Comment(r, CommentContext{RunURL: hostile}),
		"comment failed":  Comment(&bad, CommentContext{RunURL: hostile}),
		"comment removed": Comment(&report.Report{OK: true}, CommentContext{Removed: time.Unix(0, 0), Service: hostile, Namespace: hostile, Tag: hostile}),
	} {
		t.Run(name, func(t *testing.T) { checkRendered(t, md) })
	}
}

// checkRendered checks Markdown rendered from text from outside: its
// tables, code blocks and links (checkMarkdown) and its charts
// (checkMermaid).
func checkRendered(t *testing.T, md string) {
	t.Helper()
	checkMarkdown(t, md)
	checkMermaid(t, md)
}

var linkTo = regexp.MustCompile(`\]\(<[^<>\s]*>\)`)

// checkMarkdown checks that every fenced block of md is closed, that
// every table row has its header's number of cells, and that outside code
// nothing reads as HTML or as a link to somewhere of the text's choosing.
func checkMarkdown(t *testing.T, md string) {
	t.Helper()
	var fence string
	header := 0
	var lines []string
	for i, l := range strings.Split(md, "\n") {
		if fence != "" {
			if strings.HasPrefix(l, "```") && strings.Trim(l, "`") == "" && len(l) >= len(fence) {
				fence = ""
			}
			continue
		}
		// A fence is three or more backticks and an info string without
		// one; a code span at the start of a line is not.
		if run := len(l) - len(strings.TrimLeft(l, "`")); run >= 3 && !strings.Contains(l[run:], "`") {
			fence = l[:run]
			continue
		}
		if i == 0 && l == Marker {
			continue
		}
		if strings.HasPrefix(l, "|") {
			n := cells(l)
			if header == 0 {
				header = n
			} else if n != header {
				t.Errorf("table row with %d cells under a header of %d: %q", n, header, l)
			}
			// GitHub takes the backslash off an escaped pipe before it
			// reads a cell's text.
			l = strings.ReplaceAll(l, `\|`, "|")
		} else {
			header = 0
		}
		lines = append(lines, l)
	}
	if fence != "" {
		t.Errorf("a code block is not closed:\n%s", md)
	}
	p := linkTo.ReplaceAllString(prose(strings.Join(lines, "\n")), "]")
	for _, raw := range []string{"<", "](", "-->"} {
		if strings.Contains(p, raw) {
			t.Errorf("%q outside code, unescaped:\n%s", raw, p)
		}
	}
}

// cells is the number of cells of a table row that begins and ends with a
// pipe. As GitHub reads a row, every pipe ends a cell but one right after
// a backslash, even an escaped backslash and even in a code span: `a\\|b`
// is one cell.
func cells(row string) int {
	n := 0
	for i := 1; i < len(row); i++ {
		if row[i] == '|' && row[i-1] != '\\' {
			n++
		}
	}
	return n
}

// prose is s without its code spans (a run of backticks up to the next
// run of the same length) and its backslash escapes: what Markdown reads
// as text or markup. As in CommonMark, a backslash escapes ASCII
// punctuation outside code spans only, and an escaped backtick opens none.
func prose(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(punctuation, s[i+1]) >= 0:
			i += 2
		case c == '`':
			n := len(s[i:]) - len(strings.TrimLeft(s[i:], "`"))
			if end := closing(s[i+n:], n); end >= 0 {
				i += n + end
			} else {
				b.WriteString(s[i : i+n])
				i += n
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// punctuation is the ASCII punctuation a backslash escapes.
const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// closing is how far into rest a code span opened by n backticks ends,
// past its closing run of exactly n backticks; -1 when it does not.
func closing(rest string, n int) int {
	for k := 0; k < len(rest); {
		m := strings.Index(rest[k:], strings.Repeat("`", n))
		if m < 0 {
			return -1
		}
		m += k
		run := len(rest[m:]) - len(strings.TrimLeft(rest[m:], "`"))
		if run == n {
			return m + n
		}
		k = m + run
	}
	return -1
}

// The sample table's rows stay in their columns with a sample that has no
// breakdown at all.
func TestBreakdownWithoutSteps(t *testing.T) {
	got := stacked(measure.Breakdown{FirstByte: 5})
	if len(got) != 5 || got[0] != nil || got[3] != nil || *got[4] != 5 {
		t.Errorf("stacked: %v", got)
	}
	late := stacked(measure.Breakdown{Scaled: f(10), Ready: f(900), FirstByte: 500})
	if *late[0] != 10 || *late[3] != 500 || *late[4] != 500 {
		t.Errorf("a step seen after the first byte is not counted as done by then: %v %v %v", *late[0], *late[3], *late[4])
	}
}
