package gketest

import (
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// KubeAPI fakes a GKE cluster's API server: TLS on 127.0.0.1, answering
// /version to requests that carry a bearer token valid accepts.
type KubeAPI struct {
	// Endpoint is host:port, as GKE reports a cluster's endpoint.
	Endpoint string
	// CA is the server's certificate, PEM then base64, as in
	// masterAuth.clusterCaCertificate; CAPEM is the PEM.
	CA    string
	CAPEM []byte

	mu     sync.Mutex
	tokens []string
}

// NewKubeAPI starts the fake; it stops when the test ends.
func NewKubeAPI(t testing.TB, valid func(token string) bool) *KubeAPI {
	k := &KubeAPI{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		k.mu.Lock()
		k.tokens = append(k.tokens, token)
		k.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !ok || !valid(token) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`))
			return
		}
		if r.URL.Path != "/version" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`))
			return
		}
		_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.3-gke.1000"}`))
	}))
	t.Cleanup(srv.Close)
	k.Endpoint = strings.TrimPrefix(srv.URL, "https://")
	k.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	k.CA = base64.StdEncoding.EncodeToString(k.CAPEM)
	return k
}

// Tokens returns the bearer tokens of the requests so far, in order ("" for
// a request without one).
func (k *KubeAPI) Tokens() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.tokens...)
}

// Clock is a fake clock: its time moves only when Advance is called (from
// an API's Tick, say), so waits report deterministic elapsed times.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at a fixed time.
func NewClock() *Clock { return &Clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
