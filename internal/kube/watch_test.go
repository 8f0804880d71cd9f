package kube

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const podsOfR = "the pods of revision r in namespace n"

var pods = schema.GroupResource{Resource: "pods"}

// openings is a fake clientset whose n-th watch of pods answers answers[n]
// (the last one repeats): an error, or nil for a fake watch the test
// drives through opened.
type openings struct {
	cs      *fake.Clientset
	mu      sync.Mutex
	n       int
	opened  chan *watch.RaceFreeFakeWatcher
	answers []error
}

func newOpenings(answers ...error) *openings {
	o := &openings{cs: fake.NewClientset(), opened: make(chan *watch.RaceFreeFakeWatcher, 10), answers: answers}
	o.cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		err := o.answers[min(o.n, len(o.answers)-1)]
		o.n++
		if err != nil {
			return true, nil, err
		}
		w := watch.NewRaceFreeFake()
		o.opened <- w
		return true, w, nil
	})
	return o
}

func (o *openings) open(ctx context.Context) (watch.Interface, error) {
	return o.cs.CoreV1().Pods("n").Watch(ctx, metav1.ListOptions{})
}

func (o *openings) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

// A watch the credentials may not open ends at once, with an error that
// says what was watched and what the user can do; what may pass is tried
// again.
func TestWatchOpens(t *testing.T) {
	forbidden := apierrors.NewForbidden(pods, "", errors.New(`User "ci" cannot watch resource "pods"`))
	unauthorized := apierrors.NewUnauthorized("token expired")
	busy := apierrors.NewInternalError(errors.New("etcd busy"))
	cases := []struct {
		name      string
		answers   []error
		wantOpens int
		wantErr   []string
		wantIs    func(error) bool
	}{
		{name: "forbidden", answers: []error{forbidden}, wantOpens: 1,
			wantErr: []string{"watching " + podsOfR, "cannot watch", "grant them the watch verb on it (RBAC)"}, wantIs: apierrors.IsForbidden},
		{name: "unauthorized", answers: []error{unauthorized}, wantOpens: 1,
			wantErr: []string{"watching " + podsOfR, "token expired", "does not accept the credentials"}, wantIs: apierrors.IsUnauthorized},
		{name: "a server error, then open", answers: []error{busy, nil}, wantOpens: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := newOpenings(c.answers...)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			wr, err := Watch(ctx, podsOfR, o.open)
			if n := o.count(); n != c.wantOpens {
				t.Errorf("%d openings, want %d", n, c.wantOpens)
			}
			if len(c.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Watch = %v, want it open", err)
				}
				cancel()
				for range wr.Events() {
				}
				if wr.Err() != nil {
					t.Errorf("Err = %v after the context ended, want nil", wr.Err())
				}
				return
			}
			if err == nil || !c.wantIs(err) {
				t.Fatalf("Watch = %v, want the %s error", err, c.name)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Watch = %v, want it to say %q", err, w)
				}
			}
		})
	}
}

// A watch the server ends is opened again and its events passed on; when
// the credentials may no longer open it, Events closes and Err says why.
func TestWatchReopensUntilForbidden(t *testing.T) {
	forbidden := apierrors.NewForbidden(pods, "", errors.New("RBAC changed"))
	o := newOpenings(nil, nil, forbidden)
	// A bound that only a watch opened again and again would reach.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	wr, err := Watch(ctx, podsOfR, o.open)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"a", "b"} {
		w := <-o.opened
		w.Add(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}})
		w.Error(&metav1.Status{Status: metav1.StatusFailure, Code: 500, Message: "the server ends the watch"})
		select {
		case ev := <-wr.Events():
			if p, ok := ev.Object.(*corev1.Pod); !ok || ev.Type != watch.Added || p.Name != name {
				t.Errorf("watch %d: event %s %v, want pod %s added", i+1, ev.Type, ev.Object, name)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("watch %d: no event within 10s", i+1)
		}
		w.Stop()
	}
	var got []watch.Event
	for ev := range wr.Events() {
		got = append(got, ev)
	}
	if len(got) != 0 {
		t.Errorf("events %v passed on after the watch ended, want none (error events are not passed on)", got)
	}
	if n := o.count(); n != 3 {
		t.Errorf("%d openings, want 3: the Forbidden one not made again", n)
	}
	if err := wr.Err(); !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "watching "+podsOfR) || !strings.Contains(err.Error(), "RBAC") {
		t.Errorf("Err = %v, want the Forbidden, saying what was watched and what to do", err)
	}
}

// A watch the server ends and that opens again only after failing, as
// while the API server is away, reports how long it was not open and
// why; one that opened again at once reports no such cause.
func TestWatchGap(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	o := newOpenings(nil, nil, refused, refused, refused, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	wr, err := Watch(ctx, podsOfR, o.open)
	if err != nil {
		t.Fatal(err)
	}
	end := func(w *watch.RaceFreeFakeWatcher) {
		w.Add(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}})
		<-wr.Events()
		w.Stop() // the server ends the watch
	}
	end(<-o.opened)
	second := <-o.opened // opened again at once
	if gap, cause := wr.LongestGap(); cause != nil {
		t.Errorf("after a reopening at once: gap %s, cause %v; want no cause", gap, cause)
	}
	began := time.Now()
	end(second)
	third := <-o.opened // after three refusals
	least := time.Since(began)
	if gap, cause := wr.LongestGap(); !errors.Is(cause, syscall.ECONNREFUSED) || gap > least || gap < 300*time.Millisecond {
		t.Errorf("LongestGap = %s, %v; want at most %s (three refusals, 100+200+400 ms apart at least 300 ms) caused by the refusal", gap, cause, least)
	}
	cancel()
	third.Stop()
	for range wr.Events() {
	}
}
