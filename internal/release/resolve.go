package release

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/knative-preview/action/internal/log"
)

// Resolver turns a Spec into exact versions using GitHub releases. Its zero
// value is ready to use (unauthenticated, on api.github.com).
type Resolver struct {
	// BaseURL is the GitHub API; empty means api.github.com.
	BaseURL string
	// Token (the github-token input, or GITHUB_TOKEN) is sent as a bearer
	// token to the API it belongs to (TokenAPI) and to no other; without it
	// GitHub allows 60 requests an hour per IP address. It is never logged
	// nor put in an error.
	Token string
	// TokenAPI is the GitHub API Token was issued for, GITHUB_API_URL (on
	// GitHub Enterprise Server, not api.github.com: the releases are then
	// read without a token); empty: api.github.com.
	TokenAPI string
	// Client makes the requests; nil means github.NewReleases' default.
	Client *http.Client
	// Folder, when set, is a local folder of manifests laid out as
	// <component>/<version>/<file> (the manifests-url input): the releases
	// are the version folders found there and GitHub is not asked.
	Folder string
}

// Versions is what to install.
type Versions struct {
	// Serving is the Knative Serving release, X.Y.Z.
	Serving string
	// Ingress is the release of the networking layer (net-kourier, ...),
	// X.Y.Z with the same X.Y as Serving.
	Ingress string
	// Notes say what could not be checked and what was assumed instead;
	// the caller shows them as warnings.
	Notes []string
}

// Resolve returns the serving and ingress versions to install for spec,
// telling l each step.
//
// X.Y.Z is used as given; X.Y becomes the newest patch release of that minor;
// latest becomes the newest release whose ingress layer has a release of the
// same minor. The ingress layer is the newest patch of serving's minor in its
// own repository. When GitHub cannot be asked (rate limit, network, timeout),
// X.Y falls back to X.Y.0 with a Note saying why; latest cannot fall back and
// is an error. A minor without any release is an error naming the newest.
func (r *Resolver) Resolve(ctx context.Context, l log.Logger, spec Spec, ingress string) (Versions, error) {
	ingComp, err := IngressComponent(ingress)
	if err != nil {
		return Versions{}, err
	}
	servingRepo, _ := Repo(Serving)
	ingRepo, _ := Repo(ingComp)
	s := &resolution{r: r, l: l, spec: spec, ingComp: ingComp, servingRepo: servingRepo, ingRepo: ingRepo}
	switch spec.Kind {
	case kindExact:
		s.exact()
	case kindMinor:
		err = s.newestPatchOfMinor(ctx)
	case kindLatest:
		err = s.newestWithIngress(ctx)
	default:
		err = fmt.Errorf("resolving serving-version: empty version spec (accepted: %s)", SpecAccepted)
	}
	if err != nil {
		return Versions{}, err
	}
	if err := s.ingress(ctx); err != nil {
		return Versions{}, err
	}
	return s.out, nil
}

// resolution is one Resolve under way: each step fills in what it found.
type resolution struct {
	r                             *Resolver
	l                             log.Logger
	spec                          Spec
	ingComp, servingRepo, ingRepo string

	out Versions
	// serving is the Knative Serving release chosen.
	serving *version.Version
	// ingList is the ingress layer's releases, when a step listed them.
	ingList []*version.Version
	// unavailable is why GitHub could not be asked; once set, no further
	// request is made (a rate limit or an outage applies to all).
	unavailable error
}

// exact takes X.Y.Z as given.
func (s *resolution) exact() {
	s.serving = version.MajorMinor(s.spec.Major, s.spec.Minor).WithPatch(s.spec.Patch)
}

// newestPatchOfMinor takes the newest patch release of X.Y, or X.Y.0 when
// GitHub cannot be asked.
func (s *resolution) newestPatchOfMinor(ctx context.Context) error {
	spec := s.spec
	s.l.Infof("Resolving serving-version %s: newest patch release of %s", spec, s.servingRepo)
	list, err := s.r.listReleases(ctx, s.servingRepo)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("resolving serving-version %s from GitHub releases of %s: %w", spec, s.servingRepo, context.Cause(ctx))
	case err != nil:
		s.unavailable = err
		s.serving = version.MajorMinor(spec.Major, spec.Minor).WithPatch(0)
		s.out.Notes = append(s.out.Notes, fmt.Sprintf("serving-version %s: could not list the releases of %s (%v); using %s without checking for a newer patch release", spec, s.servingRepo, err, s.serving))
		return nil
	}
	s.serving = newestPatch(list, spec.Major, spec.Minor)
	if s.serving == nil {
		return noReleaseError("Knative Serving", spec.String(), list, "set serving-version to an existing release")
	}
	return nil
}

// newestWithIngress takes the newest release whose minor the ingress layer
// has a release of too; without the ingress layer's list, the newest.
func (s *resolution) newestWithIngress(ctx context.Context) error {
	s.l.Infof("Resolving serving-version latest: newest release of %s", s.servingRepo)
	list, err := s.r.listReleases(ctx, s.servingRepo)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("resolving serving-version latest from GitHub releases of %s: %w", s.servingRepo, context.Cause(ctx))
	case err != nil:
		return fmt.Errorf("resolving serving-version latest: could not list the releases of %s: %w: pin serving-version to X.Y.Z (e.g. %s.0)", s.servingRepo, err, DefaultServingVersion)
	case len(list) == 0:
		return fmt.Errorf("resolving serving-version latest: %s has no published knative-vX.Y.Z release: pin serving-version to X.Y.Z", s.servingRepo)
	}
	s.l.Infof("Resolving the %s release for the newest Knative Serving: newest patch release in %s", s.ingComp, s.ingRepo)
	ingList, err := s.r.listReleases(ctx, s.ingRepo)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("resolving the %s release from GitHub releases of %s: %w", s.ingComp, s.ingRepo, context.Cause(ctx))
	case err != nil:
		s.unavailable = err
		s.serving = newest(list)
		return nil
	}
	// The networking layers are released shortly after serving: use the
	// newest minor that both have.
	top := newest(list)
	s.serving = newestCommonMinor(list, ingList)
	if s.serving == nil {
		return noReleaseError(s.ingComp, fmt.Sprintf("%d.%d", top.Major(), top.Minor()), ingList, "pin serving-version to X.Y.Z of a release it has")
	}
	if s.serving.Minor() != top.Minor() || s.serving.Major() != top.Major() {
		s.out.Notes = append(s.out.Notes, fmt.Sprintf("serving-version latest: %s has no %d.%d release yet; using Knative %s, the newest release both have", s.ingComp, top.Major(), top.Minor(), s.serving))
	}
	s.ingList = ingList
	return nil
}

// ingress takes the newest patch release of serving's minor of the ingress
// layer, or its X.Y.0 when GitHub cannot be asked.
func (s *resolution) ingress(ctx context.Context) error {
	serving := s.serving
	s.out.Serving = serving.String()
	if s.ingList == nil && s.unavailable == nil {
		s.l.Infof("Resolving the %s release for Knative Serving %s: newest %d.%d patch release in %s", s.ingComp, s.out.Serving, serving.Major(), serving.Minor(), s.ingRepo)
		list, err := s.r.listReleases(ctx, s.ingRepo)
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("resolving the %s release from GitHub releases of %s: %w", s.ingComp, s.ingRepo, context.Cause(ctx))
		case err != nil:
			s.unavailable = err
		default:
			s.ingList = list
		}
	}
	if s.unavailable != nil {
		s.out.Ingress = version.MajorMinor(serving.Major(), serving.Minor()).WithPatch(0).String()
		s.out.Notes = append(s.out.Notes, fmt.Sprintf("%s: could not list the releases of %s (%v); using %s, the first release of Knative %d.%d, without checking for a newer patch release", s.ingComp, s.ingRepo, s.unavailable, s.out.Ingress, serving.Major(), serving.Minor()))
	} else {
		ing := newestPatch(s.ingList, serving.Major(), serving.Minor())
		if ing == nil {
			return noReleaseError(s.ingComp, fmt.Sprintf("%d.%d", serving.Major(), serving.Minor()), s.ingList, "set serving-version to a release it has, or choose another ingress")
		}
		s.out.Ingress = ing.String()
	}
	if s.spec.Kind == kindLatest {
		s.l.Infof("Knative Serving %s (latest), %s %s", s.out.Serving, s.ingComp, s.out.Ingress)
	} else {
		s.l.Infof("Knative Serving %s, %s %s", s.out.Serving, s.ingComp, s.out.Ingress)
	}
	return nil
}

// newestPatch returns the highest version of major.minor in list, or nil.
func newestPatch(list []*version.Version, major, minor uint) *version.Version {
	var best *version.Version
	for _, v := range list {
		if v.Major() == major && v.Minor() == minor && (best == nil || best.LessThan(v)) {
			best = v
		}
	}
	return best
}

// newest returns the highest version in list, or nil.
func newest(list []*version.Version) *version.Version {
	var best *version.Version
	for _, v := range list {
		if best == nil || best.LessThan(v) {
			best = v
		}
	}
	return best
}

// newestCommonMinor returns the highest version in serving whose minor also
// has a release in ingress, or nil.
func newestCommonMinor(serving, ingress []*version.Version) *version.Version {
	sorted := slices.Clone(serving)
	slices.SortFunc(sorted, func(a, b *version.Version) int {
		switch {
		case a.LessThan(b):
			return 1
		case b.LessThan(a):
			return -1
		}
		return 0
	})
	for _, v := range sorted {
		if newestPatch(ingress, v.Major(), v.Minor()) != nil {
			return v
		}
	}
	return nil
}

// noReleaseError says that what has no release of minor, and names the
// newest release that exists.
func noReleaseError(what, minor string, list []*version.Version, advice string) error {
	if top := newest(list); top != nil {
		return fmt.Errorf("%s %s has no release (the newest is %s): %s", what, minor, top, advice)
	}
	return fmt.Errorf("%s %s has no release (no knative-vX.Y.Z release found at all): %s", what, minor, advice)
}
