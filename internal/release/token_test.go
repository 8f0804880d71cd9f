package release

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/log"
)

// sent is one request as it left the process: the host it was for, and
// its Authorization header.
type sent struct{ host, auth string }

// anyHost answers every request, whatever host it is for, from fake (a
// fake GitHub API on 127.0.0.1), and records where each was sent and with
// what credentials.
type anyHost struct {
	fake *url.URL
	mu   sync.Mutex
	sent []sent
}

func (a *anyHost) RoundTrip(req *http.Request) (*http.Response, error) {
	a.mu.Lock()
	a.sent = append(a.sent, sent{req.URL.Host, req.Header.Get("Authorization")})
	a.mu.Unlock()
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host = a.fake.Scheme, a.fake.Host
	return http.DefaultTransport.RoundTrip(out)
}

func (a *anyHost) requests() []sent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]sent(nil), a.sent...)
}

// The job's token goes to the API it belongs to (GITHUB_API_URL) and to
// no other host: on GitHub Enterprise Server, Knative's releases on
// github.com are read without it, and a rate limit there falls back as it
// does without a token, saying why the token was not used.
func TestJobTokenGoesOnlyToItsAPI(t *testing.T) {
	const token = "ghs_job_token_0123456789"
	const ghes = "https://ghes.example.com/api/v3"
	tests := []struct {
		name string
		// tokenAPI is Resolver.TokenAPI (GITHUB_API_URL, as the install
		// inputs read it).
		tokenAPI string
		limited  bool
		// wantAuth is the Authorization the requests to api.github.com carry.
		wantAuth string
		wantNote string
	}{
		{name: "on github.com the token is sent", tokenAPI: "https://api.github.com", wantAuth: "Bearer " + token},
		{name: "on github.com, the API with a slash", tokenAPI: "https://api.github.com/", wantAuth: "Bearer " + token},
		{name: "outside Actions (no GITHUB_API_URL): github.com's", wantAuth: "Bearer " + token},
		{name: "on GitHub Enterprise Server, not to github.com", tokenAPI: ghes},
		{
			name: "on GitHub Enterprise Server, rate limited without it", tokenAPI: ghes, limited: true,
			wantNote: "serving-version 1.23: could not list the releases of knative/serving (GitHub API rate limit reached for requests without a token (it resets at 15:04 UTC): github-token belongs to ghes.example.com and is sent there only, not to api.github.com); using 1.23.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, map[string][]rel{"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases()}, 0)
			if tt.limited {
				fake.LimitNext(1, time.Date(2030, 1, 2, 15, 4, 0, 0, time.UTC))
			}
			u, err := url.Parse(fake.URL())
			if err != nil {
				t.Fatal(err)
			}
			hosts := &anyHost{fake: u}
			r := &Resolver{Token: token, TokenAPI: tt.tokenAPI, Client: &http.Client{Transport: hosts, Timeout: 5 * time.Second}}
			v, err := r.Resolve(context.Background(), log.Discard, mustSpec(t, "1.23"), "kourier")
			if err != nil {
				t.Fatal(err)
			}
			reqs := hosts.requests()
			if len(reqs) == 0 {
				t.Fatal("no request was made")
			}
			for _, s := range reqs {
				if s.host != "api.github.com" || s.auth != tt.wantAuth {
					t.Errorf("a request to %s with Authorization %q; want api.github.com with %q", s.host, s.auth, tt.wantAuth)
				}
			}
			if tt.wantNote != "" && (len(v.Notes) == 0 || !strings.HasPrefix(v.Notes[0], tt.wantNote)) {
				t.Errorf("notes %q\nwant %q...", v.Notes, tt.wantNote)
			}
			if !tt.limited && (v.Serving != "1.23.3" || v.Ingress != "1.23.2") {
				t.Errorf("resolved %+v", v)
			}
		})
	}
}
