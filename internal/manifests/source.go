package manifests

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/knative-preview/action/internal/buildinfo"
)

// defaultGitHubURL is where release assets are downloaded from when Source is
// empty: <defaultGitHubURL>/knative/<repo>/releases/download/knative-v<version>/<file>.
const defaultGitHubURL = "https://github.com"

// SourceAccepted describes the accepted values of manifests-url, for input
// validation messages.
const SourceAccepted = "empty for GitHub releases, an http(s) base URL, or a local folder; a URL or folder holds <component>/<version>/<file>, e.g. serving/1.23.0/serving-core.yaml"

// ValidateSource checks a manifests-url value: empty, an http(s) URL with a
// host, or an existing folder. The error is the problem alone, fit for an
// input error that adds the input's name and SourceAccepted. A relative
// folder is relative to the current directory (the workspace in the action):
// callers that mean another base join it first.
func ValidateSource(s string) error {
	if s == "" {
		return nil
	}
	if isURL(s) {
		u, err := url.Parse(s)
		switch {
		case err != nil:
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // url.Error quotes the whole URL, credentials included
			}
			return fmt.Errorf("is not a valid URL (%v)", err)
		case u.Scheme != "http" && u.Scheme != "https":
			return fmt.Errorf("is a %s URL; only http and https are supported", u.Scheme)
		case u.Host == "":
			return errors.New("is a URL without a host")
		}
		return nil
	}
	fi, err := os.Stat(s)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("is not an http(s) URL, and no such folder exists")
	case err != nil:
		return fmt.Errorf("cannot be read as a folder (%v)", err)
	case !fi.IsDir():
		return errors.New("is a file; a folder is needed")
	}
	return nil
}

// IsFolder reports whether a manifests-url value names a local folder (which
// is also the list of releases) rather than a URL.
func IsFolder(source string) bool { return source != "" && !isURL(source) }

// isURL reports whether s has a URL scheme (anything://), as opposed to a
// folder path.
func isURL(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return false
	}
	for _, c := range scheme {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// DefaultCacheDir returns the folder that keeps downloaded manifests:
// $RUNNER_TOOL_CACHE/knative-preview on GitHub runners (kept between jobs
// on self-hosted runners) when that folder exists here (a container action
// gets the variable but not the folder), else $XDG_CACHE_HOME/knative-preview,
// else ~/.cache/knative-preview (in a container action, /github/home, which
// the job's later steps keep).
func DefaultCacheDir(getenv func(string) string) (string, error) {
	if d := getenv("RUNNER_TOOL_CACHE"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return filepath.Join(d, buildinfo.Name), nil
		}
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, buildinfo.Name), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", buildinfo.Name), nil
	}
	return "", errors.New("choosing a folder for the manifest cache: none of RUNNER_TOOL_CACHE, XDG_CACHE_HOME and HOME is set; set one of them")
}
