package input

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var testDefs = []Def{
	{Name: "name", Default: "knative"},
	{Name: "count"},
	{Name: "flag", Default: "false", Bool: true},
	{Name: "wait"},
	{Name: "mode", Default: "up"},
	{Name: "images", Multiline: true},
	{Name: "env", Multiline: true},
	{Name: "secret", Secret: true, Multiline: true},
	{Name: "token", Secret: true},
	{Name: "user", Credential: true},
	{Name: "needed", Required: true},
}

// Each getter applies the default, parses, and records one problem per bad
// value, named in the reader's style.
func TestReaderGetters(t *testing.T) {
	raw := Values{"count": " 7 ", "flag": "true", "wait": "90s", "mode": "down", "images": "a:1, b:2\nc:3", "env": "A=1\n# note\nB=\"x y\"", "needed": "x"}
	r := NewReader(testDefs, raw, ActionStyle, nil)
	if got := r.String("name"); got != "knative" {
		t.Errorf("String of an empty input = %q, want its default", got)
	}
	if n, ok := r.Int("count", 0, 10, "is not a count", "0 to 10"); !ok || n != 7 {
		t.Errorf("Int = %d, %v", n, ok)
	}
	if !r.Bool("flag") {
		t.Error("Bool(true) = false")
	}
	if d := r.Duration("wait"); d != 90*time.Second {
		t.Errorf("Duration = %s", d)
	}
	if m := r.OneOf("mode", "is not a mode", "up", "down"); m != "down" {
		t.Errorf("OneOf = %q", m)
	}
	if got := strings.Join(r.List("images"), "|"); got != "a:1|b:2|c:3" {
		t.Errorf("List = %q", got)
	}
	kv := r.KeyValues("env")
	if len(kv) != 2 || kv[1] != (keyValue{Line: 3, Key: "B", Value: "x y"}) {
		t.Errorf("KeyValues = %+v", kv)
	}
	if err := r.Err(); err != nil {
		t.Errorf("problems with good values: %v", err)
	}
}

func TestReaderProblems(t *testing.T) {
	tests := []struct {
		name  string
		raw   Values
		style Style
		read  func(r *Reader)
		want  []string
	}{
		{"required", Values{}, ActionStyle, func(*Reader) {}, []string{`input "needed": is required`}},
		{"int out of range", Values{"needed": "x", "count": "11"}, FlagStyle, func(r *Reader) { r.Int("count", 0, 10, "is not a count", "0 to 10") }, []string{`--count: "11" is not a count (accepted: 0 to 10)`}},
		{"bool", Values{"needed": "x", "flag": "maybe"}, ActionStyle, func(r *Reader) { r.Bool("flag") }, []string{`input "flag": "maybe" is not a boolean (accepted: true, false (in any case))`}},
		{"duration", Values{"needed": "x", "wait": "-1m"}, ActionStyle, func(r *Reader) { r.Duration("wait") }, []string{`input "wait": "-1m" must be positive`}},
		{"one of", Values{"needed": "x", "mode": "sideways"}, ActionStyle, func(r *Reader) { r.OneOf("mode", "is not a mode", "up", "down") }, []string{`input "mode": "sideways" is not a mode (accepted: up, down (in any case))`}},
		{"a new line in a one-line input, not quoted", Values{"needed": "/ok\n::warning::x"}, ActionStyle, func(*Reader) {}, []string{`input "needed": has a control character (U+000A) at byte 3: this input is one line`}},
		{"a secret's value is never shown", Values{"needed": "x", "token": "hunter2"}, ActionStyle, func(r *Reader) { r.Int("token", 0, 1, "is not a count", "0 or 1") }, []string{`input "token": is not a count`}},
		{"key without =", Values{"needed": "x", "env": "A=1\nNOPE"}, ActionStyle, func(r *Reader) { r.KeyValues("env") }, []string{`input "env": line 2: "NOPE" has no '='`}},
		{"a credential input is quoted up to its separator", Values{"needed": "x", "user": "robot:tok3n"}, ActionStyle, func(r *Reader) { r.Bad("user", r.String("user"), "has a ':'", "") }, []string{`input "user": "robot:…" has a ':'`}},
		{"a secret line is never quoted", Values{"needed": "x", "secret": "hunter2"}, ActionStyle, func(r *Reader) { r.KeyValues("secret") }, []string{`input "secret": line 1: has no '='`}},
		{"a secret's empty value", Values{"needed": "x", "secret": "OK=1\nc2VjcmV0dG9rZW4="}, ActionStyle, func(r *Reader) { r.KeyValues("secret") }, []string{`input "secret": line 2: has an empty value: a secret needs one (a token ending in '=', as base64 padding does, reads as a name with no value; write NAME=token) (accepted: ` + keyValueAccepted + `)`}},
		{"an empty value of a plain input is a value", Values{"needed": "x", "env": "DEBUG="}, ActionStyle, func(r *Reader) { r.KeyValues("env") }, nil},
		{"a setting beside the inputs", Values{"needed": "x"}, ActionStyle, func(r *Reader) { r.BadSetting("GITHUB_EVENT_PATH", "is not set", "") }, []string{`GITHUB_EVENT_PATH: is not set`}},
		{"a setting's problem found elsewhere keeps its name", Values{"needed": "x"}, FlagStyle, func(r *Reader) { r.Add("env", &Error{Setting: "KUBECONFIG", Problem: "is empty"}) }, []string{`KUBECONFIG: is empty`}},
		{"words", Values{"needed": "x", "env": `"open`}, ActionStyle, func(r *Reader) { r.Words("env") }, []string{`input "env": has an unterminated " quote`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(testDefs, tt.raw, tt.style, nil)
			tt.read(r)
			got := List(r.Err())
			if len(got) != len(tt.want) {
				t.Fatalf("problems %v, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i].Error(), w) {
					t.Errorf("problem %q, want it to start with %q", got[i], w)
				}
			}
		})
	}
}

func TestReaderAddNamesInItsStyle(t *testing.T) {
	r := NewReader(testDefs, Values{"needed": "x"}, FlagStyle, nil)
	r.Add("name", &Error{Input: "count", Value: "x", Problem: "is bad"}, errString("plain"), &Error{Problem: "names nothing"})
	got := List(r.Err())
	if len(got) != 3 || got[0].Error() != `--count: "x" is bad` || got[1].Error() != `--name: plain` || got[2].Error() != `--name: names nothing` {
		t.Errorf("Add gave %v", got)
	}
}

// A problem names what it is about: an input, or a setting beside the
// inputs. Recording one that names nothing is the caller's mistake, never
// a line that reads `input "": ...`.
func TestEveryProblemNamesItsSource(t *testing.T) {
	for name, record := range map[string]func(r *Reader){
		"Bad":                  func(r *Reader) { r.Bad("", "", "is bad", "") },
		"BadSetting":           func(r *Reader) { r.BadSetting("", "is bad", "") },
		"Add of a plain error": func(r *Reader) { r.Add("", errString("plain")) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("a problem without a name was recorded")
				}
			}()
			record(NewReader(testDefs, Values{"needed": "x"}, ActionStyle, nil))
		})
	}
	if got := (&Error{Problem: "is bad"}).Error(); strings.Contains(got, `""`) {
		t.Errorf("a hand-built problem without a name reads %q", got)
	}
}

// The refused lines of a secret input are masked, and the key of an empty
// value too; a plain input's are not, nor are accepted keys.
func TestRefusedSecretLinesAreMasked(t *testing.T) {
	r := NewReader(testDefs, Values{"needed": "x", "secret": "OK=1\n tok3n= \nbare-line\nQ=\"open", "env": "plain-line"}, ActionStyle, nil)
	r.KeyValues("secret")
	r.KeyValues("env")
	want := []string{"tok3n", "tok3n=", "bare-line", `Q="open`, `"open`, "open"}
	if got := r.Masks(); !slices.Equal(got, want) {
		t.Errorf("Masks() = %q, want %q", got, want)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// One rule for every boolean and every enum: any case, as the runner reads
// booleans; the value comes back as the component spells it.
func TestCaseRules(t *testing.T) {
	for _, v := range []string{"true", "True", "TRUE", "tRuE"} {
		r := NewReader(testDefs, Values{"needed": "x", "flag": v}, ActionStyle, nil)
		if !r.Bool("flag") || r.Err() != nil {
			t.Errorf("Bool(%q) is not true: %v", v, r.Err())
		}
	}
	for _, v := range []string{"1", "yes", "t"} {
		r := NewReader(testDefs, Values{"needed": "x", "flag": v}, ActionStyle, nil)
		if r.Bool("flag"); r.Err() == nil {
			t.Errorf("Bool(%q) was accepted: only true and false are booleans", v)
		}
	}
	r := NewReader(testDefs, Values{"needed": "x", "mode": "DOWN"}, ActionStyle, nil)
	if got := r.OneOf("mode", "is not a mode", "up", "down"); got != "down" || r.Err() != nil {
		t.Errorf("OneOf(DOWN) = %q, %v; want down", got, r.Err())
	}
}
