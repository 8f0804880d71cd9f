package input

import (
	"strings"
	"testing"
)

func TestUnknown(t *testing.T) {
	defs := []Def{{Name: "serving-version"}, {Name: "cluster"}, {Name: "cold-start-samples"}, {Name: "container-args"}}
	got := Unknown(defs, []string{
		"INPUT_SERVING-VERSION=1.23", // known
		"INPUT_SERVING_VERSION=1.23", // a typo: underscore
		"INPUT_CLUSTR=kind",          // a typo: a letter missing
		"INPUT_COMPLETELY-ELSE=x",    // nothing near
		"INPUT_ARGS=--port=3000",     // the end of one input's name
		"PATH=/usr/bin",
	})
	want := []string{
		"INPUT_ARGS is not an input of this action: it is ignored (did you mean container-args?)",
		"INPUT_CLUSTR is not an input of this action: it is ignored (did you mean cluster?)",
		"INPUT_COMPLETELY-ELSE is not an input of this action: it is ignored",
		"INPUT_SERVING_VERSION is not an input of this action: it is ignored (did you mean serving-version?)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
