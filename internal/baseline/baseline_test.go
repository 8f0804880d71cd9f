package baseline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/regression"
	"github.com/knative-preview/action/internal/report"
)

func TestParse(t *testing.T) {
	actions := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": "/github/workspace"}
	host := `"/home/runner/work/app/app"`
	cases := []struct {
		name    string
		in      input.Values
		env     map[string]string
		want    Options
		problem string // what the one problem says; empty: none
		warning string // what the one warning says; empty: none
	}{
		{"none", nil, nil, Options{}, "", ""},
		{"history", input.Values{"baseline": "History"}, nil, Options{History: true}, "", ""},
		{"another service's history", input.Values{"baseline": "history", "baseline-service": "hello-main"}, nil, Options{History: true, Service: "hello-main"}, "", ""},
		{"a file", input.Values{"baseline": "main/report.json"}, nil, Options{File: "main/report.json"}, "", ""},
		{"a file named history", input.Values{"baseline": "./history"}, nil, Options{File: "./history"}, "", ""},
		{"a host path in the container", input.Values{"baseline": "/home/runner/work/app/app/main/report.json", "host-workspace": host}, actions,
			Options{File: "/github/workspace/main/report.json"}, "", ""},
		{"a file outside the workspace", input.Values{"baseline": "/etc/passwd", "host-workspace": host}, actions, Options{}, "outside the workspace", ""},
		{"a tagged preview's history", input.Values{"baseline": "history", "baseline-service": "hello.main"}, nil, Options{History: true, Service: "hello.main"}, "", ""},
		{"a service that is not a name", input.Values{"baseline": "history", "baseline-service": "Hello_Main"}, nil, Options{History: true}, `input "baseline-service"`, ""},
		{"a name with two dots", input.Values{"baseline": "history", "baseline-service": "hello.main.x"}, nil, Options{History: true}, `input "baseline-service"`, ""},
		{"a service without history", input.Values{"baseline": "main.json", "baseline-service": "hello-main"}, nil, Options{File: "main.json"}, "", "is ignored"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := input.NewReader(append(Inputs, input.HostWorkspace), c.in, input.ActionStyle, func(k string) string { return c.env[k] })
			if got := Parse(r); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			errs := input.List(r.Err())
			switch {
			case c.problem == "" && len(errs) > 0:
				t.Errorf("problems %v, want none", errs)
			case c.problem != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), c.problem)):
				t.Errorf("problems %v, want one saying %s", errs, c.problem)
			}
			warnings := r.Warnings()
			switch {
			case c.warning == "" && len(warnings) > 0:
				t.Errorf("warnings %v, want none", warnings)
			case c.warning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], c.warning)):
				t.Errorf("warnings %v, want one saying %s", warnings, c.warning)
			}
		})
	}
}

// The report file in testdata is in the current report's shape: it
// encodes back as it is.
func TestTestdataIsAReport(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "main.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := readReport(filepath.Join("testdata", "main.json"))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := report.Encode(r); err != nil || !bytes.Equal(again, b) {
		t.Errorf("testdata/main.json is not a report as this version writes it (%v):\n%s", err, again)
	}
}

func TestLoadFile(t *testing.T) {
	s, source, err := Load(context.Background(), Options{File: filepath.Join("testdata", "main.json")}, nil, "default", "hello")
	if err != nil {
		t.Fatal(err)
	}
	want := regression.Samples{
		ColdStartMs: []float64{1412.5, 1380, 1450.25, 1399, 1502, 1420}, // not the first, pulled one
		ReadyMs:     []float64{8400},
		WarmMs:      []float64{3.1, 2.9, 3.4, 3.0, 3.2},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("samples %+v, want %+v", s, want)
	}
	if want := "report file testdata/main.json (commit 0123456, 2026-03-01T12:00:00Z)"; source != want {
		t.Errorf("source %q, want %q", source, want)
	}
	if c := regression.Compare(s, s, regression.Options{}); c.Verdict != regression.None {
		t.Errorf("the baseline against itself: %s, want none", c.Verdict)
	}
}

// Nothing to compare with yet is ErrNone, a warning; a file that is not a
// report this version reads is an error that says why.
func TestLoadProblems(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		none bool
		says []string
	}{
		{"no baseline", Options{}, true, []string{"input is empty"}},
		{"a missing file", Options{File: filepath.Join("testdata", "missing.json")}, true, []string{"testdata/missing.json does not exist", "first run"}},
		{"a newer schema", Options{File: filepath.Join("testdata", "newer.json")}, false, []string{"schema version 2", "up to 1"}},
		{"not a report", Options{File: filepath.Join("testdata", "not-a-report.json")}, false, []string{"not a report of knative-preview", "no schema-version"}},
		{"not JSON", Options{File: filepath.Join("testdata", "truncated.json")}, false, []string{"testdata/truncated.json is not JSON"}},
		{"a folder", Options{File: "testdata"}, false, []string{"reading the baseline report testdata", "is a directory"}},
		{"a negative time", Options{File: filepath.Join("testdata", "negative.json")}, false, []string{"testdata/negative.json has a negative cold start time"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Load(context.Background(), c.o, nil, "default", "hello")
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrNone) != c.none {
				t.Errorf("%v: ErrNone is %v, want %v", err, !c.none, c.none)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%v: does not say %q", err, s)
				}
			}
		})
	}
}
