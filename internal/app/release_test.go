package app

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

type workflowTrigger struct {
	Push struct {
		Tags []string `json:"tags"`
	} `json:"push"`
}

type workflow struct {
	// sigs.k8s.io/yaml reads YAML 1.1, where the key on is the boolean
	// true: the trigger is under "true".
	On          workflowTrigger   `json:"true"`
	Permissions map[string]string `json:"permissions"`
	Jobs        map[string]struct {
		Steps []struct {
			ID   string            `json:"id"`
			Uses string            `json:"uses"`
			Run  string            `json:"run"`
			With map[string]any    `json:"with"`
			Env  map[string]string `json:"env"`
		} `json:"steps"`
	} `json:"jobs"`
}

// A pushed vX.Y.Z tag must publish a multi-arch image that knows its
// version, and a release ref whose action.yml runs that image by digest.
func TestReleaseWorkflow(t *testing.T) {
	data, err := os.ReadFile("../../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("release.yml: %v", err)
	}
	if len(w.On.Push.Tags) == 0 {
		t.Error("release.yml must run on pushed tags")
	}
	for _, tag := range w.On.Push.Tags {
		if !strings.HasPrefix(tag, "v") {
			t.Errorf("release.yml runs on tag pattern %q; releases are v* tags", tag)
		}
	}
	if w.Permissions["contents"] != "write" || w.Permissions["packages"] != "write" {
		t.Errorf("release.yml needs contents: write (tags, release ref) and packages: write (ghcr.io), got %v", w.Permissions)
	}
	pinned := regexp.MustCompile(`^[\w.-]+/[\w.-]+@[0-9a-f]{40}$`)
	var buildID, rewrite string
	for _, job := range w.Jobs {
		for _, step := range job.Steps {
			if step.Uses != "" && !pinned.MatchString(step.Uses) {
				t.Errorf("step uses %q: pin third-party actions by full commit SHA", step.Uses)
			}
			if strings.HasPrefix(step.Uses, "docker/build-push-action@") {
				buildID = step.ID
				str := func(k string) string { s, _ := step.With[k].(string); return s }
				platforms := strings.Split(str("platforms"), ",")
				for _, p := range []string{"linux/amd64", "linux/arm64"} {
					if !contains(platforms, p) {
						t.Errorf("build-push-action builds %q, without %s", str("platforms"), p)
					}
				}
				if push, _ := step.With["push"].(bool); !push {
					t.Error("build-push-action must push")
				}
				if !regexp.MustCompile(`(?m)^VERSION=\$\{\{ steps\.\w+\.outputs\.version \}\}$`).MatchString(str("build-args")) {
					t.Errorf("build-push-action must pass the tag as the VERSION build arg, got %q", str("build-args"))
				}
				for _, tag := range []string{"version", "minor", "major"} {
					if !strings.Contains(str("tags"), "${{ env.IMAGE }}:${{ steps.version.outputs."+tag+" }}") {
						t.Errorf("build-push-action must tag the image :%s, got %q", tag, str("tags"))
					}
				}
			}
			if strings.Contains(step.Run, "action.yml") && strings.Contains(step.Run, "sed") {
				rewrite = step.Run
				for _, v := range step.Env {
					if buildID != "" && v == "${{ steps."+buildID+".outputs.digest }}" {
						rewrite += "\n# fed by the build's digest"
					}
				}
			}
		}
	}
	if buildID == "" {
		t.Fatal("release.yml has no docker/build-push-action step with an id")
	}
	if !regexp.MustCompile(`(?m)^IMAGE: ghcr\.io/knative-preview/action$`).MatchString(strings.ReplaceAll(string(data), "  ", "")) {
		t.Error("release.yml must publish ghcr.io/knative-preview/action")
	}
	if rewrite == "" {
		t.Fatal("release.yml has no step that rewrites action.yml")
	}
	if !strings.Contains(rewrite, "# fed by the build's digest") {
		t.Error("the action.yml rewrite must take the digest from the build step's digest output")
	}
	for _, want := range []string{
		`ref="docker://$IMAGE@$DIGEST"`,                      // docker://ghcr.io/...@sha256:...
		`s|^  image: Dockerfile\$|  image: $ref # $VERSION|`, // runs.image, the tag in a comment
		`^sha256:[0-9a-f]{64}$`,                              // a digest, never an empty one
		`git tag --force --annotate "$VERSION"`,
		`git tag --force --annotate "$MAJOR"`,
		`git push --force origin`,
	} {
		if !strings.Contains(rewrite, want) {
			t.Errorf("the release step lacks %s", want)
		}
	}
}

// README examples use the released major version, never a branch.
func TestREADMEUsesReleasedVersion(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	uses := regexp.MustCompile(`uses: knative-preview/action@([^\s`+"`"+`]+)`).FindAllStringSubmatch(string(data), -1)
	if len(uses) == 0 {
		t.Fatal("README.md shows no uses: knative-preview/action@...")
	}
	for _, u := range uses {
		if u[1] != "v1" && u[1] != "v1.2.3" && u[1] != "<40-hex" {
			t.Errorf("README.md uses knative-preview/action@%s; examples must say @v1", u[1])
		}
	}
	if n := strings.Count(string(data), "uses: knative-preview/action@v1\n"); n < 5 {
		t.Errorf("README.md has %d examples with uses: knative-preview/action@v1, want every one (5)", n)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}
