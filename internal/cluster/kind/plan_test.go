package kind

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/log"
)

func TestPlanGolden(t *testing.T) {
	marker := filepath.Join(t.TempDir(), ".dockerenv")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	nowhere := []string{filepath.Join(t.TempDir(), "absent")}
	tests := []struct {
		name string
		opts Options
	}{
		{"laptop", Options{Image: "myapp:dev", ContainerMarkers: nowhere}},
		{"action", Options{Image: "ghcr.io/org/app:v1", LoadImages: []string{"ghcr.io/org/app:v1", "helper:dev"}, Reuse: "recreate", HostPort: 8080, KubernetesVersion: "1.34.3", ContainerMarkers: []string{marker}}},
		{"no-reuse", Options{Reuse: "false", ContainerMarkers: nowhere}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := &fakeDocker{}
			fc := &fakeClusters{}
			tt.opts.Docker = fd
			target := New(tt.opts, log.Discard, withClusters(fc))
			plan := strings.Join(target.Plan(), "\n- ")
			plan = strings.ReplaceAll(plan, marker, "/.dockerenv")
			golden(t, filepath.Join("plan", tt.name+".txt"), "- "+plan+"\n")
			if len(fd.Calls()) > 0 || len(fc.calls) > 0 {
				t.Errorf("Plan called docker %v or kind %v", fd.Calls(), fc.calls)
			}
		})
	}
}

func TestPlanOfInvalidInputs(t *testing.T) {
	plan := New(Options{Reuse: "sometimes", Docker: &fakeDocker{}}, log.Discard, withClusters(&fakeClusters{})).Plan()
	if len(plan) != 1 || !strings.Contains(plan[0], `input "reuse-cluster": "sometimes" is not a reuse policy`) {
		t.Errorf("got %q", plan)
	}
}
