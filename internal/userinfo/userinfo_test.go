package userinfo

import (
	"slices"
	"strings"
	"testing"
)

func TestCredentialsAndRedact(t *testing.T) {
	tests := []struct {
		text     string
		secrets  []string
		redacted string
	}{
		{"https://admin:pa55word@10.0.0.1:6443", []string{"admin", "pa55word"}, "https://***@10.0.0.1:6443"},
		{"server https://ghp_token123@mirror.example/knative, then", []string{"ghp_token123"}, "server https://***@mirror.example/knative, then"},
		{`Get "http://u:p%40ss@proxy:3128/x": refused`, []string{"u", "p%40ss", "p@ss"}, `Get "http://***@proxy:3128/x": refused`},
		{"https://bob:p@ss@bad host/knative", []string{"bob", "p@ss", "p%40ss"}, "https://***@bad host/knative"},
		{"https://bob:pa/ss?#x@host/path", []string{"bob", "pa/ss?#x", "pa%2Fss%3F%23x"}, "https://***@host/path"},
		{"https://u:p@host/path@x and ftp://v@w", []string{"u", "p", "v"}, "https://***@host/path@x and ftp://***@w"},
		{"postgres://app:s3cret@db:5432/x?sslmode=disable", []string{"app", "s3cret"}, "postgres://***@db:5432/x?sslmode=disable"},
		// No user information.
		{"https://host:8080/path@x", nil, ""},
		{"https://host?redirect=me@example.com", nil, ""},
		{"docker://ghcr.io/o/app@sha256:0123", nil, ""},
		{"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken", nil, ""},
		{"https://[::1]:6443 and user@example.com", nil, ""},
		{"://a:b@c", nil, ""},
		{"https://@host", nil, ""},
	}
	for _, tt := range tests {
		if got := Credentials(tt.text); !slices.Equal(got, tt.secrets) {
			t.Errorf("Credentials(%q) = %q, want %q", tt.text, got, tt.secrets)
		}
		want := tt.redacted
		if want == "" {
			want = tt.text
		}
		if got := Redact(tt.text); got != want {
			t.Errorf("Redact(%q) = %q, want %q", tt.text, got, want)
		}
	}
}

// FuzzRedact: whatever text surrounds a URL with user information, the
// credentials are found and Redact shows neither; and nothing Redact
// returns has user information left but its own ***.
func FuzzRedact(f *testing.F) {
	for _, s := range [][4]string{
		{"connecting to ", "admin", "pa55word", "10.0.0.1:6443"},
		{`Get "`, "ghp_abc", "", `mirror.example/knative": EOF`},
		{"", "bob", "p@ss/word?#", "host/path@x"},
		{"a://b c://", "u", "p://x", "h"},
		{"s://h:1/p://", "u", "p/q", "z"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, before, user, pass, after string) {
		if strings.ContainsFunc(user+pass, endsURL) || strings.ContainsAny(user, ":@/?#") || strings.Contains(pass, "@") || user == "" {
			t.Skip() // not user information of one URL
		}
		if i := strings.LastIndexFunc(before, endsURL); strings.Contains(before[i+1:], "://") {
			t.Skip() // the URL is part of one that starts before it
		}
		host := after
		if i := strings.IndexFunc(host, endsURL); i >= 0 {
			host = host[:i]
		}
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if strings.Contains(host, "@") {
			t.Skip() // the user information runs to the host's '@'
		}
		if i := strings.IndexAny(pass, "/?#"); i >= 0 && isPort(pass[:i]) {
			t.Skip() // https://user:8080/path@x: a port, then a path
		}
		ui := user
		if pass != "" {
			ui += ":" + pass
		}
		text := before + "https://" + ui + "@" + after
		if i := strings.LastIndex(text, "://"); i != len(before)+len("https") {
			t.Skip() // another URL starts inside this one's user information
		}
		creds := Credentials(text)
		for _, v := range []string{user, pass} {
			if v != "" && !slices.Contains(creds, v) {
				t.Errorf("Credentials(%q) = %q, without %q", text, creds, v)
			}
		}
		got := Redact(text)
		if !strings.Contains(got, "https://"+hidden+"@") {
			t.Errorf("Redact(%q) = %q: the user information shows", text, got)
		}
		for _, s := range spans(got) {
			if ui := got[s[0]:s[1]]; ui != hidden {
				t.Errorf("Redact(%q) = %q, which still holds user information %q", text, got, ui)
			}
		}
	})
}
