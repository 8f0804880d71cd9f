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
	err := everyPage(func(page int) (int, error) {
		opts.Page = page
		var list []*gh.PullRequest
		var resp *gh.Response
		err := c.retry.Do(ctx, func(ctx context.Context) (err error) {
			list, resp, err = c.api.PullRequests.List(ctx, c.owner, c.repo, opts)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("listing the open pull requests of %s: %w", c.repository(), err)
		}
		for _, pr := range list {
			open = append(open, pr.GetNumber())
		}
		return resp.NextPage, nil
	}, func() error {
		return fmt.Errorf("%s has more than %d open pull requests (%d pages); stopped reading", c.repository(), 100*maxPages, maxPages)
	})
	if err != nil {
		return nil, err
	}
	return open, nil
}
