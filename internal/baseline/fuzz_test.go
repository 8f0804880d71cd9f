package baseline

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// contentSentinel is planted in every report file the fuzz target loads:
// no error may show it.
const contentSentinel = "r3p0rtS3NT1NEL"

// Load on a report file of any content, with the sentinel planted in it:
// an error does not quote the content; samples loaded are finite and not
// negative, as times are.
func FuzzLoadFile(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no report files in testdata (%v)", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		content := string(b)
		// The sentinel in a text, as a number and as the schema version.
		for _, at := range []string{`"time": "`, `"commit": "`, `"verdict": "`, `"pod": "`, `"total-ms": `, `"schema-version": `, `"warm-ms": [`} {
			if i := strings.Index(content, at); i >= 0 {
				f.Add(content[:i+len(at)], content[i+len(at):])
			}
		}
		f.Add(content, "")
	}
	for _, s := range [][2]string{
		{`{"schema-version": 1, "commit": "`, `"}`},
		{`{"schema-version": 1, "service": {"ready-seconds": -1}, "error": "`, `"}`},
		{`{"schema-version": 1, "measure": {"warm-ms": [1e999]}, "x": "`, `"}`},
		{`{"schema-version": "`, `"}`},
		{`{"schema-version": 1, "stages": "`, `"}`},
		{`{"`, `": 1, "schema-version": 1}`},
		{``, ``},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, before, after string) {
		if strings.Contains(before+after, contentSentinel) {
			return
		}
		path := filepath.Join(t.TempDir(), "report.json")
		if err := os.WriteFile(path, []byte(before+contentSentinel+after), 0o600); err != nil {
			t.Fatal(err)
		}
		s, _, err := Load(context.Background(), Options{File: path}, nil, "default", "hello")
		if err != nil {
			if strings.Contains(err.Error(), contentSentinel) {
				t.Fatalf("error %q quotes the report file", err)
			}
			return
		}
		for name, v := range map[string][]float64{"cold start": s.ColdStartMs, "ready": s.ReadyMs, "warm": s.WarmMs} {
			for _, x := range v {
				if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
					t.Fatalf("loaded a %s sample of %v ms", name, x)
				}
			}
		}
	})
}
