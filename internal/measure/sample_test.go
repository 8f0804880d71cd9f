package measure

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// A watch of the sample that the server ends and the credentials may no
// longer open is not opened again and again: it is reported, saying what
// was watched and what the user can do.
func TestStartWatchesReportsAForbiddenReopening(t *testing.T) {
	cs := fake.NewClientset()
	var (
		mu    sync.Mutex
		opens int
	)
	first := make(chan *watch.RaceFreeFakeWatcher, 1)
	cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		mu.Lock()
		defer mu.Unlock()
		opens++
		if opens == 1 {
			w := watch.NewRaceFreeFake()
			first <- w
			return true, w, nil
		}
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New(`User "ci" cannot watch resource "pods"`))
	})
	// A bound that only a watch opened again and again would reach.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	rec := newRecorder(time.Now, nil)
	_, failed, err := startWatches(ctx, cs, Revision{Namespace: "n", Name: "app-00001"}, rec, &wg)
	if err != nil {
		t.Fatal(err)
	}
	(<-first).Stop() // the server ends the watch
	select {
	case err := <-failed:
		if !apierrors.IsForbidden(err) {
			t.Errorf("got %v, want the Forbidden", err)
		}
		for _, want := range []string{"watching the pods of revision app-00001", "cannot watch", "RBAC"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error lacks %q: %v", want, err)
			}
		}
	case <-ctx.Done():
		t.Fatal("no watch failure reported")
	}
	mu.Lock()
	defer mu.Unlock()
	if opens != 2 {
		t.Errorf("%d openings of the pods watch, want 2: the Forbidden one not made again", opens)
	}
}
