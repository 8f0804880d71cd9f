package input

import (
	"encoding/json"
	"path/filepath"
	"strings"
)

// hostWorkspace names the hidden input that tells a container action where
// the runner's workspace is on the host.
const hostWorkspace = "host-workspace"

// HostWorkspace is the hidden input that carries the runner's host path of
// the workspace, which a container action sees at $GITHUB_WORKSPACE
// (/github/workspace). Its default is toJSON'd on purpose: the runner
// rewrites every environment value, INPUT_* included, that equals the host
// workspace or starts with it and a slash (ContainerInfo.TranslateToContainerPath
// in actions/runner), so a plain ${{ github.workspace }} would arrive as
// /github/workspace and say nothing; the quoted form starts with '"' and
// arrives as it was written.
var HostWorkspace = Def{
	Name:          hostWorkspace,
	ActionDefault: "${{ toJSON(github.workspace) }}",
	Internal:      true,
	Description:   "Internal: set by the runner, not for users: the workspace's path on the runner's host, so that paths earlier steps wrote (KUBECONFIG, GOOGLE_APPLICATION_CREDENTIALS, file inputs, file references inside a kubeconfig) are read from the container's workspace. Leave it unset.",
}

// pathMap maps paths under the runner's host workspace to the same paths
// under the container's workspace. The zero pathMap maps nothing.
type pathMap struct {
	host, container string
}

// newPathMap returns the map of a container action: style ActionStyle, in
// a GitHub Actions run (GITHUB_ACTIONS=true) with a GITHUB_WORKSPACE and a
// host-workspace value. Anywhere else (the CLI, on a laptop or in a run:
// step) it maps nothing.
func newPathMap(raw Values, style Style, getenv func(string) string) pathMap {
	if getenv == nil || !inAction(style, getenv) {
		return pathMap{}
	}
	container := cleanAbs(getenv("GITHUB_WORKSPACE"))
	host := strings.TrimSpace(raw[hostWorkspace])
	if strings.HasPrefix(host, `"`) {
		var s string
		if json.Unmarshal([]byte(host), &s) != nil {
			return pathMap{}
		}
		host = s
	}
	host = cleanAbs(host)
	if container == "" || host == "" || host == container {
		return pathMap{}
	}
	return pathMap{host: host, container: container}
}

// cleanAbs is p cleaned when it is absolute, else empty.
func cleanAbs(p string) string {
	p = strings.TrimSpace(p)
	if !filepath.IsAbs(p) {
		return ""
	}
	return filepath.Clean(p)
}

// path maps p when it is under the host workspace (or is it) and not
// already under the container's; anything else, relative paths included
// (they are relative to the container's working directory, the
// workspace), is returned as it is. Mapping twice is mapping once.
func (m pathMap) path(p string) string {
	if m.host == "" {
		return p
	}
	c := cleanAbs(p)
	if c == "" || within(c, m.container) {
		return p
	}
	if c == m.host {
		return m.container
	}
	if rest, ok := strings.CutPrefix(c, m.host+string(filepath.Separator)); ok {
		return filepath.Join(m.container, rest)
	}
	return p
}

// within reports whether p is dir or under it; both are clean.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// Within reports whether path is dir or under it, both cleaned.
func Within(path, dir string) bool { return within(filepath.Clean(path), filepath.Clean(dir)) }

// Path maps p, a path that an earlier step of the job may have written as
// the runner's host sees it (/home/runner/work/repo/repo/...), to where
// this container sees it (/github/workspace/...). It maps only in a
// container action; other paths, relative paths and paths already in the
// container's workspace are returned as they are, so it is safe to apply
// to a path the runner already rewrote.
//
// What the runner rewrites: each environment value as a whole, when it is
// the host workspace or starts with it and a slash. So a path input, a
// single-path KUBECONFIG or GOOGLE_APPLICATION_CREDENTIALS arrive already
// rewritten, and Path is only a safety net for them. What it does not
// rewrite, and Path is for: the second and later entries of a list such as
// KUBECONFIG=a:b, paths not written exactly in the workspace's form (e.g.
// //home/..., or after leading blanks), and file content, such as the
// certificate-authority, client-key or tokenFile paths inside a kubeconfig.
func (r *Reader) Path(p string) string { return r.paths.path(p) }

// HostWorkspace is the workspace's path on the runner's host in a
// container action (the host-workspace input), else empty: where the
// runner's Docker, which runs on the host, finds what this process sees in
// its workspace (a kind-config's extraMounts, for instance).
func (r *Reader) HostWorkspace() string { return r.paths.host }

// InWorkspace checks, in a GitHub Actions run, that path (relative to the
// workspace, or absolute; symbolic links followed) is a file or folder of
// the workspace, and records a problem with name when it is not: a step's
// inputs may read what the job checked out or wrote, not the machine's
// other files (/etc). Outside Actions any path is accepted.
func (r *Reader) InWorkspace(name, path string) bool {
	ws := cleanAbs(r.Getenv("GITHUB_WORKSPACE"))
	if !r.InAction() || ws == "" {
		return true
	}
	p := path
	if !filepath.IsAbs(p) {
		p = filepath.Join(ws, p)
	}
	p = filepath.Clean(p)
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	if realWS, err := filepath.EvalSymlinks(ws); err == nil && !within(p, ws) {
		ws = realWS
	}
	if within(p, ws) {
		return true
	}
	r.Bad(name, path, "is outside the workspace ("+ws+"): in a workflow this action reads only files the job checked out or wrote there", "a path in the workspace, relative to it")
	return false
}

// InAction reports whether the inputs are read as the action's, in a
// GitHub Actions run (GITHUB_ACTIONS=true): not the CLI, whether on a
// laptop or in a run: step.
func (r *Reader) InAction() bool { return inAction(r.style, r.Getenv) }

func inAction(style Style, getenv func(string) string) bool {
	return style == ActionStyle && getenv("GITHUB_ACTIONS") == "true"
}
