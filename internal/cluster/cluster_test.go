package cluster

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/knative-preview/action/internal/log"
)

const versionJSON = `{"major":"1","minor":"34","gitVersion":"v1.34.3"}`

func TestServerVersion(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(n int32, w http.ResponseWriter)
		tls       bool
		wantErr   string
		wantCalls int32
	}{
		{
			name: "answers after two 503s",
			handler: func(n int32, w http.ResponseWriter) {
				if n <= 2 {
					http.Error(w, "starting", http.StatusServiceUnavailable)
					return
				}
				_, _ = w.Write([]byte(versionJSON))
			},
			wantCalls: 3,
		},
		{
			name: "rejected credentials fail at once",
			handler: func(_ int32, w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`))
			},
			wantErr:   "rejected the credentials (401 Unauthorized)",
			wantCalls: 1,
		},
		{
			name:      "certificate authority that does not match",
			tls:       true,
			handler:   func(_ int32, w http.ResponseWriter) { _, _ = w.Write([]byte(versionJSON)) },
			wantErr:   "certificate-authority does not match",
			wantCalls: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/version" {
					t.Errorf("unexpected request %s", r.URL.Path)
				}
				tt.handler(calls.Add(1), w)
			})
			var srv *httptest.Server
			if tt.tls {
				srv = httptest.NewTLSServer(h)
			} else {
				srv = httptest.NewServer(h)
			}
			defer srv.Close()
			var progress []string
			v, err := ServerVersion(context.Background(), &rest.Config{Host: srv.URL}, 30*time.Second, log.Func(func(f string, a ...any) {
				progress = append(progress, f)
			}))
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tt.wantCalls)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.GitVersion != "v1.34.3" {
				t.Errorf("version %q", v.GitVersion)
			}
			if len(progress) == 0 {
				t.Error("no progress line while waiting")
			}
		})
	}
}

func TestServerVersionGivesUpOnSilence(t *testing.T) {
	// A port that was just free: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = ServerVersion(context.Background(), &rest.Config{Host: "https://" + addr}, 2*time.Second, log.Discard)
	if err == nil {
		t.Fatal("no error from a port where nothing listens")
	}
	for _, want := range []string{"gave up after 2s", "connection refused", "is the cluster running?", "The address is loopback"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestServerVersionStopsWithContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	why := context.Canceled
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	// Stop it once it says it is waiting: its first attempt has failed.
	waiting := false
	progress := log.Func(func(string, ...any) {
		waiting = true
		cancel(why)
	})
	_, err = ServerVersion(ctx, &rest.Config{Host: "https://" + addr}, time.Hour, progress)
	if !waiting {
		t.Fatalf("it never said it was waiting; got %v", err)
	}
	for _, want := range []string{"stopped waiting for the API server", "connection refused"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
