package input

import (
	"fmt"
	"strings"
)

// keyValueAccepted says what KeyValues accepts.
const keyValueAccepted = "one KEY=VALUE per line; blank lines and lines starting with # are skipped; spaces around a value are dropped unless it is wrapped in \"double\" (with \\\" \\\\ \\n \\t escapes) or 'single' quotes"

// keyValue is one KEY=VALUE line of a multi-line input.
type keyValue struct {
	Line       int
	Key, Value string
}

// KeyValues reads multi-line KEY=VALUE text. The key is trimmed; the value
// is trimmed and may be quoted; everything after the first '=' is the
// value. A line without '=', an empty key, a bad quote or a key set twice is
// a problem naming the line; a secret input's problems never quote a line.
func (r *Reader) KeyValues(name string) []keyValue {
	secret := r.def(name).Secret
	var out []keyValue
	bad := func(line int, problem string) {
		r.Bad(name, "", fmt.Sprintf("line %d: %s", line, problem), keyValueAccepted)
	}
	seen := map[string]int{}
	for i, line := range strings.Split(r.Raw(name), "\n") {
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
		if secret && strings.ContainsRune(k, ':') {
			// KEY: VALUE as in YAML: what follows the ':' is the secret.
			bad(n, "has ':' before its '=': write KEY=VALUE (KEY: VALUE, as in YAML, is not read)")
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
		out = append(out, keyValue{Line: n, Key: k, Value: v})
	}
	return out
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
