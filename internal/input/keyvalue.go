package input

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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
// a problem naming the line; a secret input's problems never quote a line,
// nor anything after its first '=' or ':'.
//
// In a secret input, an empty value is a problem too: a token pasted alone
// whose base64 padding ends it in '=' (c2VjcmV0=) reads as a variable
// named after the secret, with no value. A refused line of a secret input
// is masked (Reader.Masks): the line, what follows its '=', and the key of
// an empty value.
func (r *Reader) KeyValues(name string) []keyValue {
	secret := r.def(name).Secret
	var out []keyValue
	seen := map[string]int{}
	for i, line := range strings.Split(r.Raw(name), "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		bad := func(problem string) {
			if secret {
				r.Mask(refusedParts(line)...)
			}
			r.Bad(name, "", fmt.Sprintf("line %d: %s", n, problem), keyValueAccepted)
		}
		if !ok {
			if secret {
				bad("has no '='")
			} else {
				bad(fmt.Sprintf("%q has no '='", line))
			}
			continue
		}
		if k == "" {
			bad("has no key before '='")
			continue
		}
		if secret && strings.Contains(k, ":") {
			// KEY: value=... written YAML-style: what follows ':' may be
			// the secret.
			_, after, _ := strings.Cut(line, ":")
			r.Mask(refusedParts(after)...)
			bad("has a ':' before its '=' (write KEY=VALUE, not KEY: VALUE)")
			continue
		}
		v, err := unquote(strings.TrimSpace(v), secret)
		switch {
		case err != nil:
			bad(fmt.Sprintf("the value of %s %v", showKey(k), err))
			continue
		case secret && v == "":
			// Neither the line nor its key is named: the key may be the
			// secret, and is masked too.
			r.Mask(k)
			bad("has an empty value: a secret needs one (a token ending in '=', as base64 padding does, reads as a name with no value; write NAME=token)")
			continue
		}
		if prev, dup := seen[k]; dup {
			bad(fmt.Sprintf("%s is set again (first on line %d)", showKey(k), prev))
			continue
		}
		seen[k] = n
		out = append(out, keyValue{Line: n, Key: k, Value: v})
	}
	return out
}

// refusedParts are the texts of a refused line of a secret input that may
// hold the secret: the line, and what follows its first '=' (trimmed, and
// without quotes) when there is something.
func refusedParts(line string) []string {
	line = strings.TrimSpace(line)
	out := []string{line}
	if _, v, ok := strings.Cut(line, "="); ok {
		v = strings.TrimSpace(v)
		out = append(out, v, strings.Trim(v, `"'`))
	}
	return out
}

// showKey is k as a problem names it: quoted when it holds a character
// that must not reach the log as is.
func showKey(k string) string {
	if !utf8.ValidString(k) || strings.IndexFunc(k, func(c rune) bool { return !unicode.IsPrint(c) }) >= 0 {
		return strconv.Quote(k)
	}
	return k
}

// unquote strips one pair of matching quotes: "..." with \" \\ \n \t
// escapes, or '...' taken literally. Other values are returned as they are.
// A secret value's errors name none of its characters.
func unquote(v string, secret bool) (string, error) {
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
				if c := inner[i]; !secret && c > ' ' && c < 0x7f {
					return "", fmt.Errorf("has an unknown escape \\%c (known: \\\" \\\\ \\n \\t)", c)
				}
				return "", fmt.Errorf("has an unknown escape (known: \\\" \\\\ \\n \\t)")
			}
		}
	}
	return b.String(), nil
}
