package sweep

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/input"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	p := func(svc, tag string, pr int, ago time.Duration) deploy.Preview {
		return deploy.Preview{Namespace: "previews", Service: svc, Tag: tag, PullRequest: pr, Updated: now.Add(-ago)}
	}
	// Listed as the cluster lists them (by namespace and name), not by
	// pull request: the removals come in pull request order.
	previews := []deploy.Preview{
		p("app", "pr-4", 4, 2*time.Hour),              // closed, fresh
		p("app", "pr-3", 3, 9*24*time.Hour+time.Hour), // open, idle 9 days
		p("app-pr-1", "", 1, time.Hour),               // open, fresh
		p("app-pr-5", "", 5, 6*24*time.Hour),          // open, within 7 days
		p("app-pr-2", "", 2, 30*24*time.Hour),         // closed
	}
	open := []int{1, 3, 5, 6}
	tests := []struct {
		name   string
		maxAge time.Duration
		want   string
	}{
		{"closed pull requests only", 0, "#2 previews/app-pr-2: pull request closed; #4 previews/app tag pr-4: pull request closed"},
		{"and those idle for longer than a week", 7 * 24 * time.Hour,
			"#2 previews/app-pr-2: pull request closed; #3 previews/app tag pr-3: idle for 9 days; #4 previews/app tag pr-4: pull request closed"},
		{"a short max-age", 90 * time.Minute,
			"#2 previews/app-pr-2: pull request closed; #3 previews/app tag pr-3: idle for 9 days; #4 previews/app tag pr-4: pull request closed; #5 previews/app-pr-5: idle for 6 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range decide(previews, open, tt.maxAge, now) {
				got = append(got, fmt.Sprintf("#%d %s: %s", r.PullRequest, r.preview, r.Reason))
			}
			if g := strings.Join(got, "; "); g != tt.want {
				t.Errorf("got  %s\nwant %s", g, tt.want)
			}
		})
	}
	if got := decide(previews, []int{1, 2, 3, 4, 5}, 0, now); len(got) != 0 {
		t.Errorf("every pull request open, no max-age: removes %+v", got)
	}
}

func TestParseMaxAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  string
	}{
		{"", 0, ""},
		{"7d", 7 * 24 * time.Hour, ""},
		{"36h", 36 * time.Hour, ""},
		{"0d", 0, "not a number of days"},
		{"1.5d", 0, "not a number of days"},
		{"30m", 0, "shorter than an hour"},
		{"soon", 0, "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r := input.NewReader(Inputs, input.Values{"max-age": tt.in}, input.ActionStyle, func(string) string { return "" })
			got := ParseMaxAge(r)
			err := r.Err()
			if got != tt.want || (err == nil) != (tt.bad == "") || err != nil && !strings.Contains(err.Error(), tt.bad) {
				t.Errorf("ParseMaxAge(%q) = %s, %v; want %s, a problem with %q", tt.in, got, err, tt.want, tt.bad)
			}
		})
	}
}
