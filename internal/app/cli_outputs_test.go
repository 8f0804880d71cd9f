package app

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/console/runnertest"
	"github.com/knative-preview/action/internal/outputs"
)

// The CLI's outputs hold text from the cluster and from services (a
// context's name, a failed check's answer): printed in a workflow step,
// they command the runner in nothing, leak no secret, and the JSON object
// stays valid JSON that reads back as the values were.
func TestCLIOutputsAreSafeToPrint(t *testing.T) {
	const secret = "s3cr3t-token"
	hostile := map[string]string{
		"context":                 "::error::context",
		"url":                     "http://admin:" + secret + "@app.example.com/##[error]x",
		"cold-start-samples-json": `[{"check-failed":"got ##[error]boom and ` + secret + `"}]`,
	}
	for _, format := range []outputs.Format{outputs.JSON, outputs.Text} {
		t.Run(string(format), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			con := console.NewLocal(&stderr)
			con.Mask(secret)
			out := localOutputs(con, format, &stdout, &stderr)
			for name, v := range hostile {
				if err := out.Set(name, v); err != nil {
					t.Fatal(err)
				}
			}
			if err := out.FlushFailed("stage deploy: ##[error]failed with " + secret); err != nil {
				t.Fatal(err)
			}
			printed := stdout.String() + stderr.String()
			if cmds := runnertest.Read(printed); len(cmds) > 0 {
				t.Errorf("the runner reads commands in the outputs: %+v\n%s", cmds, printed)
			}
			if strings.Contains(printed, secret) {
				t.Errorf("a secret is printed:\n%s", printed)
			}
			if format != outputs.JSON {
				return
			}
			var got map[string]string
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("the JSON outputs are not JSON: %v\n%s", err, stdout.String())
			}
			if got["context"] != hostile["context"] || !strings.Contains(got["error"], "##[error]failed with ***") ||
				got["cold-start-samples-json"] != strings.ReplaceAll(hostile["cold-start-samples-json"], secret, "***") {
				t.Errorf("the values do not read back as set (secrets as ***): %v", got)
			}
		})
	}
}
