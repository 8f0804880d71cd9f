// Package kubecfg loads a kubeconfig given as a path or as content, selects
// one of its contexts, and lists the credentials it carries so they can be
// masked before anything is printed.
package kubecfg

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/userinfo"
)

// Source is a parsed kubeconfig and where it came from.
type Source struct {
	// Origin says where the kubeconfig was read from, for messages:
	// a file path, a KUBECONFIG list, or "inline content".
	Origin string
	// Config is the parsed kubeconfig, with relative file references
	// resolved against the file they appear in.
	Config *clientcmdapi.Config
	// Secrets are the values that must never be printed: tokens, passwords,
	// private keys, and the inline value itself when it was base64.
	Secrets []string
	// unseen are files of $KUBECONFIG a container action cannot see.
	unseen []string
}

// getenv reads an environment variable; tests pass a fake.
type getenv func(string) string

// Loader reads a kubeconfig as Load does, knowing where this process runs.
type Loader struct {
	// Getenv reads KUBECONFIG, HOME and GITHUB_WORKSPACE; nil: os.Getenv.
	Getenv func(string) string
	// MapPath maps a path from where an earlier step wrote it to where
	// this process reads it (input.Reader.Path); nil: none.
	MapPath func(string) string
	// InContainerAction says this process runs in a container action,
	// which sees of the runner's files the workspace and not the others:
	// not the runner's ~/.kube/config, where gcloud, aws eks
	// update-kubeconfig and kind write (its HOME is another folder). A
	// file missing for that reason is said to be so, with what to do.
	InContainerAction bool
}

// Load resolves value, the user's kubeconfig setting:
//   - empty: the files listed in $KUBECONFIG, else ~/.kube/config;
//   - content: YAML or JSON (recognised by a line break or a leading '{'),
//     or the base64 encoding of either, as often stored in a secret;
//   - anything else: a file path.
//
// mapPath (nil: none) maps a path from where an earlier step wrote it to
// where this process reads it (input.Reader.Path in a container action):
// it is applied to the value's path, to each file of $KUBECONFIG, and to
// the file references inside the kubeconfig (certificate-authority,
// client-certificate, client-key, tokenFile, an exec command), which no
// one else rewrites: they are file content.
func Load(value string, getenv getenv, mapPath func(string) string) (*Source, error) {
	return Loader{Getenv: getenv, MapPath: mapPath}.Load(value)
}

// Load resolves value as the package's Load does.
func (l Loader) Load(value string) (*Source, error) {
	if l.Getenv == nil {
		l.Getenv = os.Getenv
	}
	if l.MapPath == nil {
		l.MapPath = func(p string) string { return p }
	}
	src, err := l.load(strings.TrimSpace(value))
	if err != nil {
		return nil, err
	}
	mapFileReferences(src.Config, l.MapPath)
	return src, nil
}

// notVisible says that what names paths, files that do not exist here:
// in the workspace, not written yet; elsewhere, in a container action,
// files of the runner it cannot see. Each path is told as what it is.
func (l Loader) notVisible(what string, paths ...string) error {
	var inWorkspace, elsewhere []string
	ws := l.Getenv("GITHUB_WORKSPACE")
	for _, p := range paths {
		if ws != "" && input.Within(p, ws) {
			inWorkspace = append(inWorkspace, p)
		} else {
			elsewhere = append(elsewhere, p)
		}
	}
	var parts []string
	if len(inWorkspace) > 0 {
		parts = append(parts, fmt.Sprintf("%s, which does not exist in the workspace: did the step that writes it run before this one?", strings.Join(inWorkspace, " and ")))
	}
	if len(elsewhere) > 0 {
		files := "a file"
		if len(elsewhere) > 1 {
			files = "files"
		}
		parts = append(parts, fmt.Sprintf("%s, %s this container action cannot see: it sees the runner's workspace, not the runner's other files; write the kubeconfig under the workspace and give that path (the kubeconfig input, or KUBECONFIG), or pass its content; see %s", strings.Join(elsewhere, " and "), files, cluster.ContainerActionHelp))
	}
	return fmt.Errorf("%s names %s", what, strings.Join(parts, "; and "))
}

func (l Loader) load(value string) (*Source, error) {
	getenv, mapPath := l.Getenv, l.MapPath
	if value == "" {
		return l.loadDefault()
	}
	// base64 (as `base64` wraps it, at 76 columns, or on one line).
	if joined := strings.Join(strings.Fields(value), ""); !strings.ContainsAny(value, ":{") {
		if decoded, ok := decodeBase64(joined); ok {
			return loadContent(decoded, "inline base64 content", append([]string{joined}, strings.Fields(value)...))
		}
	}
	if strings.Contains(value, "\n") || strings.HasPrefix(value, "{") || strings.HasPrefix(value, "apiVersion:") {
		return loadContent([]byte(value), "inline content", nil)
	}
	if len(value) > maxPath {
		// Too long for a path: content we could not read. Never echo it,
		// it may hold credentials.
		return nil, fmt.Errorf("the value (%d characters) is neither the path of a kubeconfig file nor kubeconfig content (YAML, or its base64 encoding)", len(value))
	}
	path := mapPath(expandHome(value, getenv))
	if _, err := os.Stat(path); err != nil {
		switch {
		case contentLike(value):
			// Base64 cut short or encoded twice, or one line of YAML:
			// content that does not parse, which would otherwise be quoted
			// as a path. Never echo it: it decodes to credentials.
			return nil, fmt.Errorf("the value (%d characters) names no file, and as kubeconfig content (YAML, or its base64 encoding) it does not parse; it is not shown, as it may hold credentials", len(value))
		case l.InContainerAction && strings.HasPrefix(value, "~"):
			return nil, fmt.Errorf("the value %s names %s: inside a container action ~ is the container's home, /github/home, not the runner's, whose files it cannot see; write the kubeconfig under the workspace and give that path, or pass its content; see %s", value, path, cluster.ContainerActionHelp)
		case l.InContainerAction && filepath.IsAbs(path) && looksLikePath(value):
			return nil, l.notVisible("the value", path)
		case !looksLikePath(value) || !isDir(filepath.Dir(path)):
			// A token or a password given by mistake (a '/' in it does not
			// make it a path: its folder would exist): not quoted either.
			return nil, fmt.Errorf("the value (%d characters) is neither a file that exists nor kubeconfig content (YAML, or its base64 encoding); it is not shown, as it may be a credential", len(value))
		}
	}
	return loadFile(path)
}

// isDir reports whether dir is a folder that exists.
func isDir(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}

// pathRE matches a bare file name that reads as a kubeconfig's.
var pathRE = regexp.MustCompile(`^[\w.-]*(config|\.ya?ml|\.json|\.conf)$`)

// looksLikePath reports whether a value that names no file still reads as
// a path, and may be quoted: it has a folder in it, or a kubeconfig's name.
func looksLikePath(v string) bool {
	return strings.ContainsAny(v, "/~") || pathRE.MatchString(v)
}

// contentLike reports whether a value that is not read as content looks
// like content rather than a path: a YAML "key: value", or a long run of
// the base64 alphabet with no '/' to split it into path elements.
func contentLike(v string) bool {
	if strings.Contains(v, ": ") {
		return true
	}
	run, longest := 0, 0
	for _, c := range v {
		switch {
		case c == '/':
			run = 0
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '=', c == '-', c == '_':
			run++
			longest = max(longest, run)
		case unicode.IsSpace(c):
		default:
			return false
		}
	}
	return longest >= minContentLike
}

func loadContent(data []byte, origin string, secrets []string) (*Source, error) {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid kubeconfig%s", origin, detail(err, data))
	}
	if len(cfg.Contexts) == 0 {
		return nil, fmt.Errorf("%s is not a kubeconfig with any context (expected a file like ~/.kube/config)", origin)
	}
	return &Source{Origin: origin, Config: cfg, Secrets: append(secrets, credentialsIn(cfg)...)}, nil
}

func loadFile(path string) (*Source, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig path %q: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("kubeconfig file %s does not exist (give a path relative to the workspace, or the kubeconfig's content)", abs)
		}
		return nil, fmt.Errorf("reading kubeconfig file %s: %w", abs, err)
	}
	src, err := loadContent(data, "kubeconfig file "+abs, nil)
	if err != nil {
		return nil, err
	}
	src.Origin = abs
	stampOrigin(src.Config, abs)
	if err := clientcmd.ResolveLocalPaths(src.Config); err != nil {
		return nil, fmt.Errorf("resolving file references in kubeconfig %s: %w", abs, err)
	}
	return src, nil
}

func (l Loader) loadDefault() (*Source, error) {
	getenv := l.Getenv
	rules := &clientcmd.ClientConfigLoadingRules{}
	origin := ""
	var missing []string // files of $KUBECONFIG that do not exist here
	if list := getenv("KUBECONFIG"); list != "" {
		// The runner rewrites a host path at the start of the value only:
		// the second and later files of the list keep their host paths.
		for _, p := range filepath.SplitList(list) {
			p = l.MapPath(p)
			rules.Precedence = append(rules.Precedence, p)
			if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
				missing = append(missing, p)
			}
		}
		list = strings.Join(rules.Precedence, string(filepath.ListSeparator))
		origin = "$KUBECONFIG (" + list + ")"
	} else {
		home := getenv("HOME")
		if home == "" {
			return nil, errors.New("no kubeconfig given, KUBECONFIG is not set and HOME is unknown: pass a kubeconfig path or content")
		}
		path := filepath.Join(home, ".kube", "config")
		if _, err := os.Stat(path); err != nil {
			if l.InContainerAction {
				return nil, fmt.Errorf("no kubeconfig input and no KUBECONFIG, and the runner's ~/.kube/config (where gcloud, aws eks update-kubeconfig and kind write) is not visible inside a container action: pass the kubeconfig input (a path in the workspace, or the content), or write the kubeconfig under the workspace and set KUBECONFIG to it; see %s", cluster.ContainerActionHelp)
			}
			return nil, fmt.Errorf("no kubeconfig given, KUBECONFIG is not set and %s does not exist: pass a kubeconfig path or content", path)
		}
		rules.ExplicitPath = path
		origin = path
	}
	cfg, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig from %s: %s", origin, parserMessage(err))
	}
	if len(cfg.Contexts) == 0 {
		if l.InContainerAction && len(missing) > 0 {
			return nil, l.notVisible("KUBECONFIG", missing...)
		}
		return nil, fmt.Errorf("kubeconfig from %s has no context: pass a kubeconfig path or content", origin)
	}
	src := &Source{Origin: origin, Config: cfg, Secrets: credentialsIn(cfg)}
	if l.InContainerAction {
		src.unseen = missing
	}
	return src, nil
}

// Contexts lists the context names, sorted.
func (s *Source) Contexts() []string {
	names := make([]string, 0, len(s.Config.Contexts))
	for name := range s.Config.Contexts {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// ResolveContext picks the context to use: name when given, else the
// kubeconfig's current-context, else its only context.
func (s *Source) ResolveContext(name string) (string, error) {
	available := strings.Join(s.Contexts(), ", ")
	if name != "" {
		if _, ok := s.Config.Contexts[name]; !ok {
			unseen := ""
			if len(s.unseen) > 0 {
				unseen = fmt.Sprintf("; KUBECONFIG also names %s, which this container action cannot see (only the workspace is shared with it: see %s)", strings.Join(s.unseen, " and "), cluster.ContainerActionHelp)
			}
			return "", fmt.Errorf("context %q is not in the kubeconfig (contexts: %s)%s", name, available, unseen)
		}
		return name, nil
	}
	if cur := s.Config.CurrentContext; cur != "" {
		if _, ok := s.Config.Contexts[cur]; !ok {
			return "", fmt.Errorf("the kubeconfig's current-context %q does not exist (contexts: %s): choose one with the context input", cur, available)
		}
		return cur, nil
	}
	if len(s.Config.Contexts) == 1 {
		return s.Contexts()[0], nil
	}
	return "", fmt.Errorf("the kubeconfig has no current-context: choose one of %s with the context input", available)
}

// RESTConfig builds the client configuration for a context without any
// network call, so that a context missing its cluster or user fails early.
func (s *Source) RESTConfig(context string) (*rest.Config, error) {
	cc := clientcmd.NewNonInteractiveClientConfig(*s.Config, context, &clientcmd.ConfigOverrides{}, nil)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("context %q of the kubeconfig cannot be used: %s", context, firstLine(err.Error()))
	}
	return cfg, nil
}

// ExecPlugin names the exec credential plugin context's user runs for its
// credentials (its command's base name: gke-gcloud-auth-plugin, aws,
// kubelogin), or "" when it runs none.
func (s *Source) ExecPlugin(context string) string {
	c, ok := s.Config.Contexts[context]
	if !ok {
		return ""
	}
	if a, ok := s.Config.AuthInfos[c.AuthInfo]; ok && a.Exec != nil && a.Exec.Command != "" {
		return filepath.Base(a.Exec.Command)
	}
	return ""
}

// User is the name of context's user in the kubeconfig.
func (s *Source) User(context string) string {
	if c, ok := s.Config.Contexts[context]; ok {
		return c.AuthInfo
	}
	return ""
}

// Server returns the API server address of a context, for messages: its
// user information, if any, hidden.
func (s *Source) Server(context string) string {
	c, ok := s.Config.Contexts[context]
	if !ok {
		return ""
	}
	if cl, ok := s.Config.Clusters[c.Cluster]; ok {
		return userinfo.Redact(cl.Server)
	}
	return ""
}

// credentialsIn lists every credential value in cfg in the forms it can appear in:
// tokens and passwords as they are, private keys both base64-encoded (as in
// the file) and line by line (as PEM), and the user information of the
// clusters' server and proxy URLs.
func credentialsIn(cfg *clientcmdapi.Config) []string {
	var out []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) >= 4 && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Clusters)) {
		c := cfg.Clusters[name]
		for _, v := range append(userinfo.Credentials(c.Server), userinfo.Credentials(c.ProxyURL)...) {
			add(v)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.AuthInfos)) {
		a := cfg.AuthInfos[name]
		add(a.Token)
		add(a.Password)
		if len(a.ClientKeyData) > 0 {
			add(base64.StdEncoding.EncodeToString(a.ClientKeyData))
			for _, line := range bytes.Split(a.ClientKeyData, []byte("\n")) {
				if l := strings.TrimSpace(string(line)); l != "" && !strings.HasPrefix(l, "-----") {
					add(l)
				}
			}
		}
		if a.AuthProvider != nil {
			for k, v := range a.AuthProvider.Config {
				if isSecretKey(k) {
					add(v)
				}
			}
		}
		if a.Exec != nil {
			for _, e := range a.Exec.Env {
				if isSecretKey(e.Name) {
					add(e.Value)
				}
			}
		}
	}
	return out
}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"token", "secret", "password", "key", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// mapFileReferences maps the paths of the files cfg refers to, once they
// are absolute (clientcmd resolves relative ones against the kubeconfig's
// own file when it loads one).
func mapFileReferences(cfg *clientcmdapi.Config, mapPath func(string) string) {
	for _, c := range cfg.Clusters {
		c.CertificateAuthority = mapPath(c.CertificateAuthority)
	}
	for _, a := range cfg.AuthInfos {
		a.ClientCertificate = mapPath(a.ClientCertificate)
		a.ClientKey = mapPath(a.ClientKey)
		a.TokenFile = mapPath(a.TokenFile)
		if a.Exec != nil {
			a.Exec.Command = mapPath(a.Exec.Command)
		}
	}
}

func stampOrigin(cfg *clientcmdapi.Config, path string) {
	for _, c := range cfg.Clusters {
		c.LocationOfOrigin = path
	}
	for _, a := range cfg.AuthInfos {
		a.LocationOfOrigin = path
	}
	for _, c := range cfg.Contexts {
		c.LocationOfOrigin = path
	}
}

// maxPath is the longest value taken as a file path (Linux's PATH_MAX is
// 4096, but no one writes a kubeconfig path that long).
const maxPath = 1024

func decodeBase64(v string) ([]byte, bool) {
	if len(v) < 16 || strings.ContainsAny(v, " .~") {
		return nil, false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			t := strings.TrimSpace(string(b))
			if strings.HasPrefix(t, "apiVersion:") || strings.HasPrefix(t, "{") || strings.Contains(t, "\nclusters:") || strings.HasPrefix(t, "clusters:") || strings.HasPrefix(t, "kind: Config") {
				return b, true
			}
		}
	}
	return nil, false
}

func expandHome(p string, getenv getenv) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home := getenv("HOME"); home != "" {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

// quoted matches what a parser's message quotes from the content it
// read: "..." or `...` (a single quote is also an apostrophe, and json
// quotes one character with it).
var quoted = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`")

// parserMessage is the first line of a kubeconfig parser's error, once
// what it quotes from the content (a field name or a value, which may be a
// credential) is replaced by "...", with no control character.
func parserMessage(err error) string {
	msg := firstLine(quoted.ReplaceAllString(err.Error(), `"..."`))
	return strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return '?'
		}
		return c
	}, msg)
}

// detail is ": " and the parser's message about data (what it quotes left
// out), or nothing when even then it holds a word of data (six characters
// or more): data may hold credentials.
func detail(err error, data []byte) string {
	line := parserMessage(err)
	words := strings.FieldsFunc(line, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("+/=_-.", r))
	})
	for _, w := range words {
		if len(w) >= 6 && bytes.Contains(data, []byte(w)) {
			return " (the parser's message is not shown: it quotes the content)"
		}
	}
	return ": " + line
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// minContentLike is the shortest run of the base64 alphabet taken for
// content that does not parse rather than for a path element: the base64
// of "apiVersion: v1\n" alone is 20 characters.
const minContentLike = 24
