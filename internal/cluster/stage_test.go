package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/log"
)

// fakeTarget is a target that answers Connect with what it was given, and
// holds a secret and state.
type fakeTarget struct {
	cl    *Cluster
	err   error
	saved []string
	save  SaveState
}

func (f *fakeTarget) Plan() []string { return []string{"connect"} }
func (f *fakeTarget) Connect(context.Context) (*Cluster, error) {
	if f.save != nil {
		f.save("cluster", "created")
	}
	return f.cl, f.err
}
func (f *fakeTarget) Secrets() []string     { return []string{"client-key-0123"} }
func (f *fakeTarget) KeepState(s SaveState) { f.save = s }

func TestStage(t *testing.T) {
	reached := &Cluster{Name: "kind"}
	cases := []struct {
		name         string
		target       *fakeTarget
		existingOnly bool
		wantErr      string
		want         *Cluster
		wantLog      string
	}{
		{"reached", &fakeTarget{cl: reached}, false, "", reached, ""},
		{"mode down and no cluster: nothing to delete", &fakeTarget{err: fmt.Errorf("kind cluster knative: %w", ErrNoCluster)}, true, "", nil, "nothing to delete: kind cluster knative"},
		{"no cluster outside mode down fails", &fakeTarget{err: fmt.Errorf("kind cluster knative: %w", ErrNoCluster)}, false, "mode down creates no cluster", nil, ""},
		{"a failure is a failure in mode down too", &fakeTarget{err: errors.New("docker does not answer")}, true, "docker does not answer", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var masked, saved, lines []string
			s := &Stage{
				Target:       c.target,
				ExistingOnly: c.existingOnly,
				SaveState:    func(name, value string) { saved = append(saved, name+"="+value) },
				Mask:         func(secrets ...string) { masked = append(masked, secrets...) },
			}
			err := s.Run(context.Background(), log.Func(func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }))
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
			if s.Cluster() != c.want {
				t.Errorf("cluster %+v, want %+v", s.Cluster(), c.want)
			}
			// Masked and saved whether or not Connect succeeded: a later
			// step may print the file the secret is in.
			if !slices.Equal(masked, []string{"client-key-0123"}) || !slices.Equal(saved, []string{"cluster=created"}) {
				t.Errorf("masked %v, saved %v", masked, saved)
			}
			if log := strings.Join(lines, "\n"); !strings.Contains(log, c.wantLog) {
				t.Errorf("log %q lacks %q", log, c.wantLog)
			}
		})
	}
	if got := (&Stage{Target: &fakeTarget{}}).LeftBehind(); got != "nothing on the cluster was changed" {
		t.Errorf("a target that creates nothing leaves %q", got)
	}
}
