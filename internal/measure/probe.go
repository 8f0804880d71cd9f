package measure

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Route says how to reach the service: its URL, and optionally the
// address to connect to instead of the URL's host (the ingress, by IP),
// with the URL's host kept as the Host header.
type Route struct {
	URL     string
	Address string
}

func (r Route) String() string {
	if r.Address == "" {
		return r.URL
	}
	return fmt.Sprintf("%s via %s", r.URL, r.Address)
}

// expect is what every response must satisfy.
type expect struct {
	Status int
	Body   *regexp.Regexp // nil: any body
}

// response is one timed request.
type response struct {
	Status int
	// Body holds at most maxBody bytes.
	Body []byte
	// Sent is when the request was written to the connection; TTFB and
	// Total are measured from it to the first and the last byte.
	Sent        time.Time
	TTFB, Total time.Duration
}

const maxBody = 64 << 10

// prober sends timed requests along a route.
type prober struct {
	client *http.Client
	route  Route
	now    func() time.Time
}

// newProber returns a prober for route; dial, when not nil, replaces the
// network dialer (tests). timeout bounds one request.
func newProber(route Route, timeout time.Duration, now func() time.Time, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (*prober, error) {
	u, err := url.Parse(route.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("service URL %q is not an http(s) URL", route.URL)
	}
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	if now == nil {
		now = time.Now
	}
	tr := &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true, // every request opens its own connection, as a new client would
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if route.Address != "" {
				addr = route.Address
			}
			return dial(ctx, network, addr)
		},
	}
	// A redirect is the service's answer: following it would time another
	// request (to another host, dialled at the ingress) as if it were this one.
	client := &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &prober{client: client, route: route, now: now}, nil
}

// Get sends GET path and times it.
func (p *prober) Get(ctx context.Context, path string) (response, error) {
	target := strings.TrimRight(p.route.URL, "/") + "/" + strings.TrimLeft(path, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return response{}, fmt.Errorf("building the request for %s: %w", target, err)
	}
	var resp response
	var first, wrote time.Time
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest:         func(httptrace.WroteRequestInfo) { wrote = p.now() },
		GotFirstResponseByte: func() { first = p.now() },
	}))
	start := p.now()
	r, err := p.client.Do(req)
	if err != nil {
		return resp, fmt.Errorf("GET %s: %w", p.route.withPath(path), err)
	}
	defer r.Body.Close()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err == nil {
		_, err = io.Copy(io.Discard, r.Body)
	}
	end := p.now()
	if err != nil {
		return resp, fmt.Errorf("reading the response of GET %s: %w", p.route.withPath(path), err)
	}
	if first.IsZero() {
		first = end
	}
	// Time runs from the moment the request was on the wire: connecting to
	// the ingress is not part of the service's start.
	resp.Sent = wrote
	if wrote.IsZero() {
		resp.Sent = start
	}
	resp.Status, resp.Body = r.StatusCode, body
	resp.TTFB, resp.Total = first.Sub(resp.Sent), end.Sub(resp.Sent)
	return resp, nil
}

func (r Route) withPath(path string) string {
	return Route{URL: strings.TrimRight(r.URL, "/") + "/" + strings.TrimLeft(path, "/"), Address: r.Address}.String()
}

// Check compares a response with what is expected and says what differs.
func (e expect) Check(r response) error {
	var problems []string
	if e.Status != 0 && r.Status != e.Status {
		problems = append(problems, fmt.Sprintf("expected status %d, got %d", e.Status, r.Status))
	}
	if e.Body != nil && !e.Body.Match(r.Body) {
		problems = append(problems, fmt.Sprintf("expected the body to match /%s/, got %q", e.Body, excerpt(r.Body)))
	}
	if len(problems) == 0 {
		return nil
	}
	if e.Body == nil {
		problems = append(problems, fmt.Sprintf("body %q", excerpt(r.Body)))
	}
	return fmt.Errorf("%s", strings.Join(problems, "; "))
}

func excerpt(b []byte) string {
	s := string(b)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
