package console

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzCommandWriter: whatever text the console prints and whatever secret
// it masks, the runner (as the model of its parser reads the step's
// output) carries out exactly the commands the console means: one
// add-mask per line of the secret, whose data is that line, and the
// annotations, each with the redacted text as its data.
func FuzzCommandWriter(f *testing.F) {
	f.Add(hostile, "pa%25ss%0Aw0rd\r::warning::x")
	f.Add("connecting to https://admin:pw@10.0.0.1:6443 (context \"dev##[error]x\")", "s3cret-%-token")
	f.Add("::stop-commands::abcdefgh\n::error::x\n::abcdefgh::", "line one\r\nline two")
	f.Add("#\u200b#[error]x\n\ufeff::error::y", "\u200bzero-width")
	f.Fuzz(func(t *testing.T, text, secret string) {
		if n := len(strings.TrimSpace(secret)); n > 0 && n < 4 {
			t.Skip() // warned about, not masked
		}
		var b bytes.Buffer
		c := NewActions(&b, func(string) string { return "" })
		c.Mask(secret)
		c.Infof("%s", text)
		c.Warnf("%s", text)
		c.Errorf("%s", text)
		c.Debugf("%s", text)
		end := c.Group(text)
		end()
		b.WriteString(c.Safe(text) + "\n")
		doc, _ := json.Marshal(map[string]string{"text": text})
		plan, err := c.SafeJSON(doc)
		if err != nil {
			t.Fatalf("SafeJSON: %v", err)
		}
		var before, back map[string]string
		_ = json.Unmarshal(doc, &before) // text as JSON holds it, each byte not UTF-8 U+FFFD
		if err := json.Unmarshal(plan, &back); err != nil || back["text"] != c.Redact(before["text"]) {
			t.Errorf("SafeJSON changed what the document says: %s (%v)", plan, err)
		}
		b.Write(plan)

		var want []meant
		for _, l := range splitLines(secret) {
			if l = strings.TrimSpace(l); len(l) >= 4 && !slices.Contains(want, meant{"add-mask", l}) {
				want = append(want, meant{"add-mask", l})
			}
		}
		shown := c.Redact(text)
		want = append(want, meant{"warning", shown}, meant{"error", shown}, meant{"debug", shown}, meant{"group", shown}, meant{"endgroup", ""})
		if got := commandsOf(b.String()); !slices.Equal(got, want) {
			t.Errorf("the runner would carry out\n%q\nwant\n%q\nlog:\n%s", got, want, b.String())
		}
	})
}
