package history

import (
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/input"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		in      input.Values
		want    Options
		problem string
	}{
		{"defaults", nil, Options{Mode: ModeAuto, Size: DefaultSize}, ""},
		{"cluster, in any case", input.Values{"history": "Cluster", "history-size": "1000"}, Options{Mode: modeCluster, Size: 1000}, ""},
		{"off", input.Values{"history": "off", "history-size": "1"}, Options{Mode: ModeOff, Size: 1}, ""},
		{"an unknown mode", input.Values{"history": "configmap"}, Options{Size: DefaultSize}, `input "history"`},
		{"no runs", input.Values{"history-size": "0"}, Options{Mode: ModeAuto, Size: DefaultSize}, `input "history-size"`},
		{"too many runs", input.Values{"history-size": "1001"}, Options{Mode: ModeAuto, Size: DefaultSize}, "1 to 1000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := input.NewReader(Inputs, c.in, input.ActionStyle, nil)
			got := Parse(r)
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			errs := input.List(r.Err())
			switch {
			case c.problem == "" && len(errs) > 0:
				t.Errorf("problems %v, want none", errs)
			case c.problem != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), c.problem)):
				t.Errorf("problems %v, want one saying %s", errs, c.problem)
			}
		})
	}
}

// auto keeps history on every cluster that outlives the run: not on a kind
// cluster the run created, which goes away with it.
func TestOn(t *testing.T) {
	cases := []struct {
		mode      string
		ephemeral bool
		want      bool
	}{
		{ModeAuto, true, false},
		{ModeAuto, false, true},
		{modeCluster, true, true},
		{modeCluster, false, true},
		{ModeOff, true, false},
		{ModeOff, false, false},
	}
	for _, c := range cases {
		if got := (Options{Mode: c.mode}).On(c.ephemeral); got != c.want {
			t.Errorf("history %s (ephemeral cluster %v): %v, want %v", c.mode, c.ephemeral, got, c.want)
		}
	}
}
