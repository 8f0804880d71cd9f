package testenv

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	stdlog "log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// Fault is a kind of failure the fault proxy injects.
type Fault string

// The faults, as a flaky API server or network shows them.
const (
	// Throttled is a 429 with Retry-After: 1, as API priority and fairness
	// sends it; the request does not reach the API server.
	Throttled Fault = "429 Retry-After"
	// InternalError is a 500 with a Kubernetes Status body; the request does
	// not reach the API server.
	InternalError Fault = "500"
	// Unavailable503 is a 503 with a Kubernetes Status body and no
	// Retry-After; the request does not reach the API server.
	Unavailable503 Fault = "503"
	// ResetBefore resets the connection (TCP RST) after reading the request
	// and before forwarding it: the request had no effect.
	ResetBefore Fault = "reset before forwarding"
	// ResetAfter forwards the request, lets the API server act on it, then
	// resets the connection instead of answering: a create or a patch
	// happened, and the client sees only a reset or EOF.
	ResetAfter Fault = "reset after forwarding"
	// WatchClosed forwards a watch and cuts its stream after 0.2-1 s.
	WatchClosed Fault = "watch closed early"
	// Latency delays a request by 100-300 ms, then forwards it.
	Latency Fault = "latency"
	// Outage resets every request that arrives during an outage (see
	// FaultProxy.Outage); it is never drawn.
	Outage Fault = "outage"
	// Held is a request forwarded whose answer is held until the client
	// goes away (see FaultProxy.Hold); it is never drawn.
	Held Fault = "held"
)

var allFaults = []Fault{Throttled, InternalError, Unavailable503, ResetBefore, ResetAfter, WatchClosed, Latency}

// FaultProxy is an HTTPS proxy on 127.0.0.1 in front of the test API server
// that fails a share of the requests by a seeded schedule. Config reaches
// the API server through it, as a cluster admin (the admin token).
//
// The schedule is the sequence of draws from a math/rand/v2 PCG seeded by
// the test: the n-th request the proxy receives gets the n-th draw, so a
// run with one client at a time is reproducible; concurrent requests take
// the draws in the order they arrive.
type FaultProxy struct {
	// Config reaches the API server through the proxy.
	Config *rest.Config

	rate float64
	srv  *httptest.Server
	up   *httputil.ReverseProxy
	// outageAt and outageFor are FaultOptions' OutageAt and OutageFor.
	outageAt  int
	outageFor time.Duration

	mu       sync.Mutex
	rng      *rand.Rand
	requests int
	counts   map[Fault]int
	kinds    []Fault
	// downUntil ends the outage under way; cut ends the requests being
	// forwarded, each under its own key.
	downUntil time.Time
	cut       map[*http.Request]context.CancelFunc
	// holds are the requests to hold, each once.
	holds []*hold
}

// hold is a request Hold waits for: held is closed when it came.
type hold struct {
	match func(*http.Request) bool
	held  chan struct{}
	done  bool
}

// FaultOptions say what the proxy injects.
type FaultOptions struct {
	// Seed fixes the schedule.
	Seed uint64
	// Rate is the share of requests that get a fault, from 0 to 1.
	Rate float64
	// Kinds limits the faults to these; empty: all of them.
	Kinds []Fault
	// OutageAt, when above zero, begins an Outage of OutageFor as the
	// OutageAt-th request arrives (that request is the first it resets).
	OutageAt  int
	OutageFor time.Duration
}

// Faults starts a fault proxy in front of e for the test and stops it when
// the test ends. At the end of the test it logs how many faults of each
// kind it injected, and fails the test if it injected none.
func (e *Env) Faults(t testing.TB, o FaultOptions) *FaultProxy {
	t.Helper()
	host, err := url.Parse(e.Config.Host)
	if err != nil {
		t.Fatalf("fault proxy: the API server's address %q: %v", e.Config.Host, err)
	}
	// Upstream: trust the API server's CA; the clients' token passes through.
	upstream, err := rest.TransportFor(&rest.Config{Host: e.Config.Host, TLSClientConfig: rest.TLSClientConfig{CAData: e.Config.CAData}})
	if err != nil {
		t.Fatalf("fault proxy: a transport to the API server: %v", err)
	}
	kinds := o.Kinds
	if len(kinds) == 0 {
		kinds = allFaults
	}
	p := &FaultProxy{
		rate:     o.Rate,
		rng:      rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		counts:   map[Fault]int{},
		kinds:    kinds,
		cut:      map[*http.Request]context.CancelFunc{},
		outageAt: o.OutageAt, outageFor: o.OutageFor,
	}
	p.up = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: host.Scheme, Host: host.Host})
			r.Out.Host = host.Host
		},
		Transport:     upstream,
		FlushInterval: -1, // watches stream
		ErrorLog:      discardLog,
	}
	// httptest's TLS server speaks HTTP/1.1 only (no EnableHTTP2), so a
	// connection can be hijacked and reset.
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.Config.ErrorLog = discardLog
	p.srv.StartTLS()
	t.Cleanup(func() {
		p.srv.CloseClientConnections()
		p.srv.Close()
		t.Logf("fault proxy (seed %d, rate %.0f%%): %s", o.Seed, 100*o.Rate, p)
		if p.Injected() == 0 {
			t.Errorf("the fault proxy injected no fault in %d requests: the test proved nothing", p.Requests())
		}
	})
	p.Config = &rest.Config{
		Host:            p.srv.URL,
		BearerToken:     e.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: certPEM(p.srv)},
	}
	return p
}

// Kubeconfig returns a kubeconfig with one context, named context, that
// reaches the API server through the proxy with the admin token.
func (p *FaultProxy) Kubeconfig(context string) []byte {
	return kubeconfig(p.Config.Host, p.Config.CAData, p.Config.BearerToken, context)
}

// Counts returns how many faults of each kind were injected so far.
func (p *FaultProxy) Counts() map[Fault]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[Fault]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// Injected is the number of faults injected so far.
func (p *FaultProxy) Injected() int {
	n := 0
	for _, v := range p.Counts() {
		n += v
	}
	return n
}

// Requests is the number of requests the proxy received so far.
func (p *FaultProxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// String says how many requests came and which faults they got.
func (p *FaultProxy) String() string {
	c := p.Counts()
	var parts []string
	total := 0
	for _, k := range append(allFaults, Outage, Held) {
		if (k == Outage || k == Held) && c[k] == 0 {
			continue // none was asked for
		}
		parts = append(parts, fmt.Sprintf("%s: %d", k, c[k]))
		total += c[k]
	}
	return fmt.Sprintf("%d faults in %d requests (%s)", total, p.Requests(), strings.Join(parts, ", "))
}

// draw takes the next decision of the schedule: no fault (""), or which;
// none during an outage (down).
// A watch-only fault drawn for another request, or the reverse, counts as
// no fault, so the schedule does not depend on what the requests are.
func (p *FaultProxy) draw(watch, down bool) (Fault, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	hit := p.rng.Float64() < p.rate
	f := p.kinds[p.rng.IntN(len(p.kinds))]
	d := time.Duration(p.rng.Int64N(int64(200 * time.Millisecond)))
	switch {
	case !hit, down: // an outage's requests take their draws all the same
		return "", 0
	case f == WatchClosed && !watch, f == ResetAfter && watch:
		return "", 0
	}
	p.counts[f]++
	switch f {
	case Latency:
		return f, 100*time.Millisecond + d
	case WatchClosed:
		return f, 200*time.Millisecond + 4*d
	}
	return f, 0
}

// Outage makes the proxy act, for d, as an API server that went away (a
// control plane upgrade): it cuts every stream and request being
// forwarded, and resets every request that arrives, as the schedule goes
// on underneath.
func (p *FaultProxy) Outage(d time.Duration) {
	p.mu.Lock()
	p.beginOutageLocked(d)
	p.mu.Unlock()
	p.srv.CloseClientConnections()
}

// beginOutageLocked begins an outage of d and cuts what is being
// forwarded; the caller then closes the client connections: the idle ones
// go too, as when the server's process ends, and a client that writes its
// next request on one finds it closed.
func (p *FaultProxy) beginOutageLocked(d time.Duration) {
	p.downUntil = time.Now().Add(d)
	for _, cancel := range p.cut {
		cancel()
	}
}

// Hold makes the proxy forward the first request that match accepts and
// hold its answer until the client goes away: the API server acted, and
// the client never learns it, as when its process is killed in the middle
// of a write. The channel is closed once such a request is held.
func (p *FaultProxy) Hold(match func(r *http.Request) bool) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := &hold{match: match, held: make(chan struct{})}
	p.holds = append(p.holds, h)
	return h.held
}

// held holds r when a Hold asks for it, and reports whether it did.
func (p *FaultProxy) held(r *http.Request) bool {
	p.mu.Lock()
	var h *hold
	for _, c := range p.holds {
		if !c.done && c.match(r) {
			h, c.done = c, true
			p.counts[Held]++
			break
		}
	}
	p.mu.Unlock()
	if h == nil {
		return false
	}
	p.up.ServeHTTP(&discard{h: http.Header{}}, r)
	close(h.held)
	<-r.Context().Done() // the client went away with its connection
	return true
}

// forward passes r to the API server, unless an outage cuts it.
func (p *FaultProxy) forward(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	p.mu.Lock()
	p.cut[r] = cancel
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.cut, r)
		p.mu.Unlock()
	}()
	p.up.ServeHTTP(w, r.WithContext(ctx))
}

// down reports whether an outage is under way, counting the request as
// one of its faults.
func (p *FaultProxy) down() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outageAt > 0 && p.requests+1 == p.outageAt {
		p.beginOutageLocked(p.outageFor)
		go p.srv.CloseClientConnections() // not under the lock: forwarding ends take it
	}
	if time.Now().Before(p.downUntil) {
		p.counts[Outage]++
		return true
	}
	return false
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	watch := r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1"
	if p.held(r) {
		return
	}
	down := p.down()
	f, d := p.draw(watch, down)
	if down {
		_, _ = io.Copy(io.Discard, r.Body)
		reset(w)
		return
	}
	switch f {
	case "":
		p.forward(w, r)
	case Latency:
		select {
		case <-r.Context().Done():
			return
		case <-time.After(d): // the injected latency itself
		}
		p.forward(w, r)
	case Throttled:
		w.Header().Set("Retry-After", "1")
		status(w, http.StatusTooManyRequests, "TooManyRequests", "the server has received too many requests and has asked us to try again later (injected)")
	case InternalError:
		status(w, http.StatusInternalServerError, "InternalError", "Internal error occurred: injected fault")
	case Unavailable503:
		status(w, http.StatusServiceUnavailable, "ServiceUnavailable", "the server is currently unable to handle the request (injected)")
	case ResetBefore:
		_, _ = io.Copy(io.Discard, r.Body)
		reset(w)
	case ResetAfter:
		p.up.ServeHTTP(&discard{h: http.Header{}}, r)
		reset(w)
	case WatchClosed:
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		// The proxy's copy of the stream fails when ctx ends, and the
		// reverse proxy aborts the response: the client sees the stream
		// end mid-way.
		p.forward(w, r.WithContext(ctx))
	}
}

// status writes a Kubernetes Status, as the API server does for an error.
func status(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":%q,"reason":%q,"code":%d}`, msg, reason, code)
}

// reset closes the client's connection with a TCP RST.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // cannot hijack: abort the response instead
	}
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		if tcp, ok := nc.NetConn().(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
	}
	_ = conn.Close()
}

// discard is a ResponseWriter that drops the answer.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Flush()                      {}

// discardLog drops the proxy's own complaints about aborted streams.
var discardLog = stdlog.New(io.Discard, "", 0)

func certPEM(s *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
}
