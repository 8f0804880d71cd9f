package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/log"
)

// loopbackOnly dials 127.0.0.1 only; every other host "does not resolve",
// as a public URL of a kind cluster does not from inside the action.
func loopbackOnly(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host != "127.0.0.1" {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

func fastTimings() timings {
	return timings{Ready: time.Minute, ErrorWindow: 50 * time.Millisecond, Poll: 20 * time.Millisecond,
		Reach: 30 * time.Second, Retry: 5 * time.Millisecond, Request: 5 * time.Second}
}

func noIngress(context.Context, string) (string, string, error) {
	return "", "", errors.New("no ingress in this test")
}

func collect() (log.Func, func() string) {
	var mu sync.Mutex
	var b strings.Builder
	return func(f string, a ...any) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(&b, f+"\n", a...)
		}, func() string {
			mu.Lock()
			defer mu.Unlock()
			return b.String()
		}
}

func TestReachThroughIngressWithHostHeader(t *testing.T) {
	var hosts []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		if r.Host != "hello.ns.example.com" {
			http.Error(w, "no route", http.StatusNotFound)
			return
		}
		fmt.Fprintln(w, "hello")
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	d := &Deployer{Dial: loopbackOnly}
	progress, _ := collect()
	route, via, code, err := d.reach(t.Context(), fastTimings(), "http://hello.ns.example.com", func(context.Context, string) (string, string, error) {
		return addr, "test ingress", nil
	}, progress)
	if err != nil {
		t.Fatal(err)
	}
	if via != addr {
		t.Errorf("address %q, want the ingress %s", via, addr)
	}
	if want := "ingress " + addr + " with Host header hello.ns.example.com"; route != want || code != 200 {
		t.Errorf("got route %q status %d, want %q 200", route, code, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hosts) != 1 || hosts[0] != "hello.ns.example.com" {
		t.Errorf("the ingress saw Host headers %q", hosts)
	}
}

func TestReachRetriesUntilTheAnswerIsNotAServerError(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 3 {
			http.Error(w, "activating", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	d := &Deployer{Dial: loopbackOnly}
	progress, logged := collect()
	route, _, code, err := d.reach(t.Context(), fastTimings(), srv.URL+"/", noIngress, progress)
	if err != nil {
		t.Fatal(err)
	}
	if route != "url" || code != 200 || n.Load() != 4 {
		t.Errorf("got route %q status %d after %d requests, want url 200 after 4", route, code, n.Load())
	}
	if !strings.Contains(logged(), "503 Service Unavailable") {
		t.Errorf("progress does not say what the first attempt got:\n%s", logged())
	}
}

// A redirect is an answer of the app: it is not followed anywhere.
func TestReachDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("https://elsewhere.example.com/", http.StatusFound))
	defer srv.Close()
	d := &Deployer{Dial: loopbackOnly}
	progress, _ := collect()
	route, _, code, err := d.reach(t.Context(), fastTimings(), srv.URL, noIngress, progress)
	if err != nil || route != "url" || code != http.StatusFound {
		t.Errorf("got %q %d %v, want url 302", route, code, err)
	}
}

// The URL answers 502 (say, a wrong host's proxy); the ingress answers.
func TestReachPrefersAnAnsweringIngressOverAServerError(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer bad.Close()
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer good.Close()
	d := &Deployer{Dial: loopbackOnly}
	progress, _ := collect()
	route, _, _, err := d.reach(t.Context(), fastTimings(), bad.URL, func(context.Context, string) (string, string, error) {
		return good.Listener.Addr().String(), "test", nil
	}, progress)
	if err != nil || !strings.HasPrefix(route, "ingress ") {
		t.Errorf("got route %q, error %v; want the ingress", route, err)
	}
}

func TestReachGivesUpWithWhatEachWaySaid(t *testing.T) {
	// A server that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 100)
	acceptor := make(chan struct{})
	go func() {
		defer close(acceptor)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	defer func() {
		ln.Close()
		<-acceptor
		close(accepted)
		for c := range accepted {
			c.Close()
		}
	}()

	d := &Deployer{Dial: loopbackOnly}
	tm := fastTimings()
	tm.Reach, tm.Request, tm.Retry = 300*time.Millisecond, 50*time.Millisecond, 10*time.Millisecond
	progress, _ := collect()
	_, _, _, err = d.reach(t.Context(), tm, "http://hello.ns.example.com", func(context.Context, string) (string, string, error) {
		return ln.Addr().String(), "silent ingress", nil
	}, progress)
	if err == nil {
		t.Fatal("no error from a server that never answers")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error does not wrap the deadline: %v", err)
	}
	for _, s := range []string{"did not answer within 300ms", "directly: ", "no such host", "through the ingress: ", "check the ingress"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not say %q: %v", s, err)
		}
	}
}

func TestReachStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(errors.New("run timed out"))
	d := &Deployer{Dial: loopbackOnly}
	progress, _ := collect()
	_, _, _, err := d.reach(ctx, fastTimings(), "http://hello.ns.example.com", noIngress, progress)
	if err == nil || !strings.Contains(err.Error(), "run timed out") {
		t.Errorf("got %v, want the context's cause", err)
	}
}
