package runnertest

import (
	"reflect"
	"slices"
	"testing"
)

// The cases restate, with other values, what the runner's own tests check
// of its parser (src/Test/L0/Worker/ActionCommandL0.cs) and of its command
// manager (src/Test/L0/Worker/ActionCommandManagerL0.cs).
func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want *Command // nil: no command
	}{
		// The legacy form, anywhere in the line.
		{"legacy with a property", "##[warning file=a.go;]look here", &Command{Name: "warning", Properties: map[string]string{"file": "a.go"}, Data: "look here", Legacy: true}},
		{"legacy without data", "##[endgroup]", &Command{Name: "endgroup", Legacy: true}},
		{"legacy unescapes", "##[debug k=x%3By%0Dz%0Aw%5D;]1%3B2%0D3%0A4%5D5", &Command{Name: "debug", Properties: map[string]string{"k": "x;y\rz\nw]"}, Data: "1;2\r3\n4]5", Legacy: true}},
		{"legacy unescapes once", "##[debug k=%253B%250A;]%253B%250D%255D", &Command{Name: "debug", Properties: map[string]string{"k": "%3B%0A"}, Data: "%3B%0D%5D", Legacy: true}},
		{"legacy empty properties are left out", "##[group a=;b=;]", &Command{Name: "group", Legacy: true}},
		{"legacy after other text", "connecting to dev ##[error title=x;]boom", &Command{Name: "error", Properties: map[string]string{"title": "x"}, Data: "boom", Legacy: true}},
		{"legacy: only the first ##[ is read", "##[unknown]x ##[error]y", nil},
		{"legacy: an unregistered name", "##[do-something]x", nil},
		// The V2 form, at the start of the line after white space.
		{"v2 with a property", "::warning file=a.go,::look here", &Command{Name: "warning", Properties: map[string]string{"file": "a.go"}, Data: "look here"}},
		{"v2 without data", "::endgroup::", &Command{Name: "endgroup"}},
		{"v2 unescapes", "::debug k=;%2C%0D%0A]%3A,::;%0D%0A]:,", &Command{Name: "debug", Properties: map[string]string{"k": ";,\r\n]:"}, Data: ";\r\n]:,"}},
		{"v2 unescapes once", "::debug k=%252C%253A,::%250D%250A%2525", &Command{Name: "debug", Properties: map[string]string{"k": "%2C%3A"}, Data: "%0D%0A%25"}},
		{"v2 empty properties are left out", "::group a=,b=,::", &Command{Name: "group"}},
		{"v2 a property's value after '='s", "::group a==b,::", &Command{Name: "group", Properties: map[string]string{"a": "b"}}},
		{"v2 after white space", " \t ::notice k=v::msg", &Command{Name: "notice", Properties: map[string]string{"k": "v"}, Data: "msg"}},
		{"v2 after other text", "  >>>  ::error::boom", nil},
		{"v2 without its second ::", "::error boom", nil},
		{"v2 an unregistered name", "::do-something::x", nil},
		{"v2 names ignore case", "::ERROR::x", &Command{Name: "ERROR", Data: "x"}},
		{"v2 names ignore case as .NET upper-cases", "::warn\u0131ng::x", &Command{Name: "warn\u0131ng", Data: "x"}},
		{"v2 wins over legacy", "::debug::##[error]x", &Command{Name: "debug", Data: "##[error]x"}},
		{"legacy when v2 fails", "::nothing::##[error]x", &Command{Name: "error", Data: "x", Legacy: true}},
		// The culture-sensitive search passes over ignorable code points.
		{"v2 end split by an ignorable", "::error:\u200b:x", &Command{Name: "error", Data: "x"}},
		{"legacy prefix split by an ignorable", "#\u00ad#[error]x", &Command{Name: "error", Data: "x", Legacy: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Runner
			got, ok := r.Line(tt.line)
			if tt.want == nil {
				if ok {
					t.Fatalf("Line(%q) = %+v, want no command", tt.line, got)
				}
				return
			}
			tt.want.Line = tt.line
			if !ok || !reflect.DeepEqual(got, *tt.want) {
				t.Fatalf("Line(%q) = %+v, %v; want %+v", tt.line, got, ok, *tt.want)
			}
		})
	}
}

func TestLines(t *testing.T) {
	for in, want := range map[string][]string{
		"a\r\nb\rc\nd":  {"a", "b", "c", "d"},
		"a\n\nb\n":      {"a", "", "b"},
		"\r":            {""},
		"\r\r\n":        {"", ""},
		"no line break": {"no line break"},
		"":              nil,
	} {
		if got := Lines(in); !slices.Equal(got, want) {
			t.Errorf("Lines(%q) = %q, want %q", in, got, want)
		}
	}
}

// stop-commands stops every command, in both forms, until its token comes
// back as a command of its own.
func TestStopCommands(t *testing.T) {
	for _, tt := range []struct {
		stop, resume string
		want         []string // name=data of each command carried out
	}{
		{"##[stop-commands]pauseHere", "##[pauseHere]", []string{"stop-commands=pauseHere", "pauseHere=", "set-env=e"}},
		{"::stop-commands::pause-7f3a", "::pause-7f3a::", []string{"stop-commands=pause-7f3a", "pause-7f3a=", "set-env=e"}},
		{"::stop-commands::pause-7f3a", "text ##[PAUSE-7F3A]", []string{"stop-commands=pause-7f3a", "PAUSE-7F3A=", "set-env=e"}},
	} {
		out := tt.stop + "\n##[set-env name=a]b\n::error::c\n" + tt.resume + "\n::set-env name=d::e\n"
		var got []string
		for _, c := range Read(out) {
			got = append(got, c.Name+"="+c.Data)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: commands %q, want %q", out, got, tt.want)
		}
	}
	// A token the runner refuses (empty, a command's name) stops nothing.
	for _, stop := range []string{"::stop-commands::", "::stop-commands::set-env", "::stop-commands::Pause-Logging"} {
		if got := Read(stop + "\n::error::x"); len(got) != 2 || got[1].Name != "error" {
			t.Errorf("after %q: %+v", stop, got)
		}
	}
}

// add-mask hides its data and each of its lines (AddMaskWithMultilineValue).
func TestMasks(t *testing.T) {
	c := Read("::add-mask::one%0Dtwo%0A three %0D%0Afour")
	want := []string{"one\rtwo\n three \r\nfour", "one", "two", "three", "four"}
	if len(c) != 1 || !slices.Equal(c[0].Masks(), want) {
		t.Errorf("masks %+v, want %q", c, want)
	}
	if c := Read("::add-mask:: %0D  %0A  "); len(c) != 1 || c[0].Masks() != nil {
		t.Errorf("a blank add-mask: %+v", c)
	}
	if c := Read("::warning::x"); c[0].Masks() != nil {
		t.Errorf("a warning masks %q", c[0].Masks())
	}
	if got := WithoutMasks("a\n::add-mask::s3cret\r  ::ADD-MASK::t0ken\n| ::add-mask::x"); got != "a\n| ::add-mask::x" {
		t.Errorf("WithoutMasks = %q", got)
	}
}
