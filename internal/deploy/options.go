package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/knative-preview/action/internal/inputerr"
)

// Modes of the mode input.
const (
	ModeUp   = "up"
	ModeDown = "down"
)

// Visibilities accepted by the visibility input.
const (
	VisibilityExternal     = "external"
	VisibilityClusterLocal = "cluster-local"
)

// MaxNameLength is the longest Knative Service name: a DNS label.
const MaxNameLength = validation.DNS1035LabelMaxLength

// revisionSuffixLength is what a tagged deploy adds to the service and tag
// to name its revision: "-" and five random characters, after "-<tag>".
const revisionSuffixLength = 6

// minDefaultName is the shortest default service name a tag may leave room for.
const minDefaultName = 12

// maxConcurrency is Knative's default container-concurrency-max-limit.
const maxConcurrency = 1000

// reservedEnv are the variables Knative sets itself and refuses in a spec.
var reservedEnv = []string{"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"}

// reservedPorts are the ports Knative's queue-proxy uses and refuses for
// the user's container.
var reservedPorts = []int32{8008, 8012, 8013, 8022, 9090, 9091}

// EnvVar is one environment variable, in the order the input gave it.
type EnvVar struct {
	Name  string
	Value string
}

// Options is what to deploy and how; ParseOptions builds it from the inputs.
// The zero value of an optional field leaves that part of the Service to
// Knative's defaults (or, on an update, as it is, unless this action set it
// on an earlier run and the input is now empty: then it is removed).
type Options struct {
	// Mode is ModeUp or ModeDown.
	Mode string
	// pullIfNotPresent is set by Up when the image was loaded into the
	// nodes: pulling it (the default for :latest) would fail.
	pullIfNotPresent bool
	// Service is the Knative Service's name, a DNS-1035 label.
	Service string
	// Namespace holds the Service; created when missing.
	Namespace string
	// Image is the image to run. Required by Up.
	Image string
	// Env are plain environment variables of the container.
	Env []EnvVar
	// SecretEnv are environment variables whose values are kept in a Secret
	// owned by the Service and never printed.
	SecretEnv []EnvVar
	// Port is the container port Knative sends requests to; 0: Knative's
	// default (8080).
	Port int32
	// Args are the container's arguments; nil: the image's CMD.
	Args []string
	// MinScale and MaxScale set the autoscaling bounds; nil: not set.
	MinScale, MaxScale *int32
	// Concurrency is the hard limit of concurrent requests per pod
	// (containerConcurrency, 0 means unlimited); nil: not set.
	Concurrency *int64
	// RequestTimeout is the revision's timeoutSeconds; 0: not set.
	RequestTimeout time.Duration
	// Annotations go on the Service and its revisions; autoscaling ones
	// (autoscaling.knative.dev/...) only on the revisions, where Knative
	// accepts them.
	Annotations map[string]string
	// Labels go on the Service and its revisions.
	Labels map[string]string
	// ServiceAccount runs the pods; empty: not set.
	ServiceAccount string
	// Visibility is VisibilityExternal (or empty) or VisibilityClusterLocal.
	Visibility string
	// Tag, when set, gives the new revision its own URL (tag-service...)
	// without moving the main route's traffic.
	Tag string
}

// Secrets returns the values that must be masked in every log and output.
func (o Options) Secrets() []string {
	var out []string
	for _, e := range o.SecretEnv {
		if e.Value != "" {
			out = append(out, e.Value)
		}
	}
	return out
}

// secretName is the Secret holding SecretEnv.
func (o Options) secretName() string { return o.Service + "-secret-env" }

// InputError is one problem with one input.
type InputError = inputerr.Error

// InputNames are the inputs ParseOptions reads, besides image.
var InputNames = []string{
	"mode", "service", "namespace", "env", "secret-env", "port", "args",
	"min-scale", "max-scale", "concurrency", "request-timeout", "annotations",
	"labels", "service-account", "visibility", "tag",
}

const (
	acceptKeyValue = "one KEY=VALUE per line; blank lines and lines starting with # are skipped; spaces around a value are dropped unless it is wrapped in \"double\" (with \\\" \\\\ \\n \\t escapes) or 'single' quotes"
	acceptDNSLabel = "lower-case letters, digits and '-', starting with a letter, ending with a letter or digit, at most %d characters"
)

// ParseOptions validates the raw input values (by input name; empty means
// the default) and returns the options with every problem found, one
// *InputError each. repo is GITHUB_REPOSITORY ("owner/name") or just a
// name; the service defaults to its name part (see ServiceName). raw may
// hold "image" (validated elsewhere): a service name is required only when
// there is an image to deploy or mode is down.
func ParseOptions(raw map[string]string, repo string) (Options, []error) {
	var errs []error
	bad := func(input, value, problem, accepted string) {
		errs = append(errs, &InputError{Input: input, Value: value, Problem: problem, Accepted: accepted})
	}
	val := func(name string) string { return strings.TrimSpace(raw[name]) }
	o := Options{Image: val("image")}

	o.Mode = val("mode")
	if o.Mode == "" {
		o.Mode = ModeUp
	}
	if o.Mode != ModeUp && o.Mode != ModeDown {
		bad("mode", o.Mode, "is not a mode", ModeUp+", "+ModeDown)
	}

	o.Tag = val("tag")
	if o.Tag != "" {
		maxTag := MaxNameLength - revisionSuffixLength - 1 - minDefaultName
		if msgs := validation.IsDNS1035Label(o.Tag); len(msgs) > 0 {
			bad("tag", o.Tag, "is not a DNS label ("+strings.Join(msgs, "; ")+")", fmt.Sprintf(acceptDNSLabel, maxTag))
			o.Tag = ""
		} else if len(o.Tag) > maxTag {
			bad("tag", o.Tag, "is too long: the tag's URL and revision names must stay DNS labels", fmt.Sprintf(acceptDNSLabel, maxTag))
			o.Tag = ""
		}
	}
	// A tagged revision is named <service>-<tag>-xxxxx, which must fit a
	// DNS label too.
	maxService := MaxNameLength
	if o.Tag != "" {
		maxService = MaxNameLength - len(o.Tag) - 1 - revisionSuffixLength
	}

	o.Service = val("service")
	switch {
	case o.Service != "":
		if msgs := validation.IsDNS1035Label(o.Service); len(msgs) > 0 {
			bad("service", o.Service, "is not a valid Knative Service name ("+strings.Join(msgs, "; ")+")", fmt.Sprintf(acceptDNSLabel, maxService))
		} else if len(o.Service) > maxService {
			bad("service", o.Service, fmt.Sprintf("is too long with tag %q: the revision is named <service>-<tag>-xxxxx, at most %d characters", o.Tag, MaxNameLength),
				fmt.Sprintf(acceptDNSLabel, maxService))
		}
	case repoName(repo) != "":
		o.Service = serviceName(repoName(repo), maxService)
	case o.Image != "" || o.Mode == ModeDown:
		bad("service", "", "is required: there is no repository (GITHUB_REPOSITORY) to name the service after", fmt.Sprintf(acceptDNSLabel, maxService))
	}

	o.Namespace = val("namespace")
	if o.Namespace == "" {
		o.Namespace = "default"
	} else if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		bad("namespace", o.Namespace, "is not a namespace name ("+strings.Join(msgs, "; ")+")",
			"lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters")
	}

	env, envErrs := parseEnv("env", raw["env"], false)
	errs = append(errs, envErrs...)
	o.Env = env
	secretEnv, secretErrs := parseEnv("secret-env", raw["secret-env"], true)
	errs = append(errs, secretErrs...)
	o.SecretEnv = secretEnv
	for _, s := range o.SecretEnv {
		if slices.ContainsFunc(o.Env, func(e EnvVar) bool { return e.Name == s.Name }) {
			bad("secret-env", "", fmt.Sprintf("%s is also set by input env", s.Name), "each variable in env or in secret-env, not both")
		}
	}

	if v := val("port"); v != "" {
		p, err := strconv.ParseInt(v, 10, 32)
		switch {
		case err != nil || p < 1 || p > 65535:
			bad("port", v, "is not a port number", "1-65535")
		case slices.Contains(reservedPorts, int32(p)):
			bad("port", v, "is reserved by Knative's queue-proxy", "1-65535 except "+joinInts(reservedPorts))
		default:
			o.Port = int32(p)
		}
	}

	if v := raw["args"]; strings.TrimSpace(v) != "" {
		args, err := splitArgs(v)
		if err != nil {
			bad("args", "", err.Error(), `arguments separated by spaces or new lines; "double" or 'single' quotes keep spaces; \ escapes the next character`)
		}
		o.Args = args
	}

	o.MinScale = parseCount(bad, "min-scale", val("min-scale"), 0, 1<<31-1)
	o.MaxScale = parseCount(bad, "max-scale", val("max-scale"), 0, 1<<31-1)
	if o.MinScale != nil && o.MaxScale != nil && *o.MaxScale != 0 && *o.MinScale > *o.MaxScale {
		bad("max-scale", val("max-scale"), fmt.Sprintf("is below min-scale %d", *o.MinScale), "0 (no limit), or a number at least min-scale")
	}
	if c := parseCount(bad, "concurrency", val("concurrency"), 0, maxConcurrency); c != nil {
		n := int64(*c)
		o.Concurrency = &n
	}

	if v := val("request-timeout"); v != "" {
		d, err := parseSeconds(v)
		if err != nil {
			bad("request-timeout", v, err.Error(), "whole seconds as a Go duration (30s, 5m) or a number of seconds")
		}
		o.RequestTimeout = d
	}

	o.Annotations = parseMeta(bad, "annotations", raw["annotations"], false)
	o.Labels = parseMeta(bad, "labels", raw["labels"], true)
	for k := range o.Annotations {
		switch {
		case k == minScaleKey && o.MinScale != nil:
			bad("annotations", "", k+" is also set by input min-scale", "one of them")
		case k == maxScaleKey && o.MaxScale != nil:
			bad("annotations", "", k+" is also set by input max-scale", "one of them")
		}
	}
	if _, ok := o.Labels[visibilityKey]; ok {
		bad("labels", "", visibilityKey+" is set by input visibility", "any label but that one")
	}

	o.ServiceAccount = val("service-account")
	if o.ServiceAccount != "" {
		if msgs := validation.IsDNS1123Subdomain(o.ServiceAccount); len(msgs) > 0 {
			bad("service-account", o.ServiceAccount, "is not a service account name ("+strings.Join(msgs, "; ")+")", "lower-case letters, digits, '-' and '.'")
		}
	}

	o.Visibility = val("visibility")
	if o.Visibility == "" {
		o.Visibility = VisibilityExternal
	}
	if o.Visibility != VisibilityExternal && o.Visibility != VisibilityClusterLocal {
		bad("visibility", o.Visibility, "is not a visibility", VisibilityExternal+", "+VisibilityClusterLocal)
	}

	return o, errs
}

// ServiceName turns a repository ("owner/name" or "name") into a Knative
// Service name: its name part lower-cased, every run of other characters
// than letters and digits made one '-', prefixed with "app-" when it starts
// with a digit. A name that needed more than lower-casing, or is longer than
// MaxNameLength, is cut and ends in '-' and 8 hex digits of its SHA-256, so
// distinct names (ignoring case, as GitHub does) do not collide.
func ServiceName(repo string) string {
	return serviceName(repoName(repo), MaxNameLength)
}

func repoName(repo string) string {
	repo = strings.TrimSpace(repo)
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		repo = repo[i+1:]
	}
	return repo
}

func serviceName(name string, maxLen int) string {
	lower := strings.ToLower(name)
	var b strings.Builder
	dash := false
	for _, r := range lower {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	switch {
	case s == "":
		s = "app"
	case s[0] >= '0' && s[0] <= '9':
		s = "app-" + s
	}
	if s == lower && len(s) <= maxLen {
		return s
	}
	sum := sha256.Sum256([]byte(lower))
	suffix := "-" + hex.EncodeToString(sum[:4])
	if keep := maxLen - len(suffix); len(s) > keep {
		s = strings.TrimRight(s[:keep], "-")
	}
	return s + suffix
}

// parseEnv reads KEY=VALUE lines into variables. Problems name the line;
// secret inputs never quote a line.
func parseEnv(input, raw string, secret bool) ([]EnvVar, []error) {
	pairs, errs := parseKeyValues(input, raw, secret)
	var out []EnvVar
	for _, p := range pairs {
		switch {
		case len(validation.IsEnvVarName(p.key)) > 0:
			errs = append(errs, &InputError{Input: input, Problem: fmt.Sprintf("line %d: %q is not a variable name", p.line, p.key),
				Accepted: "letters, digits, '_', '-' and '.', not starting with a digit"})
		case slices.Contains(reservedEnv, p.key):
			errs = append(errs, &InputError{Input: input, Problem: fmt.Sprintf("line %d: %s is set by Knative", p.line, p.key),
				Accepted: "any name except " + strings.Join(reservedEnv, ", ")})
		default:
			out = append(out, EnvVar{Name: p.key, Value: p.value})
		}
	}
	return out, errs
}

// parseMeta reads KEY=VALUE lines into labels or annotations.
func parseMeta(bad func(input, value, problem, accepted string), input, raw string, labels bool) map[string]string {
	pairs, errs := parseKeyValues(input, raw, false)
	for _, e := range errs {
		ie := e.(*InputError)
		bad(ie.Input, ie.Value, ie.Problem, ie.Accepted)
	}
	if len(pairs) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, p := range pairs {
		if msgs := validation.IsQualifiedName(p.key); len(msgs) > 0 {
			bad(input, "", fmt.Sprintf("line %d: %q is not a valid key (%s)", p.line, p.key, strings.Join(msgs, "; ")), "[prefix/]name, e.g. example.com/team")
			continue
		}
		if strings.HasPrefix(p.key, ownPrefix) {
			bad(input, "", fmt.Sprintf("line %d: keys under %s are this action's own", p.line, ownPrefix), "any other key")
			continue
		}
		if labels {
			if msgs := validation.IsValidLabelValue(p.value); len(msgs) > 0 {
				bad(input, "", fmt.Sprintf("line %d: the value of %s is not a label value (%s)", p.line, p.key, strings.Join(msgs, "; ")), "at most 63 letters, digits, '-', '_' and '.'")
				continue
			}
		}
		out[p.key] = p.value
	}
	return out
}

type keyValue struct {
	line       int
	key, value string
}

// parseKeyValues splits multi-line KEY=VALUE text. The key is trimmed; the
// value is trimmed and may be quoted; everything after the first '=' is the
// value. Duplicate keys are errors.
func parseKeyValues(input, raw string, secret bool) ([]keyValue, []error) {
	var out []keyValue
	var errs []error
	bad := func(line int, problem string) {
		errs = append(errs, &InputError{Input: input, Problem: fmt.Sprintf("line %d: %s", line, problem), Accepted: acceptKeyValue})
	}
	seen := map[string]int{}
	for i, line := range strings.Split(raw, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok {
			if secret {
				bad(n, "has no '='")
			} else {
				bad(n, fmt.Sprintf("%q has no '='", line))
			}
			continue
		}
		if k == "" {
			bad(n, "has no key before '='")
			continue
		}
		v, err := unquote(strings.TrimSpace(v))
		if err != nil {
			bad(n, fmt.Sprintf("the value of %s %v", k, err))
			continue
		}
		if prev, dup := seen[k]; dup {
			bad(n, fmt.Sprintf("%s is set again (first on line %d)", k, prev))
			continue
		}
		seen[k] = n
		out = append(out, keyValue{line: n, key: k, value: v})
	}
	return out, errs
}

// unquote strips one pair of matching quotes: "..." with \" \\ \n \t
// escapes, or '...' taken literally. Other values are returned as they are.
func unquote(v string) (string, error) {
	if v == "" || (v[0] != '"' && v[0] != '\'') {
		return v, nil
	}
	q := v[0]
	if len(v) < 2 || v[len(v)-1] != q {
		return "", fmt.Errorf("starts with %c but does not end with it", q)
	}
	inner := v[1 : len(v)-1]
	if q == '\'' {
		if strings.IndexByte(inner, '\'') >= 0 {
			return "", fmt.Errorf("has a ' inside single quotes")
		}
		return inner, nil
	}
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		switch {
		case c == '"':
			return "", fmt.Errorf("has an unescaped \" inside double quotes")
		case c != '\\':
			b.WriteByte(c)
		case i+1 == len(inner):
			return "", fmt.Errorf("ends with a lone \\ inside double quotes")
		default:
			i++
			switch inner[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '"', '\\':
				b.WriteByte(inner[i])
			default:
				return "", fmt.Errorf("has an unknown escape \\%c (known: \\\" \\\\ \\n \\t)", inner[i])
			}
		}
	}
	return b.String(), nil
}

// splitArgs splits like a shell without expansions: spaces and new lines
// separate words, quotes keep spaces, a backslash outside single quotes
// escapes the next character.
func splitArgs(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				cur.WriteByte(s[i])
			default:
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == '\\':
			if i+1 == len(s) {
				return nil, fmt.Errorf("ends with a lone \\")
			}
			i++
			if s[i] != '\n' { // backslash-newline continues the line
				cur.WriteByte(s[i])
				inWord = true
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("has an unterminated %c quote", quote)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

func parseCount(bad func(input, value, problem, accepted string), input, v string, lo, hi int64) *int32 {
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		bad(input, v, "is not a whole number in range", fmt.Sprintf("%d-%d", lo, hi))
		return nil
	}
	c := int32(n)
	return &c
}

// parseSeconds reads a positive whole number of seconds, given as a Go
// duration or a bare number.
func parseSeconds(v string) (time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 1 || n > 1<<31 {
			return 0, fmt.Errorf("is not a positive number of seconds")
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("is not a duration")
	case d < time.Second:
		return 0, fmt.Errorf("is shorter than one second")
	case d%time.Second != 0:
		return 0, fmt.Errorf("is not a whole number of seconds")
	}
	return d, nil
}

func joinInts(ns []int32) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(int(n))
	}
	return strings.Join(s, ", ")
}

// sortedKeys returns m's keys in order, for stable output.
func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
