package githubtest

import (
	"fmt"
	"net/http"
)

// Release is a release of a repository.
type Release struct {
	Tag               string
	Draft, Prerelease bool
}

// SeedReleases sets the releases of repository, owner/name, newest first
// as GitHub lists them. A repository without any answers 404.
func (s *Server) SeedReleases(repository string, releases ...Release) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releases[repository] = append([]Release(nil), releases...)
}

// listReleases is operation repos/list-releases.
func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) {
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	s.mu.Lock()
	all, ok := s.releases[repo]
	size := s.pageSize
	s.mu.Unlock()
	if !ok {
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	out := []map[string]any{}
	items, start := page(w, r, all, size)
	for i, rel := range items {
		id := len(all) - (start + i)
		var published any = now()
		if rel.Draft {
			published = nil
		}
		out = append(out, map[string]any{
			"url":          fmt.Sprintf("http://%s/repos/%s/releases/%d", r.Host, repo, id),
			"html_url":     fmt.Sprintf("https://github.com/%s/releases/tag/%s", repo, rel.Tag),
			"id":           id,
			"tag_name":     rel.Tag,
			"name":         rel.Tag,
			"draft":        rel.Draft,
			"prerelease":   rel.Prerelease,
			"author":       user(Bot),
			"created_at":   now(),
			"published_at": published,
			"assets":       []any{},
		})
	}
	writeJSON(w, http.StatusOK, out)
}
