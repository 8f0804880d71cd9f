package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/knative-preview/action/internal/github"
)

// listReleases returns the published (not draft, not prerelease) versions
// of repo. Its errors say why the list could not be read, in words fit for
// a user.
func (r *Resolver) listReleases(ctx context.Context, repo string) ([]*version.Version, error) {
	if r.Folder != "" {
		return r.listFolder(repo)
	}
	releases, err := github.NewReleases(r.BaseURL, r.Token, r.TokenAPI, r.Client)
	if err != nil {
		return nil, err
	}
	tags, err := releases.Tags(ctx, repo)
	if err != nil {
		return nil, err
	}
	var out []*version.Version
	for _, tag := range tags {
		if v := parseTag(tag); v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// parseTag returns the version of a knative-vX.Y.Z tag, or nil for any
// other tag (pre-1.0 vX.Y.Z tags, pre-release suffixes).
func parseTag(tag string) *version.Version {
	if !strings.HasPrefix(tag, TagPrefix) {
		return nil
	}
	v, err := version.ParseSemantic(strings.TrimPrefix(tag, TagPrefix))
	if err != nil || v.PreRelease() != "" {
		return nil
	}
	return v
}

// listFolder returns the versions of repo's component found as folders in
// r.Folder.
func (r *Resolver) listFolder(repo string) ([]*version.Version, error) {
	dir := filepath.Join(r.Folder, strings.TrimPrefix(repo, "knative/"))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the releases in %s: %w", dir, err)
	}
	var out []*version.Version
	for _, e := range entries {
		if v := parseTag(TagPrefix + e.Name()); e.IsDir() && v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}
