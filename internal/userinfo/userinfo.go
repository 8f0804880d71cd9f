// Package userinfo finds and hides the credentials URLs carry in their user
// information (scheme://user:password@host) in any text: a kubeconfig's
// server or proxy, a manifests mirror, a value of an input, an error that
// quotes a URL. It reads the shape of the text rather than parsing URLs,
// so that a URL that does not parse is hidden too, and so is a password
// with a '/', '?' or '#' in it that a parser would take for the path.
package userinfo

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// hidden stands for a URL's user information.
const hidden = "***"

// Credentials returns the user names and passwords of the URLs in text,
// each as written, percent-decoded and percent-encoded as Go writes a URL,
// in the order found and without repeats: a token is often the user name.
func Credentials(text string) []string {
	var out []string
	add := func(v string) {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, s := range spans(text) {
		user, pass, hasPass := strings.Cut(text[s[0]:s[1]], ":")
		for _, v := range []string{user, pass} {
			add(v)
			if dec, err := url.PathUnescape(v); err == nil {
				add(dec)
			}
		}
		// How url.URL.String writes them back, in an error that quotes
		// the parsed URL.
		du, _ := url.PathUnescape(user)
		dp, _ := url.PathUnescape(pass)
		enc := url.User(du)
		if hasPass {
			enc = url.UserPassword(du, dp)
		}
		u, p, _ := strings.Cut(enc.String(), ":")
		add(u)
		add(p)
	}
	return out
}

// Redact returns text with the user information of every URL in it
// replaced by hidden: https://***@host/path.
func Redact(text string) string {
	sp := spans(text)
	if len(sp) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, s := range sp {
		b.WriteString(text[last:s[0]])
		b.WriteString(hidden)
		last = s[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// spans returns where the user information of each URL in text is, in
// order and apart. A URL is a scheme, "://" and what follows up to white
// space, a control character or a quote. Its user information ends at the
// last '@' of its authority (up to the first '/', '?' or '#'), as URL
// parsers read it; when the authority has no '@' but a ':' not followed by
// a port, a password with '/', '?' or '#' in it runs to the next '@' (and
// on to the last '@' before the next '/', '?' or '#').
func spans(text string) [][2]int {
	var out [][2]int
	from := 0
	for {
		i := strings.Index(text[from:], "://")
		if i < 0 {
			return out
		}
		i += from
		from = i + 3
		if i == 0 || !isSchemeChar(text[i-1]) {
			continue
		}
		start := i + 3
		if len(out) > 0 && start < out[len(out)-1][1] {
			continue // inside the user information found before
		}
		rest := text[start:]
		if end := strings.IndexFunc(rest, endsURL); end >= 0 {
			rest = rest[:end]
		}
		authority := rest
		if end := strings.IndexAny(rest, "/?#"); end >= 0 {
			authority = rest[:end]
		}
		n := strings.LastIndexByte(authority, '@')
		if n < 0 {
			_, afterColon, ok := strings.Cut(authority, ":")
			if !ok || isPort(afterColon) {
				continue
			}
			if n = strings.IndexByte(rest, '@'); n < 0 {
				continue
			}
			// and on to the last '@' of the authority that follows
			tail := rest[n:]
			if end := strings.IndexAny(tail, "/?#"); end >= 0 {
				tail = tail[:end]
			}
			n += strings.LastIndexByte(tail, '@')
		}
		if n > 0 {
			out = append(out, [2]int{start, start + n})
		}
	}
}

func isSchemeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// endsURL reports whether r ends a URL in text.
func endsURL(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("\"'`<>", r)
}

// isPort reports whether s, what follows a host's ':', is a port (or
// nothing).
func isPort(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
