package app

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/outputs"
)

// actionYAMLText renders action.yml from the input and output tables, so that
// what GitHub reads and what the code does cannot drift apart. The
// packaging test compares it with the file (go test ./internal/app -run
// TestActionYAML -update-action-yml rewrites the file). There is no post-if:
// a container action's post step runs whatever happened (post-if defaults
// to always()), and actionlint rejects the key. runs.entrypoint and an
// empty runs.args are there so that no input becomes the container's
// command: without them the runner starts a container action with the
// input args as its arguments and the input entryPoint as its entrypoint
// (ContainerActionHandler in actions/runner), for the post step too. main
// builds the image from the Dockerfile; the release workflow rewrites
// runs.image on the release ref only.
func actionYAMLText() string {
	q := func(s string) string {
		b, _ := json.Marshal(s) // a JSON string is a valid YAML double-quoted scalar
		return string(b)
	}
	var b strings.Builder
	b.WriteString(`# Generated from internal/config and internal/outputs by internal/app:
# edit the tables there, then run: go test ./internal/app -run TestActionYAML -update-action-yml
name: knative-preview
description: Bring up Knative Serving on a cluster for a pull request or a smoke check, and report on it.
author: knative-preview
branding:
  icon: cloud-lightning
  color: blue

inputs:
`)
	for _, in := range config.Inputs {
		fmt.Fprintf(&b, "  %s:\n    description: %s\n    required: %t\n    default: %s\n", in.Name, q(in.Description), in.Required, q(in.ActionYAMLDefault()))
	}
	b.WriteString("\noutputs:\n")
	for _, o := range outputs.Outputs {
		fmt.Fprintf(&b, "  %s:\n    description: %s\n", o.Name, q(o.Description))
	}
	b.WriteString(`
runs:
  using: docker
  image: Dockerfile
  entrypoint: /usr/local/bin/` + buildinfo.Name + `
  args: []
  post-entrypoint: /usr/local/bin/` + postProgram + `
`)
	return b.String()
}
