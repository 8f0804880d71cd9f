// Package image reads container image references by the rules Knative
// itself uses (go-containerregistry's): the project's one parser of them.
package image

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/knative-preview/action/internal/input"
)

// Accepted says what an image reference looks like, for input problems.
const Accepted = "[registry/]repository[:tag][@sha256:digest], e.g. ghcr.io/org/app:v1"

// Check says what is wrong with ref as an image reference, worded to follow
// the value in a problem ("is not an image reference ..."); nil when ref is
// one. A bare name means Docker Hub and the tag latest, as for docker pull.
func Check(ref string) error {
	if _, err := parse(ref); err != nil {
		if repo := repository(ref); repo != strings.ToLower(repo) {
			return errors.New("is not an image reference: a repository path must be lower case (only a registry host, with a dot, a port or localhost, may have capitals); in a workflow, lower-case the repository's name, e.g. ${GITHUB_REPOSITORY,,} in a shell step")
		}
		return fmt.Errorf("is not an image reference (%s)", input.Printable(err.Error()))
	}
	if strings.HasSuffix(ref, ":") {
		return errors.New("is not an image reference: its tag is empty")
	}
	return nil
}

// Registry is the registry of ref as Knative names it when it decides to
// skip resolving a tag: index.docker.io for myapp:dev. Empty when ref is not
// an image reference.
func Registry(ref string) string {
	r, err := parse(ref)
	if err != nil {
		return ""
	}
	return r.Context().RegistryStr()
}

// Name is the repository ref names, with its registry, as
// go-containerregistry normalises it: index.docker.io/library/redis for
// redis:7, ghcr.io/org/app for ghcr.io/org/app:v1@sha256:...; its tag and
// digest are not part of it. Empty when ref is not an image reference.
func Name(ref string) string {
	r, err := parse(ref)
	if err != nil {
		return ""
	}
	return r.Context().Name()
}

// Digest is the digest ref pins (ghcr.io/org/app@sha256:...), or empty
// when it names a tag or is not an image reference.
func Digest(ref string) string {
	if r, err := parse(ref); err == nil {
		if d, ok := r.(name.Digest); ok {
			return d.DigestStr()
		}
	}
	return ""
}

// Normalized is ref as Docker and containerd name the image they store:
// registry, repository path and tag or digest in full
// (docker.io/library/myapp:dev for myapp:dev, the tag latest when there is
// none). Empty when ref is not an image reference.
func Normalized(ref string) string {
	r, err := parse(ref)
	if err != nil {
		return ""
	}
	reg := r.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io" // what Docker calls Docker Hub in names
	}
	n := reg + "/" + r.Context().RepositoryStr()
	if d, ok := r.(name.Digest); ok {
		return n + "@" + d.DigestStr()
	}
	return n + ":" + r.Identifier()
}

// Owner is the first part of ref's repository path (octo in
// ghcr.io/octo/app:v1): on ghcr.io the user or organization whose package
// it is. Empty when ref does not parse.
func Owner(ref string) string {
	r, err := parse(ref)
	if err != nil {
		return ""
	}
	owner, _, _ := strings.Cut(r.Context().RepositoryStr(), "/")
	return owner
}

func parse(ref string) (name.Reference, error) {
	if strings.Contains(ref, "@") {
		return name.NewDigest(ref, name.WeakValidation)
	}
	return name.NewTag(ref, name.WeakValidation)
}

// repository is ref without its registry host, tag and digest, as far as
// that can be told from a reference that does not parse.
func repository(ref string) string {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	if host, rest, ok := strings.Cut(ref, "/"); ok && (strings.ContainsAny(host, ".:") || host == "localhost") {
		return rest
	}
	return ref
}
