package input

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
)

// fuzzDefs are the inputs the fuzz targets read: one of each shape.
var fuzzDefs = []Def{
	{Name: "kv", Multiline: true},
	{Name: "secret-kv", Multiline: true, Secret: true},
	{Name: "words", Multiline: true},
	{Name: "one"},
}

// checkProblems fails when a problem of r could reach the log as more than
// one line or with a control character: the log is where a new line would
// start a workflow command.
func checkProblems(t *testing.T, r *Reader) {
	t.Helper()
	for _, e := range List(r.Err()) {
		if i := strings.IndexFunc(e.Error(), unicode.IsControl); i >= 0 {
			t.Fatalf("problem %q has a control character at byte %d", e.Error(), i)
		}
	}
}

// render writes pairs back as KEY="escaped value" lines, as a user would
// write them.
func render(pairs []keyValue) string {
	var b strings.Builder
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	for _, p := range pairs {
		b.WriteString(p.Key + `="` + esc.Replace(p.Value) + "\"\n")
	}
	return b.String()
}

// KEY=VALUE text: parsed pairs written back and parsed again are the same
// pairs, and no problem is more than one clean line.
func FuzzKeyValues(f *testing.F) {
	for _, s := range []string{
		"A=1\nB=\"two words\"",
		" A = 1 \r\n\r\nB=2\r\n",
		`MSG="hello \"you\"\n"`,
		`MSG='a "b" \n'`,
		"# comment\n\nA=\n",
		"NOPE\n=1\nA=\"x\nA=1\nA=2",
		`A="\q"`,
		"A\rB=\"x",
		"A\x1bB='x",
		"K=\"tab\there\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := NewReader(fuzzDefs, Values{"kv": text}, ActionStyle, nil)
		pairs := r.KeyValues("kv")
		checkProblems(t, r)
		again := NewReader(fuzzDefs, Values{"kv": render(pairs)}, ActionStyle, nil)
		got := again.KeyValues("kv")
		if err := again.Err(); err != nil {
			t.Fatalf("%q rendered as %q: %v", text, render(pairs), err)
		}
		if len(got) != len(pairs) {
			t.Fatalf("%q: %d pairs, rendered and parsed again %d", text, len(pairs), len(got))
		}
		for i := range got {
			if got[i].Key != pairs[i].Key || got[i].Value != pairs[i].Value {
				t.Fatalf("%q: pair %d is %q=%q, rendered and parsed again %q=%q", text, i, pairs[i].Key, pairs[i].Value, got[i].Key, got[i].Value)
			}
		}
	})
}

// sentinel marks what a secret input's problems must never show.
const sentinel = "S3NT1NEL"

// withSentinel puts the sentinel right after the first '=' or ':' of each
// line of text (and at the end of a line that has neither), so that every
// line carries a secret in the part no problem may show.
func withSentinel(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if j := strings.IndexAny(l, "=:"); j >= 0 {
			lines[i] = l[:j+1] + sentinel + l[j+1:]
		} else {
			lines[i] = l + sentinel
		}
	}
	return strings.Join(lines, "\n")
}

// A secret KEY=VALUE input's problems show no part of a line after its
// first '=' or ':' (a YAML-style "KEY: value" included).
func FuzzSecretKeyValues(f *testing.F) {
	for _, s := range []string{"API_KEY=fine", "API_KEY: value=", "no-equals", "X=\"unterminated", `X="\q"`, "A=1\nA=2", "A:B=1\nA:B=2", "=x", "# c\nK='x'y'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(text, sentinel) {
			return
		}
		r := NewReader(fuzzDefs, Values{"secret-kv": withSentinel(text)}, ActionStyle, nil)
		r.KeyValues("secret-kv")
		checkProblems(t, r)
		for _, e := range List(r.Err()) {
			if strings.Contains(e.Error(), sentinel) {
				t.Fatalf("problem %q shows part of a secret line", e.Error())
			}
		}
	})
}

// quoteWord writes w so that splitWords reads it back as one word.
func quoteWord(w string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(w) + `"`
}

// Words: each word quoted and joined splits again into the same words.
func FuzzWords(f *testing.F) {
	for _, s := range []string{`serve --name "a b"`, `a\ b 'c d' "e \"f\""`, "x\\\ny", `"open`, `trailing\`, `'' ""`, "a\tb\r\nc", `"\x\\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := NewReader(fuzzDefs, Values{"words": s}, ActionStyle, nil)
		words := r.Words("words")
		checkProblems(t, r)
		if r.Err() != nil {
			return
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = quoteWord(w)
		}
		joined := strings.Join(quoted, " ")
		again, err := splitWords(joined)
		if err != nil {
			t.Fatalf("%q: words %q joined as %q do not split again: %v", s, words, joined, err)
		}
		if len(words) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(again, words) {
			t.Fatalf("%q: words %q joined as %q split again into %q", s, words, joined, again)
		}
	})
}

// One-line values through Bool, OneOf, Int and Duration: each either
// returns what the value says, by the stated rule, or records one problem;
// never both, and no problem is more than one clean line.
func FuzzScalars(f *testing.F) {
	for _, s := range []string{"true", "FALSE", " True ", "yes", "", "up", "DOWN", "7", "-1", "99999999999999999999", "90s", "1h30m", "0s", "-5m", "1.5µs", "x\n::warning::y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		trimmed := strings.TrimSpace(v)
		control := strings.IndexFunc(trimmed, unicode.IsControl) >= 0
		// problems are the getter's own, after those NewReader records.
		read := func(get func(r *Reader)) (bad bool) {
			r := NewReader(fuzzDefs, Values{"one": v}, ActionStyle, nil)
			before := len(List(r.Err()))
			if control != (before == 1) {
				t.Fatalf("%q: control character %v, but NewReader's problems: %v", v, control, r.Err())
			}
			get(r)
			checkProblems(t, r)
			n := len(List(r.Err())) - before
			if n > 1 {
				t.Fatalf("%q: %d problems from one getter: %v", v, n, r.Err())
			}
			return n == 1
		}

		var b bool
		bad := read(func(r *Reader) { b = r.Bool("one") })
		isTrue, isFalse := strings.EqualFold(trimmed, "true"), strings.EqualFold(trimmed, "false")
		if bad == (isTrue || isFalse || trimmed == "") || b != isTrue {
			t.Fatalf("Bool(%q) = %v, problem %v", v, b, bad)
		}

		var mode string
		bad = read(func(r *Reader) { mode = r.OneOf("one", "is not a mode", "up", "down", "cluster-local") })
		if bad != (mode == "" && trimmed != "") || (mode != "" && !strings.EqualFold(mode, trimmed)) {
			t.Fatalf("OneOf(%q) = %q, problem %v", v, mode, bad)
		}

		var n int64
		var ok bool
		bad = read(func(r *Reader) { n, ok = r.Int("one", -10, 1000, "is not a count", "-10 to 1000") })
		if bad != (!ok && trimmed != "") || (ok && (n < -10 || n > 1000)) {
			t.Fatalf("Int(%q) = %d, %v, problem %v", v, n, ok, bad)
		}

		var d time.Duration
		bad = read(func(r *Reader) { d = r.Duration("one") })
		if bad != (d == 0 && trimmed != "") || d < 0 {
			t.Fatalf("Duration(%q) = %s, problem %v", v, d, bad)
		}
		if d > 0 {
			// What the reader took is what Go's parser says, and its
			// canonical spelling reads back the same.
			if want, err := time.ParseDuration(trimmed); err != nil || want != d {
				t.Fatalf("Duration(%q) = %s, time.ParseDuration says %s, %v", v, d, want, err)
			}
			if again, err := time.ParseDuration(d.String()); err != nil || again != d {
				t.Fatalf("Duration(%q) = %s does not read back: %s, %v", v, d, again, err)
			}
		}
	})
}
