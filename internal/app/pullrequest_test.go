package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/github/githubtest"
	"github.com/knative-preview/action/internal/reachable"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/summary"
)

// What GitHub receives for a preview that came up, in each of the three
// answers to "can a reviewer reach it?": only a reachable one gets a link,
// in the comment and as the deployment's environment_url ("View
// deployment"); one whose cluster goes with the job ends inactive.
func TestPullRequestFollowsReachability(t *testing.T) {
	const sha = "a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7"
	tests := []struct {
		name  string
		facts reachable.Facts
		// states are the deployment's statuses in order; url the
		// environment_url of its last.
		states, url string
		heading     string
	}{
		{"kept and reachable", reachable.Facts{URL: "http://app-pr-7.previews.preview.example.dev"},
			"in_progress>success", "http://app-pr-7.previews.preview.example.dev", "### Preview ready"},
		{"kept, reachable only inside", reachable.Facts{URL: "http://app-pr-7.previews.127.0.0.1.sslip.io"},
			"in_progress>success", "", "### Preview tested"},
		{"ephemeral", reachable.Facts{EphemeralWhy: "is a kind cluster on a GitHub-hosted runner, which is discarded when the job ends", URL: "http://app-pr-7.default.127.0.0.1.sslip.io"},
			"in_progress>inactive", "", "### Preview tested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := githubtest.New(t)
			env := map[string]string{"GITHUB_REPOSITORY": "o/app", "GITHUB_API_URL": fake.URL(), "GITHUB_RUN_ID": "99"}
			getenv := func(k string) string { return env[k] }
			client, err := github.NewClient(getenv, "ghs_token")
			if err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			p := &pullRequest{
				con: console.NewLocal(&log), client: client, runURL: github.RunURL(getenv),
				pr:  &github.PullRequest{Number: 7, Action: "opened", HeadSHA: sha, BaseRepo: "o/app", HeadRepo: "o/app"},
				env: "pr-7", comment: true, deploys: true, service: "app-pr-7", namespace: "previews",
			}
			p.start(t.Context())
			v := reachable.Decide(tt.facts)
			r := &report.Report{OK: true, Service: &report.Service{Name: "app-pr-7", Namespace: "previews", Revision: "app-pr-7-00001", URL: tt.facts.URL}, Reachability: &v}
			if url := p.finish(r, nil, false); url == "" {
				t.Fatalf("no comment written:\n%s", log.String())
			}

			deployments := fake.Deployments()
			if len(deployments) != 1 || deployments[0].Environment != "pr-7" || deployments[0].Ref != sha {
				t.Fatalf("deployments %+v, want one of %s to pr-7", deployments, sha)
			}
			var states []string
			var last githubtest.Status
			for _, st := range fake.Statuses(deployments[0].ID) {
				states = append(states, st.State)
				last = st
				if st.EnvironmentURL != "" && st.EnvironmentURL != tt.url {
					t.Errorf("status %s has environment_url %q, want %q", st.State, st.EnvironmentURL, tt.url)
				}
			}
			if got := strings.Join(states, ">"); got != tt.states || last.EnvironmentURL != tt.url {
				t.Errorf("statuses %s ending with environment_url %q; want %s ending with %q", got, last.EnvironmentURL, tt.states, tt.url)
			}
			for _, req := range fake.Requests() {
				if _, ok := req.Body["environment_url"]; ok && tt.url == "" {
					t.Errorf("%s %s sent an environment_url for a preview no one can reach: %v", req.Method, req.Path, req.Body)
				}
			}

			comments := fake.Comments(7)
			if len(comments) != 1 || !strings.HasPrefix(comments[0].Body, summary.Marker) {
				t.Fatalf("comments %+v", comments)
			}
			body := comments[0].Body
			linked := strings.Contains(body, "](<"+tt.facts.URL+">)")
			if !strings.Contains(body, tt.heading) || linked != (tt.url != "") || !strings.Contains(body, tt.facts.URL) {
				t.Errorf("the comment (want %q, a link %v, the address shown) is:\n%s", tt.heading, tt.url != "", body)
			}
			if tt.url == "" && (!strings.Contains(body, "No link: ") || !strings.Contains(body, "smoke check")) {
				t.Errorf("the comment does not say why there is no link, or lacks the smoke check:\n%s", body)
			}
		})
	}
}

// A pull request without preview-label: its preview is removed, but a
// comment is only edited, never made, so a pull request that never had a
// preview is not told it lost one.
func TestPullRequestWithoutTheLabel(t *testing.T) {
	fake := githubtest.New(t)
	env := map[string]string{"GITHUB_REPOSITORY": "o/app", "GITHUB_API_URL": fake.URL()}
	client, err := github.NewClient(func(k string) string { return env[k] }, "ghs_token")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	p := &pullRequest{
		con: console.NewLocal(&log), client: client, pr: &github.PullRequest{Number: 3, Action: "synchronize", HeadSHA: strings.Repeat("3", 40)},
		env: "pr-3", comment: true, deploys: true, down: true, unlabelled: "preview", service: "app-pr-3", namespace: "previews",
	}
	p.finish(&report.Report{OK: true}, nil, false)
	if c := fake.Comments(3); len(c) != 0 {
		t.Fatalf("a pull request that never had a preview got a comment: %+v", c)
	}
	if _, err := client.UpsertComment(t.Context(), 3, summary.Marker, "### Preview ready"); err != nil {
		t.Fatal(err)
	}
	p.finish(&report.Report{OK: true}, nil, false)
	if c := fake.Comments(3); len(c) != 1 || !strings.Contains(c[0].Body, "because the pull request does not carry the label preview") {
		t.Errorf("the comment after the label went: %+v", c)
	}
}
