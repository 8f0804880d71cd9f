package app

import (
	"fmt"
	"strings"

	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/outputs"
)

// referenceFile is the reference of every input and output, generated
// from the same tables as action.yml; the README links to it.
const referenceFile = "docs/reference.md"

// referenceText renders the reference of every input (internal ones left
// out) and output. The packaging test compares it with the file (go test
// ./internal/app -run TestReference -update-reference rewrites it).
func referenceText() string {
	var b strings.Builder
	b.WriteString(`<!-- Generated from internal/config and internal/outputs by internal/app:
edit the tables there, then run: go test ./internal/app -run TestReference -update-reference -->
# Inputs and outputs

Every input is also a flag of the command line (` + "`knative-preview up --<input> <value>`" + `).
An empty input takes its default. Every problem with the inputs is reported at once, before
anything is contacted.

`)
	for _, g := range config.InputGroups {
		var rows []string
		for _, d := range g.Defs {
			if d.Internal {
				continue
			}
			def := d.ActionYAMLDefault()
			if def != "" {
				def = code(def)
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s |", code(d.Name), def, cell(d.Description)))
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n| input | default | what it is |\n| --- | --- | --- |\n%s\n\n", g.Title, strings.Join(rows, "\n"))
	}
	b.WriteString("## Outputs\n\n| output | what it is |\n| --- | --- |\n")
	for _, o := range outputs.Outputs {
		fmt.Fprintf(&b, "| %s | %s |\n", code(o.Name), cell(o.Description))
	}
	return b.String()
}

// code is s as inline code in a table cell.
func code(s string) string { return "`" + strings.ReplaceAll(s, "|", `\|`) + "`" }

// cell is s in a Markdown table cell: pipes escaped, on one line.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	return strings.ReplaceAll(s, "\n", " ")
}
