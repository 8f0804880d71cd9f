package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/reachable"
)

var update = flag.Bool("update", false, "rewrite testdata/report.golden.json")

func f(v float64) *float64 { return &v }

// sample is a report as a run with a pulled first sample, a discarded
// sample and a failed warm check writes it.
func sample() *Report {
	cold := measure.Sample{Index: 2, Verdict: measure.VerdictCold, TotalMs: 1412.5, TTFBMs: 1410, Status: 200, Pod: "hello-00001-deployment-abc", Image: measure.ImagePresent,
		Breakdown: measure.Breakdown{Scaled: f(12), Scheduled: f(30), Started: f(700), Ready: f(1380), FirstByte: 1410}}
	first := measure.Sample{Index: 1, Verdict: measure.VerdictCold, TotalMs: 5200, TTFBMs: 5190, Status: 200, Pod: "hello-00001-deployment-xyz", Image: measure.ImagePulled, PullMessage: "Successfully pulled image in 3.2s",
		Breakdown: measure.Breakdown{Scaled: f(10), Scheduled: f(25), Started: f(4500), Ready: nil, FirstByte: 5190}}
	discarded := measure.Sample{Index: 3, Verdict: measure.VerdictDiscarded, Reason: "a draining pod answered", TotalMs: 4, TTFBMs: 4, Status: 200, Image: "unknown", Breakdown: measure.Breakdown{FirstByte: 4}}
	m := &measure.Report{
		Samples:       []measure.Sample{first, cold, discarded},
		Cold:          measure.Summarise([]float64{1412.5}),
		FirstWithPull: &first,
		Warm:          measure.Summarise([]float64{3.1, 2.9, 3.4}),
		WarmMs:        []float64{3.1, 2.9, 3.4},
		Problems:      []string{"warm request 2 (GET http://hello.default.example.com/): status 500, want 200"},
	}
	return &Report{
		SchemaVersion: SchemaVersion, Time: "2026-03-01T12:00:00Z", Tool: "knative-preview dev",
		Repository: "octo/app", Commit: "0123456789abcdef0123456789abcdef01234567",
		Image:   ImageOf("ghcr.io/octo/app:pr-7"),
		Cluster: Cluster{Target: "kind", Context: "kind-knative", KubernetesVersion: "v1.34.3", Created: true},
		Knative: Knative{ServingVersion: "1.20.1", Ingress: "kourier", IngressVersion: "1.20.0"},
		Service: &Service{Name: "hello", Namespace: "default", Revision: "hello-00001", URL: "http://hello.default.127.0.0.1.sslip.io", ReadySeconds: 8.4},
		Services: []Service{
			{Name: "hello", Namespace: "default", Revision: "hello-00001", URL: "http://hello.default.127.0.0.1.sslip.io", ReadySeconds: 8.4},
			{Name: "api", Namespace: "default", Revision: "api-00001", URL: "http://api.default.svc.cluster.local", ReadySeconds: 7.9, ClusterLocal: true},
		},
		Stages: []Stage{
			{Name: "cluster", Ran: true, Seconds: 41.2}, {Name: "install", Ran: true, Seconds: 95.3},
			{Name: "deploy", Ran: true, Seconds: 9.1}, {Name: "measure", Ran: true, Seconds: 30.5, Error: "smoke check failed"},
		},
		Measure:     m,
		Checks:      Checks{Ran: true, Problems: m.Problems, ColdStartMaxMs: 1500},
		PullRequest: &PullRequest{Number: 7, Action: "synchronize", HeadSHA: "89abcdef0123456789abcdef0123456789abcdef"},
		Reachability: &reachable.Verdict{Case: reachable.KeptInside,
			Why: "Its address hello.default.127.0.0.1.sslip.io leads to 127.0.0.1, the loopback address.", Fix: "Set the domain input."},
		Comparison: &Comparison{Baseline: "the last 2 runs of hello in the cluster's history", Verdict: "inconclusive", Figures: []Figure{
			{Name: "cold-start-median", Baseline: 1400, Current: 1412.5, NBaseline: 2, NCurrent: 1, DeltaMs: 12.5, DeltaPercent: 0.9, P: 1, Verdict: "inconclusive", Reason: "too few samples to judge"},
		}},
		Trend: []Point{
			{Time: "2026-02-28T12:00:00Z", Commit: "aaaaaaa", Revision: "hello-00000", ColdStartMedianMs: 1400, ColdStartP95Ms: 1400, ReadySeconds: 8.1, WarmP50Ms: 3, ColdStartMs: []float64{1400}, WarmMs: []float64{3}},
			{Time: "2026-03-01T12:00:00Z", Commit: "0123456", Revision: "hello-00001", ColdStartMedianMs: 1412.5, ColdStartP95Ms: 1412.5, ReadySeconds: 8.4, WarmP50Ms: 3.1, ColdStartMs: []float64{1413}, WarmMs: []float64{3, 3, 3}},
		},
		Error: "stage measure: smoke check failed",
	}
}

func TestGolden(t *testing.T) {
	got, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./internal/report -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the report differs from %s (go test ./internal/report -update rewrites it after a deliberate change):\n%s", golden, got)
	}
	if problems := validateDoc(t, got); len(problems) > 0 {
		t.Errorf("the golden report does not match schema.json:\n%s", strings.Join(problems, "\n"))
	}
}

func TestImageOf(t *testing.T) {
	if i := ImageOf("ghcr.io/a/b:v1"); i.DigestKnown || i.Digest != "" {
		t.Errorf("tag: %+v, want no digest", i)
	}
	d := "sha256:" + strings.Repeat("ab", 32)
	if i := ImageOf("ghcr.io/a/b:v1@" + d); !i.DigestKnown || i.Digest != d {
		t.Errorf("digest: %+v, want %s", i, d)
	}
}

// The validator catches what it is for: a missing field, a wrong type, a
// value outside an enum, a wrong const.
func TestValidatorFails(t *testing.T) {
	good, err := json.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(map[string]any){
		"missing": func(m map[string]any) { delete(m, "commit") },
		"type":    func(m map[string]any) { m["ok"] = "yes" },
		"enum":    func(m map[string]any) { m["cluster"].(map[string]any)["target"] = "eks" },
		"const":   func(m map[string]any) { m["schema-version"] = 2 },
		"nested": func(m map[string]any) {
			delete(m["measure"].(map[string]any)["samples"].([]any)[0].(map[string]any), "breakdown")
		},
		"integer":  func(m map[string]any) { m["stages"].([]any)[0].(map[string]any)["ran"] = 1 },
		"null obj": func(m map[string]any) { m["cluster"] = nil },
	} {
		var m map[string]any
		_ = json.Unmarshal(good, &m)
		change(m)
		b, _ := json.Marshal(m)
		if problems := validateDoc(t, b); len(problems) == 0 {
			t.Errorf("%s: the validator found no problem", name)
		}
	}
	// A report of a run that failed before deploying: null service and
	// measure are valid.
	r := sample()
	r.Service, r.Measure, r.Checks = nil, nil, Checks{}
	b, _ := json.Marshal(r)
	if problems := validateDoc(t, b); len(problems) > 0 {
		t.Errorf("an early failure's report: %v", problems)
	}
}

// validateDoc checks doc against schema.json: required properties, types
// (with null), enum and const, through objects and arrays: the parts of
// JSON Schema the file uses.
func validateDoc(t testing.TB, doc []byte) []string {
	t.Helper()
	var schema, v any
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		return []string{err.Error()}
	}
	return validate("$", schema.(map[string]any), v)
}

func validate(at string, s map[string]any, v any) []string {
	var problems []string
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		problems = append(problems, fmt.Sprintf("%s: %v, want %v", at, v, c))
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return x == v }) {
		problems = append(problems, fmt.Sprintf("%s: %v is not one of %v", at, v, e))
	}
	if typ, ok := s["type"]; ok {
		var types []string
		switch tt := typ.(type) {
		case string:
			types = []string{tt}
		case []any:
			for _, x := range tt {
				types = append(types, x.(string))
			}
		}
		if !slices.Contains(types, typeOf(v)) && !(typeOf(v) == "integer" && slices.Contains(types, "number")) {
			return append(problems, fmt.Sprintf("%s: a %s, want %s", at, typeOf(v), strings.Join(types, " or ")))
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for _, r := range s["required"].([]any) {
			if _, ok := v[r.(string)]; !ok {
				problems = append(problems, fmt.Sprintf("%s: %s is missing", at, r))
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, x := range v {
			ps, ok := props[k].(map[string]any)
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: %s is not in the schema", at, k))
				continue
			}
			problems = append(problems, validate(at+"."+k, ps, x)...)
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, x := range v {
				problems = append(problems, validate(fmt.Sprintf("%s[%d]", at, i), items, x)...)
			}
		}
	}
	return problems
}

func typeOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}
