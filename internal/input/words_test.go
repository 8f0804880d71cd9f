package input

import (
	"reflect"
	"testing"
)

func TestSplitWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		bad  bool
	}{
		{"serve", []string{"serve"}, false},
		{"  a  b\tc\nd ", []string{"a", "b", "c", "d"}, false},
		{`--msg "hello world" 'it''s'`, []string{"--msg", "hello world", "its"}, false},
		{`a\ b "x\"y" 'x\y'`, []string{"a b", `x"y`, `x\y`}, false},
		{`""`, []string{""}, false},
		{"a \\\nb", []string{"a", "b"}, false},
		{`"open`, nil, true},
		{`trailing\`, nil, true},
	}
	for _, c := range cases {
		got, err := splitWords(c.in)
		if (err != nil) != c.bad {
			t.Errorf("splitWords(%q): error %v, want error %v", c.in, err, c.bad)
			continue
		}
		if !c.bad && !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitWords(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
