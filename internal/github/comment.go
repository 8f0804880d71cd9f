package github

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	gh "github.com/google/go-github/v75/github"
)

// maxCommentBytes is the longest comment body sent: GitHub takes 65536
// characters, and no character is shorter than a byte.
const maxCommentBytes = 65536

// commentCut ends a body cut to fit a comment.
const commentCut = "\n\n… (cut: GitHub takes at most 65536 characters in a comment)"

// UpsertComment keeps one comment on pull request (or issue) number: the
// first comment whose body begins with marker, a hidden HTML comment such
// as <!-- knative-preview:preview -->, is edited to body; without one, a
// new comment is made. body gets marker at its start when it lacks it, and is
// cut to what GitHub takes. It returns the comment's web address.
func (c *Client) UpsertComment(ctx context.Context, number int, marker, body string) (string, error) {
	return c.keepComment(ctx, number, marker, body, true)
}

// EditComment edits the comment on pull request number that begins with
// marker, as UpsertComment does, but makes none when there is none: a
// pull request that never had the action's comment gets none. It returns
// the comment's web address, empty when there was none.
func (c *Client) EditComment(ctx context.Context, number int, marker, body string) (string, error) {
	return c.keepComment(ctx, number, marker, body, false)
}

// keepComment edits the marker's comment on number to body, or with
// create makes it when there is none.
func (c *Client) keepComment(ctx context.Context, number int, marker, body string, create bool) (string, error) {
	if !hiddenComment(marker) {
		return "", fmt.Errorf("commenting on pull request #%d: the marker %q is not a hidden HTML comment <!-- ... -->", number, marker)
	}
	if !strings.HasPrefix(body, marker) {
		body = marker + "\n" + body
	}
	body = cutComment(body)
	var address string
	// The whole lookup is made again after a failure: a comment made by a
	// try whose answer was lost is then found and edited, not doubled.
	err := c.retry.Do(ctx, func(ctx context.Context) error {
		id, err := c.findComment(ctx, number, marker)
		if err != nil {
			return err
		}
		var made *gh.IssueComment
		switch {
		case id == 0 && !create:
			return nil
		case id != 0:
			made, _, err = c.api.Issues.EditComment(ctx, c.owner, c.repo, id, &gh.IssueComment{Body: &body})
		default:
			made, _, err = c.api.Issues.CreateComment(ctx, c.owner, c.repo, number, &gh.IssueComment{Body: &body})
		}
		if err != nil {
			return err
		}
		address = made.GetHTMLURL()
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("commenting on pull request #%d of %s: %w", number, c.repository(), err)
	}
	return address, nil
}

// findComment returns the id of the first comment on number whose body
// begins with marker, reading up to maxPages pages; 0 when there is none.
// A person who quotes the marker later in a comment of theirs does not
// have that comment overwritten.
func (c *Client) findComment(ctx context.Context, number int, marker string) (int64, error) {
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	var id int64
	err := everyPage(func(page int) (int, error) {
		opts.Page = page
		comments, resp, err := c.api.Issues.ListComments(ctx, c.owner, c.repo, number, opts)
		if err != nil {
			return 0, err
		}
		for _, cm := range comments {
			if strings.HasPrefix(cm.GetBody(), marker) {
				id = cm.GetID()
				return 0, nil
			}
		}
		return resp.NextPage, nil
	}, func() error {
		return fmt.Errorf("the pull request has more than %d comments (%d pages); stopped looking for the one to edit", 100*maxPages, maxPages)
	})
	return id, err
}

// cutComment cuts body to maxCommentBytes, on a character boundary, with
// a line saying so.
func cutComment(body string) string {
	if len(body) <= maxCommentBytes {
		return body
	}
	cut := maxCommentBytes - len(commentCut)
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return body[:cut] + commentCut
}

// hiddenComment reports whether s is one HTML comment, on one line: text
// that Markdown hides.
func hiddenComment(s string) bool {
	inner, ok := strings.CutPrefix(s, "<!--")
	if !ok {
		return false
	}
	inner, ok = strings.CutSuffix(inner, "-->")
	return ok && strings.TrimSpace(inner) != "" && !strings.Contains(inner, "-->") && !strings.ContainsAny(inner, "\r\n")
}
