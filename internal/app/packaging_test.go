package app

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/outputs"
)

type actionYAML struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Author      string `json:"author"`
	Branding    struct {
		Icon  string `json:"icon"`
		Color string `json:"color"`
	} `json:"branding"`
	Inputs map[string]struct {
		Description string  `json:"description"`
		Required    bool    `json:"required"`
		Default     *string `json:"default"`
	} `json:"inputs"`
	Outputs map[string]struct {
		Description string `json:"description"`
	} `json:"outputs"`
	Runs struct {
		Using          string    `json:"using"`
		Image          string    `json:"image"`
		Entrypoint     string    `json:"entrypoint"`
		Args           *[]string `json:"args"`
		PostEntrypoint string    `json:"post-entrypoint"`
		// No post-if: the post step of a container action runs whatever
		// happened, and actionlint rejects the key; UnmarshalStrict below
		// fails if it comes back.
	} `json:"runs"`
}

var update = flag.Bool("update-action-yml", false, "rewrite action.yml from the input and output tables")

// action.yml is what users read and what GitHub uses; the Go tables are what
// the code reads. They must say the same.
func TestActionYAMLMatchesTheCode(t *testing.T) {
	if *update {
		if err := os.WriteFile("../../action.yml", []byte(actionYAMLText()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != actionYAMLText() {
		t.Error("action.yml differs from what the tables generate: run go test ./internal/app -run TestActionYAML -update-action-yml")
	}
	var a actionYAML
	if err := yaml.UnmarshalStrict(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.PostEntrypoint != "/usr/local/bin/"+postProgram {
		t.Errorf("the post step (cleanup) must start %s: %+v", postProgram, a.Runs)
	}
	// main builds the image from the checkout, so the e2e workflow
	// (uses: ./) tests this commit's code; only the release ref points at a
	// prebuilt docker:// image (see .github/workflows/release.yml).
	if a.Runs.Image != "Dockerfile" {
		t.Errorf("action.yml on main must say image: Dockerfile, got %q", a.Runs.Image)
	}
	if a.Runs.Using != "docker" || a.Branding.Icon == "" || a.Branding.Color == "" {
		t.Errorf("runs/branding: %+v %+v", a.Runs, a.Branding)
	}
	for _, in := range config.Inputs {
		y, ok := a.Inputs[in.Name]
		if !ok {
			t.Errorf("input %q is in the code but not in action.yml", in.Name)
			continue
		}
		if y.Description != in.Description {
			t.Errorf("input %q: action.yml description %q differs from the code's %q", in.Name, y.Description, in.Description)
		}
		def := ""
		if y.Default != nil {
			def = *y.Default
		}
		if want := in.ActionYAMLDefault(); def != want {
			t.Errorf("input %q: action.yml default %q, code default %q", in.Name, def, in.ActionYAMLDefault())
		}
		if y.Required != in.Required {
			t.Errorf("input %q: action.yml required=%v, code required=%v", in.Name, y.Required, in.Required)
		}
	}
	for name := range a.Inputs {
		if !slices.ContainsFunc(config.Inputs, func(d input.Def) bool { return d.Name == name }) {
			t.Errorf("input %q is in action.yml but the code does not read it", name)
		}
	}
	for _, o := range outputs.Outputs {
		y, ok := a.Outputs[o.Name]
		if !ok {
			t.Errorf("output %q is in the code but not in action.yml", o.Name)
		} else if y.Description != o.Description {
			t.Errorf("output %q: action.yml description %q differs from the code's %q", o.Name, y.Description, o.Description)
		}
	}
	for name := range a.Outputs {
		if !slices.ContainsFunc(outputs.Outputs, func(o outputs.Output) bool { return o.Name == name }) {
			t.Errorf("output %q is in action.yml but the code never writes it", name)
		}
	}
}

// The runner starts the container as root with its own --workdir and passes
// no arguments: the final stage must not change the user or the directory,
// and must start the binary directly. It holds only the static binary, its
// post-step name and the docker CLI binary, on a base without a shell.
func TestDockerfileFinalStage(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := regexp.MustCompile(`(?m)^FROM `).Split(string(data), -1)
	final := "FROM " + stages[len(stages)-1]
	for _, forbidden := range []string{"USER", "WORKDIR"} {
		if regexp.MustCompile(`(?m)^` + forbidden + `\b`).MatchString(final) {
			t.Errorf("the final stage sets %s; GitHub runs container actions as root in /github/workspace", forbidden)
		}
	}
	m := regexp.MustCompile(`(?m)^ENTRYPOINT (.*)$`).FindStringSubmatch(final)
	if m == nil || m[1] != `["/usr/local/bin/knative-preview"]` {
		t.Errorf("the final stage needs an exec-form ENTRYPOINT with the binary's absolute path, got %q", m)
	}
	// No shell: a distroless static base, and nothing run in the stage
	// (a RUN would need a shell the base does not have).
	if !regexp.MustCompile(`(?m)\AFROM gcr\.io/distroless/static-debian12(:[a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?\s*$`).MatchString(strings.SplitN(final, "\n", 2)[0]) {
		t.Errorf("the final stage must be on gcr.io/distroless/static-debian12 (CA certificates, no shell), got %q", strings.SplitN(final, "\n", 2)[0])
	}
	if strings.Contains(strings.SplitN(final, "\n", 2)[0], ":nonroot") {
		t.Error("the final base must be the root variant: the runner needs root for the Docker socket and the command files")
	}
	if regexp.MustCompile(`(?m)^(RUN|SHELL)\b`).MatchString(final) {
		t.Error("the final stage must not RUN anything: its base has no shell")
	}
	copies := regexp.MustCompile(`(?m)^COPY .*$`).FindAllString(final, -1)
	want := []string{
		"COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker",
		"COPY --from=build /out/ /usr/local/bin/",
	}
	if !slices.Equal(copies, want) {
		t.Errorf("the final stage must copy exactly the docker CLI and the build's /out (binary and post link):\ngot  %q\nwant %q", copies, want)
	}
	if !regexp.MustCompile(`(?m)^FROM docker:[0-9.]+-cli(@sha256:[0-9a-f]{64})? AS docker-cli$`).MatchString(string(data)) {
		t.Error("the docker CLI must come from the official docker:<version>-cli image, as stage docker-cli")
	}
	// The build stage puts the binary and its post-step name in /out.
	build := stages[1]
	if !strings.Contains(build, "-o /out/knative-preview ./cmd/action") {
		t.Error("the build stage must write the binary to /out/knative-preview")
	}
	if !strings.Contains(build, "ln -s knative-preview /out/"+postProgram) {
		t.Errorf("the build stage must link /out/%s to the binary for the post step", postProgram)
	}
	for _, flag := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "buildinfo.Version=${VERSION}"} {
		if !strings.Contains(build, flag) {
			t.Errorf("the build stage's go build lacks %s", flag)
		}
	}
}

// The layout table of CONTRIBUTING.md names every package of the tree, and
// only those: a reader looking for a concern finds its home there.
func TestLayoutTableMatchesTheTree(t *testing.T) {
	readme, err := os.ReadFile("../../CONTRIBUTING.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `((?:internal|cmd)/[^`]+)` \\|").FindAllStringSubmatch(string(readme), -1) {
		listed[m[1]] = true
	}
	onDisk := map[string]bool{}
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../..", path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" || strings.HasPrefix(rel, "tools")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dir := filepath.ToSlash(filepath.Dir(rel))
			// Packages inside another package's internal/ folder are its own.
			if !strings.Contains(strings.TrimPrefix(dir, "internal/"), "/internal/") {
				onDisk[dir] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range onDisk {
		if !listed[dir] && !listed[filepath.Dir(dir)+"/"] {
			t.Errorf("package %s is not in the layout table of CONTRIBUTING.md", dir)
		}
	}
	for dir := range listed {
		if !onDisk[dir] {
			t.Errorf("the layout table of CONTRIBUTING.md lists %s, which holds no package", dir)
		}
	}
}

var updateReference = flag.Bool("update-reference", false, "rewrite docs/reference.md from the input and output tables")

// The reference users read is generated from the tables the code reads:
// an input added without regenerating fails here. It names every input
// but the internal ones, and every output.
func TestReferenceMatchesTheCode(t *testing.T) {
	path := filepath.Join("..", "..", referenceFile)
	if *updateReference {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(referenceText()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/app -run TestReference -update-reference writes it)", err)
	}
	if string(data) != referenceText() {
		t.Errorf("%s differs from what the tables generate: run go test ./internal/app -run TestReference -update-reference", referenceFile)
	}
	for _, in := range config.Inputs {
		row := "| `" + in.Name + "` |"
		if in.Internal == strings.Contains(string(data), row) {
			t.Errorf("input %s (internal: %v): the reference has a row for it: %v", in.Name, in.Internal, !in.Internal)
		}
	}
	for _, o := range outputs.Outputs {
		if !strings.Contains(string(data), "| `"+o.Name+"` |") {
			t.Errorf("output %s is not in the reference", o.Name)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "("+referenceFile+")") {
		t.Errorf("README.md does not link to %s", referenceFile)
	}
}
