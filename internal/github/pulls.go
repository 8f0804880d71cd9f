package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v75/github"
)

// OpenPullRequests returns the numbers of the repository's open pull
// requests, reading every page (at most maxPages of 100): one question,
// asked once, that a sweep decides by. A page that cannot be read fails
// the whole answer: a partial list would make open pull requests look
// closed.
func (c *Client) OpenPullRequests(ctx context.Context) ([]int, error) {
	var open []int
	opts := &gh.PullRequestListOptions{State: "open", ListOptions: gh.ListOptions{PerPage: 100}}
	for n := 1; ; n++ {
		if n > maxPages {
			return nil, fmt.Errorf("%s has more than %d open pull requests (%d pages); stopped reading", c.repository(), 100*maxPages, maxPages)
		}
		var page []*gh.PullRequest
		var resp *gh.Response
		err := c.retry.Do(ctx, func(ctx context.Context) (err error) {
			page, resp, err = c.api.PullRequests.List(ctx, c.owner, c.repo, opts)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("listing the open pull requests of %s: %w", c.repository(), err)
		}
		for _, pr := range page {
			open = append(open, pr.GetNumber())
		}
		if resp.NextPage == 0 {
			return open, nil
		}
		opts.Page = resp.NextPage
	}
}
