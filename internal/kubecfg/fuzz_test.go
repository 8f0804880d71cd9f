package kubecfg

import (
	"encoding/base64"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// fuzzToken is the credential placed in the content: no error may show it.
const fuzzToken = "tok3nS3NT1NEL"

// encodings turn kubeconfig content into the values users give: as is,
// base64 on one line or wrapped as base64(1) wraps it, base64 cut short
// (pasted in part), and base64 of base64 (encoded twice).
var encodings = []func(content string, cut int) string{
	func(c string, _ int) string { return c },
	func(c string, _ int) string { return base64.StdEncoding.EncodeToString([]byte(c)) },
	func(c string, _ int) string {
		b := base64.StdEncoding.EncodeToString([]byte(c))
		var lines []string
		for len(b) > 76 {
			lines, b = append(lines, b[:76]), b[76:]
		}
		return strings.Join(append(lines, b), "\n")
	},
	func(c string, cut int) string {
		b := base64.StdEncoding.EncodeToString([]byte(c))
		return b[:cut%(len(b)+1)]
	},
	func(c string, _ int) string {
		return base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte(c))))
	},
}

// starts are how kubeconfig content begins: YAML, JSON.
var starts = []string{"apiVersion: v1\n", "{", "kind: Config\n"}

// Load on kubeconfig content holding a token, in every form a user may give
// it: no error shows the token, an encoded value or a large part of one,
// or spans more than one line; a kubeconfig that loads lists its tokens
// among the secrets to mask.
func FuzzLoad(f *testing.F) {
	const (
		head = "clusters:\n- name: c\n  cluster: {server: https://h:6443}\nusers:\n- name: u\n  user: {token: "
		tail = "}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
	)
	for form := range encodings {
		f.Add(uint8(form*len(starts)), head, tail, uint16(30))
		f.Add(uint8(form*len(starts)), "users:\n- name: u\n  user:\n    token: ", "\n    bogus: [", uint16(100))
		f.Add(uint8(form*len(starts)+2), "token: ", "", uint16(41))
		f.Add(uint8(form*len(starts)+1), `"users": [{"name": "u", "user": {"token": "`, `"}}], "contexts": []}`, uint16(60))
		f.Add(uint8(form*len(starts)+1), `"`, `": 1}`, uint16(60))
	}
	f.Fuzz(func(t *testing.T, variant uint8, before, after string, cut uint16) {
		if strings.Contains(before+after, fuzzToken) {
			return
		}
		content := starts[int(variant)%len(starts)] + before + fuzzToken + after
		value := encodings[int(variant)/len(starts)%len(encodings)](content, int(cut))
		// Every path lands in an empty folder: nothing on the machine is read.
		dir := t.TempDir()
		inDir := func(p string) string { return filepath.Join(dir, p) }
		src, err := Load(value, func(string) string { return "" }, inDir)
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, fuzzToken) {
				t.Fatalf("error %q shows the token", msg)
			}
			if v := strings.TrimSpace(value); value != content && len(v) >= minContentLike && strings.Contains(msg, v[:minContentLike]) {
				t.Fatalf("error %q shows the encoded value %q", msg, v)
			}
			if i := strings.IndexFunc(msg, unicode.IsControl); i >= 0 {
				t.Fatalf("error %q has a control character at byte %d", msg, i)
			}
			return
		}
		for name, a := range src.Config.AuthInfos {
			if tok := strings.TrimSpace(a.Token); len(tok) >= 4 && !slices.Contains(src.Secrets, tok) {
				t.Fatalf("user %s's token %q is not among the secrets %q", name, tok, src.Secrets)
			}
		}
	})
}
