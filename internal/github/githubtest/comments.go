package githubtest

import (
	"fmt"
	"net/http"
	"strconv"
)

func (s *Server) commentJSON(r *http.Request, c *Comment) map[string]any {
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	api := fmt.Sprintf("http://%s/repos/%s", r.Host, repo)
	return map[string]any{
		"id":                 c.ID,
		"node_id":            fmt.Sprintf("IC_kwDO%d", c.ID),
		"url":                fmt.Sprintf("%s/issues/comments/%d", api, c.ID),
		"html_url":           fmt.Sprintf("https://github.com/%s/pull/%d#issuecomment-%d", repo, c.Issue, c.ID),
		"issue_url":          fmt.Sprintf("%s/issues/%d", api, c.Issue),
		"body":               c.Body,
		"user":               user(c.User),
		"author_association": "NONE",
		"created_at":         now(),
		"updated_at":         now(),
	}
}

// listComments is operation issues/list-comments.
func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	number, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Comment
	for _, c := range s.comments {
		if c.Issue == number {
			all = append(all, c)
		}
	}
	out := []map[string]any{}
	items, _ := page(w, r, all, s.pageSize)
	for _, c := range items {
		out = append(out, s.commentJSON(r, c))
	}
	writeJSON(w, http.StatusOK, out)
}

// createComment is operation issues/create-comment.
func (s *Server) createComment(w http.ResponseWriter, r *http.Request) {
	number, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	body, ok := commentBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	c := &Comment{ID: s.nextID, Issue: number, Body: body, User: Bot}
	s.comments = append(s.comments, c)
	w.Header().Set("Location", s.commentJSON(r, c)["url"].(string))
	writeJSON(w, http.StatusCreated, s.commentJSON(r, c))
}

// maxCommentLength is the longest comment body GitHub takes.
const maxCommentLength = 65536

// commentBody reads a comment's body from r, answering as GitHub does
// when it is missing or too long.
func commentBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Body *string `json:"body"`
	}
	if err := decode(r, &in); err != nil || in.Body == nil || *in.Body == "" {
		invalid(w, "IssueComment", "body", "missing_field", "")
		return "", false
	}
	if len([]rune(*in.Body)) > maxCommentLength {
		invalid(w, "IssueComment", "body", "custom", "body is too long (maximum is 65536 characters)")
		return "", false
	}
	return *in.Body, true
}

// updateComment is operation issues/update-comment.
func (s *Server) updateComment(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	body, ok := commentBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.comments {
		if c.ID == id {
			c.Body = body
			writeJSON(w, http.StatusOK, s.commentJSON(r, c))
			return
		}
	}
	writeMessage(w, http.StatusNotFound, "Not Found")
}
