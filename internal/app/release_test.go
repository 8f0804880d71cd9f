package app

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/knative-preview/action/internal/buildinfo"
)

// workflow is what the tests read of a GitHub Actions workflow file.
type workflow struct {
	// sigs.k8s.io/yaml reads YAML 1.1, where the key on is the boolean
	// true: the triggers are under "true".
	On          map[string]json.RawMessage `json:"true"`
	Permissions map[string]string          `json:"permissions"`
	Env         map[string]string          `json:"env"`
	Jobs        map[string]workflowJob     `json:"jobs"`
}

type workflowInputs struct {
	Inputs map[string]struct {
		Type     string `json:"type"`
		Required bool   `json:"required"`
	} `json:"inputs"`
}

type workflowJob struct {
	Needs       needsList         `json:"needs"`
	Permissions map[string]string `json:"permissions"`
	Env         map[string]string `json:"env"`
	Uses        string            `json:"uses"` // a reusable workflow
	With        map[string]any    `json:"with"`
	Strategy    struct {
		Matrix struct {
			Include []map[string]string `json:"include"`
		} `json:"matrix"`
	} `json:"strategy"`
	Steps []workflowStep `json:"steps"`
}

type workflowStep struct {
	Name string            `json:"name"`
	ID   string            `json:"id"`
	If   string            `json:"if"`
	Uses string            `json:"uses"`
	Run  string            `json:"run"`
	With map[string]any    `json:"with"`
	Env  map[string]string `json:"env"`
}

// needsList is a job's needs: one job name or a list of them.
type needsList []string

func (n *needsList) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*n = needsList{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("needs is neither a job name nor a list of them: %s", data)
	}
	*n = list
	return nil
}

func (s workflowStep) str(key string) string {
	v, _ := s.With[key].(string)
	return v
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../.github/workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}

// after reports whether job runs only once dep has succeeded: dep is in
// its needs, directly or through other jobs.
func (w workflow) after(job, dep string) bool {
	for _, n := range w.Jobs[job].Needs {
		if n == dep || w.after(n, dep) {
			return true
		}
	}
	return false
}

// script is the job's run scripts, in step order.
func (j workflowJob) script() string {
	var b strings.Builder
	for _, s := range j.Steps {
		b.WriteString(s.Run)
		b.WriteString("\n")
	}
	return b.String()
}

// theJob is the one job of w that matches; the test fails unless there is
// exactly one.
func theJob(t *testing.T, w workflow, what string, match func(workflowJob) bool) string {
	t.Helper()
	var found []string
	for name, j := range w.Jobs {
		if match(j) {
			found = append(found, name)
		}
	}
	if len(found) != 1 {
		t.Fatalf("release.yml needs exactly one job that %s, found %q", what, found)
	}
	return found[0]
}

func usesAction(j workflowJob, action string) bool {
	return slices.ContainsFunc(j.Steps, func(s workflowStep) bool { return strings.HasPrefix(s.Uses, action+"@") })
}

// createsRef matches a command that creates or moves something users
// resolve: a git tag or branch, a GitHub Release, an image tag.
var createsRef = regexp.MustCompile(`\bgit\b[^\n|;&]*\s(tag|push)\b|\bgh\s+(release|api)\b|\bimagetools\s+create\b|\bdocker\s+(tag|push)\b`)

// The release is built, tested, then published: the maintainer starts it
// with a version; the image is pushed by digest only, run on both
// platforms, pulled without credentials and exercised end to end through
// an action.yml that names it; only then is the release commit made, the
// tag vX.Y.Z created (never forced), vX.Y and vX moved, and the GitHub
// Release created. Nothing before the tests creates a ref users resolve.
func TestReleaseWorkflow(t *testing.T) {
	w := readWorkflow(t, "release.yml")

	// Started by hand with the version; never by a pushed tag.
	for trigger := range w.On {
		if trigger != "workflow_dispatch" {
			t.Errorf("release.yml starts on %s; a release starts only by hand (workflow_dispatch with a version), and the tag is its result, not its trigger", trigger)
		}
	}
	var dispatch workflowInputs
	if err := json.Unmarshal(w.On["workflow_dispatch"], &dispatch); err != nil || !dispatch.Inputs["version"].Required {
		t.Errorf("release.yml needs a required workflow_dispatch input version (%v): %s", err, w.On["workflow_dispatch"])
	}
	if w.Permissions == nil || len(w.Permissions) != 0 {
		t.Errorf("release.yml must grant no permission at the top (permissions: {}), each job its own; got %v", w.Permissions)
	}
	if w.Env["IMAGE"] != "ghcr.io/knative-preview/action" {
		t.Errorf("release.yml must publish ghcr.io/knative-preview/action, got IMAGE=%q", w.Env["IMAGE"])
	}

	token := theJob(t, w, "checks that the release token is set", func(j workflowJob) bool {
		return slices.ContainsFunc(j.Steps, func(s workflowStep) bool {
			return strings.Contains(s.Env["HAS_RELEASE_TOKEN"], "secrets.RELEASE_TOKEN != ''")
		})
	})
	build := theJob(t, w, "builds the image (docker/build-push-action)", func(j workflowJob) bool {
		return usesAction(j, "docker/build-push-action")
	})
	run := theJob(t, w, "runs the image's version command", func(j workflowJob) bool {
		return regexp.MustCompile(`docker run .*"\$REF" version\b`).MatchString(j.script())
	})
	public := theJob(t, w, "pulls the image without credentials", func(j workflowJob) bool {
		return strings.Contains(j.script(), "docker logout") && strings.Contains(j.script(), "docker pull")
	})
	e2e := theJob(t, w, "runs the kind end-to-end workflow", func(j workflowJob) bool {
		return j.Uses == "./.github/workflows/e2e-kind.yml"
	})
	publish := theJob(t, w, "creates the GitHub Release", func(j workflowJob) bool {
		return strings.Contains(j.script(), "gh release create")
	})

	// The order of the jobs.
	for _, o := range []struct{ job, dep string }{
		{build, token}, {run, build}, {public, run}, {e2e, public}, {publish, run}, {publish, public}, {publish, e2e},
	} {
		if !w.after(o.job, o.dep) {
			t.Errorf("job %s must need %s (directly or through another job): needs %v", o.job, o.dep, w.Jobs[o.job].Needs)
		}
	}

	// Every test and the publication take the one digest the build pushed.
	ref := "${{ needs." + build + ".outputs.ref }}"
	if w.Jobs[run].Env["REF"] != ref && !slices.ContainsFunc(w.Jobs[run].Steps, func(s workflowStep) bool { return s.Env["REF"] == ref }) {
		t.Errorf("job %s must run %s", run, ref)
	}
	if !slices.ContainsFunc(w.Jobs[public].Steps, func(s workflowStep) bool { return s.Env["REF"] == ref }) {
		t.Errorf("job %s must pull %s", public, ref)
	}
	if w.Jobs[e2e].With["image"] != ref {
		t.Errorf("job %s must run the action with image %s, got %v", e2e, ref, w.Jobs[e2e].With["image"])
	}
	if w.Jobs[publish].Env["REF"] != ref {
		t.Errorf("job %s must publish %s, got %q", publish, ref, w.Jobs[publish].Env["REF"])
	}

	t.Run("build", func(t *testing.T) { checkReleaseBuild(t, w.Jobs[build]) })
	t.Run("run", func(t *testing.T) { checkReleaseRun(t, w.Jobs[run]) })
	t.Run("public", func(t *testing.T) { checkReleasePublic(t, w.Jobs[public]) })
	t.Run("e2e", func(t *testing.T) { checkReleaseE2E(t) })
	t.Run("publish", func(t *testing.T) { checkReleasePublish(t, w.Jobs[publish]) })

	// Nothing before the tests creates a ref: only a job that runs after
	// all of them may tag, push or release.
	for name, j := range w.Jobs {
		if w.after(name, run) && w.after(name, public) && w.after(name, e2e) {
			continue
		}
		if m := createsRef.FindString(j.script()); m != "" {
			t.Errorf("job %s runs %q before the image is tested: no tag, branch, release or image tag may exist before the tests pass", name, m)
		}
	}
}

func checkReleaseBuild(t *testing.T, job workflowJob) {
	i := slices.IndexFunc(job.Steps, func(s workflowStep) bool { return strings.HasPrefix(s.Uses, "docker/build-push-action@") })
	build := job.Steps[i]
	if build.ID == "" {
		t.Fatal("the build-push-action step needs an id")
	}
	platforms := strings.Split(build.str("platforms"), ",")
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if !slices.Contains(platforms, p) {
			t.Errorf("build-push-action builds %q, without %s", build.str("platforms"), p)
		}
	}
	// Pushed by digest only: no tag exists until the publish job.
	if build.str("tags") != "" || build.With["push"] != nil {
		t.Errorf("build-push-action must push by digest only (outputs: push-by-digest), with no tags: and no push:, got tags %q push %v", build.str("tags"), build.With["push"])
	}
	for _, want := range []string{"type=image", "name=${{ env.IMAGE }}", "push-by-digest=true", "push=true"} {
		if !slices.Contains(strings.Split(build.str("outputs"), ","), want) {
			t.Errorf("build-push-action outputs %q lacks %s", build.str("outputs"), want)
		}
	}
	if p := build.str("provenance"); p == "" || p == "false" {
		t.Errorf("build-push-action must add a provenance attestation, got provenance %q", p)
	}
	if build.With["sbom"] != true {
		t.Errorf("build-push-action must add an SBOM attestation (sbom: true), got %v", build.With["sbom"])
	}
	if !regexp.MustCompile(`(?m)^VERSION=\$\{\{ needs\.\w+\.outputs\.version \}\}$`).MatchString(build.str("build-args")) {
		t.Errorf("build-push-action must pass the version as the VERSION build arg, got %q", build.str("build-args"))
	}
	// GitHub's signed build provenance, for the same digest, in the registry too.
	attest := slices.IndexFunc(job.Steps, func(s workflowStep) bool {
		return strings.HasPrefix(s.Uses, "actions/attest@") || strings.HasPrefix(s.Uses, "actions/attest-build-provenance@")
	})
	if attest < i {
		t.Fatal("the image job must attest the build's provenance (actions/attest) after building it")
	}
	a := job.Steps[attest]
	if a.str("subject-name") != "${{ env.IMAGE }}" || a.str("subject-digest") != "${{ steps."+build.ID+".outputs.digest }}" || a.With["push-to-registry"] != true {
		t.Errorf("the attestation must name ${{ env.IMAGE }} at the build's digest and be pushed to the registry, got %v", a.With)
	}
	for scope, want := range map[string]string{"packages": "write", "id-token": "write", "attestations": "write", "contents": "read"} {
		if job.Permissions[scope] != want {
			t.Errorf("the image job needs %s: %s, has %v", scope, want, job.Permissions)
		}
	}
	// QEMU only when a stage built for the target platform runs something.
	if usesAction(job, "docker/setup-qemu-action") != dockerfileRunsOnTarget(t) {
		t.Errorf("docker/setup-qemu-action is set up: %v; a stage of the Dockerfile RUNs on the target platform: %v; they must agree", usesAction(job, "docker/setup-qemu-action"), dockerfileRunsOnTarget(t))
	}
}

// dockerfileRunsOnTarget reports whether a stage that is not built on the
// build machine's platform has a RUN, which a multi-arch build would run
// under emulation.
func dockerfileRunsOnTarget(t *testing.T) bool {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, stage := range regexp.MustCompile(`(?m)^FROM `).Split(string(data), -1)[1:] {
		first, _, _ := strings.Cut(stage, "\n")
		if !strings.Contains(first, "--platform=$BUILDPLATFORM") && regexp.MustCompile(`(?m)^RUN\b`).MatchString(stage) {
			return true
		}
	}
	return false
}

func checkReleaseRun(t *testing.T, job workflowJob) {
	var platforms []string
	for _, m := range job.Strategy.Matrix.Include {
		platforms = append(platforms, m["platform"])
	}
	if !slices.Contains(platforms, "linux/amd64") || !slices.Contains(platforms, "linux/arm64") {
		t.Errorf("the image must be run on linux/amd64 and linux/arm64, the matrix has %q", platforms)
	}
	want := `want="` + buildinfo.Name + ` $VERSION"`
	if !strings.Contains(job.script(), want) || !strings.Contains(job.script(), `if [ "$got" != "$want" ]`) {
		t.Errorf("the run job must compare the image's version output with %s", want)
	}
}

func checkReleasePublic(t *testing.T, job workflowJob) {
	if len(job.Permissions) != 0 || job.Permissions == nil || usesAction(job, "docker/login-action") {
		t.Errorf("the anonymous pull must run with no token and no login, as users' runners pull: permissions %v", job.Permissions)
	}
	s := job.script()
	for _, want := range []string{`export DOCKER_CONFIG=`, `docker pull "$REF"`, `/packages/container/`, `Change visibility, Public`} {
		if !strings.Contains(s, want) {
			t.Errorf("the anonymous pull check lacks %s (an empty Docker configuration, the pull, the fix when the package is private)", want)
		}
	}
}

func checkReleaseE2E(t *testing.T) {
	w := readWorkflow(t, "e2e-kind.yml")
	var call workflowInputs
	if err := json.Unmarshal(w.On["workflow_call"], &call); err != nil {
		t.Fatalf("e2e-kind.yml must be reusable (on: workflow_call): %v", err)
	}
	for _, in := range []string{"ref", "image", "version"} {
		if !call.Inputs[in].Required {
			t.Errorf("e2e-kind.yml's workflow_call needs the required input %s", in)
		}
	}
	for name, j := range w.Jobs {
		if m := createsRef.FindString(j.script()); m != "" {
			t.Errorf("e2e-kind.yml job %s runs %q; the release's tests create no ref", name, m)
		}
		rewrite := slices.IndexFunc(j.Steps, func(s workflowStep) bool {
			return s.Run == `hack/release-action-yml.sh "$IMAGE_REF" "$VERSION"` &&
				s.Env["IMAGE_REF"] == "${{ inputs.image }}" && s.Env["VERSION"] == "${{ inputs.version }}" && s.If == "inputs.image != ''"
		})
		action := slices.IndexFunc(j.Steps, func(s workflowStep) bool { return s.Uses == "./" })
		if rewrite < 0 || action < rewrite {
			t.Errorf("e2e-kind.yml job %s must rewrite action.yml to the called image (hack/release-action-yml.sh, when inputs.image is set) before it runs the action (uses: ./)", name)
		}
		if len(j.Steps) == 0 || j.Steps[0].str("ref") != "${{ inputs.ref }}" {
			t.Errorf("e2e-kind.yml job %s must check out inputs.ref, the release's commit", name)
		}
	}
}

func checkReleasePublish(t *testing.T, job workflowJob) {
	if job.Permissions["contents"] != "write" {
		t.Errorf("the publish job needs contents: write (release branch, tags, GitHub Release), has %v", job.Permissions)
	}
	// The push goes with a token that may change .github/workflows, which
	// GITHUB_TOKEN may not; only the pushing step holds it, and its git
	// push sends it instead of the job's.
	for _, st := range job.Steps {
		pushes := regexp.MustCompile(`\bgit\b[^\n]*\bpush --atomic\b`).MatchString(st.Run)
		holds := strings.Contains(st.Env["RELEASE_TOKEN"], "secrets.RELEASE_TOKEN") || strings.Contains(st.str("token"), "RELEASE_TOKEN")
		switch {
		case pushes && (!holds || !strings.Contains(st.Run, `http.https://github.com/.extraheader=" -c "http.https://github.com/.extraheader=AUTHORIZATION: basic $auth"`)):
			t.Error("the push must send the RELEASE_TOKEN (env RELEASE_TOKEN: ${{ secrets.RELEASE_TOKEN }}), clearing the job token's extraheader: GitHub refuses GITHUB_TOKEN a push that changes .github/workflows")
		case !pushes && holds:
			t.Errorf("only the pushing step may hold the RELEASE_TOKEN; %q does", st.Name)
		}
	}
	s := job.script()
	// In this order: the release commit, the tag vX.Y.Z, one atomic push,
	// the GitHub Release.
	last, lastWhat := -1, ""
	for _, step := range []struct{ what, re string }{
		{"action.yml rewritten to the digest", `hack/release-action-yml\.sh "\$REF" "\$VERSION"`},
		{"the release commit", `git commit-tree\b`},
		{"the tag vX.Y.Z", `git tag\b[^\n]*"\$VERSION" "\$COMMIT"`},
		{"the atomic push", `\bgit\b[^\n]*\bpush --atomic\b`},
		{"the GitHub Release", `gh release create "\$VERSION" --verify-tag\b`},
	} {
		loc := regexp.MustCompile(step.re).FindStringIndex(s)
		switch {
		case loc == nil:
			t.Errorf("the publish job lacks %s (%s)", step.what, step.re)
		case loc[0] < last:
			t.Errorf("the publish job makes %s before %s", step.what, lastWhat)
		default:
			last, lastWhat = loc[0], step.what
		}
	}
	// vX.Y.Z is created, never forced: no --force or -f where it is tagged,
	// no + on its refspec, no lease on it; only vX.Y and vX are moved, and
	// only from the value read before.
	for _, line := range strings.Split(s, "\n") {
		if regexp.MustCompile(`\bgit tag\b`).MatchString(line) && strings.Contains(line, `"$VERSION"`) &&
			regexp.MustCompile(`(^|\s)(--force|-f)(\s|$)`).MatchString(line) {
			t.Errorf("the tag vX.Y.Z must be created without --force: %s", strings.TrimSpace(line))
		}
		if regexp.MustCompile(`\bgit\b.*\bpush\b`).MatchString(line) && regexp.MustCompile(`(^|\s)(--force|-f|--mirror)(\s|$)`).MatchString(line) {
			t.Errorf("the release push must not force: %s", strings.TrimSpace(line))
		}
	}
	if strings.Contains(s, `+refs/tags/$VERSION`) {
		t.Error("the refspec of the tag vX.Y.Z must not force (+)")
	}
	for _, m := range regexp.MustCompile(`--force-with-lease=refs/tags/\$(\w+):`).FindAllStringSubmatch(s, -1) {
		if m[1] != "MINOR" && m[1] != "MAJOR" {
			t.Errorf("only vX.Y and vX move; the push forces refs/tags/$%s", m[1])
		}
	}
	for _, moved := range []string{"MINOR", "MAJOR"} {
		if !strings.Contains(s, `--force-with-lease=refs/tags/$`+moved+`:$OLD_`+moved) {
			t.Errorf("the push must move refs/tags/$%s only from the value read before ($OLD_%s)", moved, moved)
		}
	}
}

// The script both the kind end-to-end job and the publish job use to point
// action.yml at the pushed image changes runs.image and nothing else, and
// refuses what is not an image by digest and a version.
func TestReleaseActionYML(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh:", err)
	}
	script, err := filepath.Abs("../../hack/release-action-yml.sh")
	if err != nil {
		t.Fatal(err)
	}
	original, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	digest := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	ref := "ghcr.io/knative-preview/action@" + digest
	run := func(t *testing.T, dir string, args ...string) (string, error) {
		cmd := exec.Command("sh", append([]string{script}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "action.yml"), original, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, dir, ref, "v1.2.3"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(original), "\n  image: Dockerfile\n", "\n  image: docker://"+ref+" # v1.2.3\n", 1)
	if string(got) != want {
		t.Errorf("the release action.yml differs from main's in more than runs.image:\n%s", got)
	}
	var a actionYAML
	if err := yaml.UnmarshalStrict(got, &a); err != nil {
		t.Fatalf("the release action.yml: %v", err)
	}
	if a.Runs.Image != "docker://"+ref {
		t.Errorf("runs.image = %q, want docker://%s", a.Runs.Image, ref)
	}
	// A second run finds no image: Dockerfile and changes nothing.
	if out, err := run(t, dir, ref, "v1.2.3"); err == nil || !strings.Contains(out, "image: Dockerfile") {
		t.Errorf("a second rewrite must fail and say why, got %v: %s", err, out)
	}

	for _, tc := range []struct{ name, ref, version, says string }{
		{"a tag", "ghcr.io/knative-preview/action:v1", "v1.2.3", "by digest"},
		{"no digest", "ghcr.io/knative-preview/action@", "v1.2.3", "by digest"},
		{"a short digest", "ghcr.io/knative-preview/action@sha256:0123", "v1.2.3", "by digest"},
		{"no registry path", "action@" + digest, "v1.2.3", "by digest"},
		{"sed's separator", "ghcr.io/knative|preview/action@" + digest, "v1.2.3", "by digest"},
		{"a version without v", ref, "1.2.3", "vX.Y.Z"},
		{"a minor version", ref, "v1.2", "vX.Y.Z"},
		{"a pre-release", ref, "v1.2.3-rc.1", "vX.Y.Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "action.yml"), original, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := run(t, dir, tc.ref, tc.version)
			if err == nil || !strings.Contains(out, tc.says) {
				t.Errorf("%q %q: want a failure that says %q, got %v: %s", tc.ref, tc.version, tc.says, err, out)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "action.yml")); string(got) != string(original) {
				t.Error("a refused rewrite changed action.yml")
			}
		})
	}
}

// usesLine is a uses: line of a workflow: what it uses and the comment after it.
var usesLine = regexp.MustCompile(`(?m)^\s*(?:-\s+)?uses:\s*["']?([^\s"']+)["']?([^\n]*)$`)

// workflowPins is every action the workflows use, by owner/repo(/path), with
// the version its SHA pin's comment names; the test fails on a use that is
// not pinned by full commit SHA with a version comment.
func workflowPins(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../../.github/workflows/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	pin := regexp.MustCompile(`^([\w.-]+/[\w.-]+(?:/[\w./-]+)?)@([0-9a-f]{40})$`)
	comment := regexp.MustCompile(`^\s+#\s+(v\d+(?:\.\d+){0,2})\s*$`)
	pins := map[string]string{}
	shas := map[string]string{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(file)
		lines := usesLine.FindAllStringSubmatch(string(data), -1)
		// Every uses the YAML holds is on a line of its own.
		var w workflow
		if err := yaml.Unmarshal(data, &w); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := 0
		for _, j := range w.Jobs {
			if j.Uses != "" {
				n++
			}
			for _, s := range j.Steps {
				if s.Uses != "" {
					n++
				}
			}
		}
		if n != len(lines) {
			t.Errorf("%s has %d uses, %d of them on a uses: line of their own", name, n, len(lines))
		}
		for _, l := range lines {
			uses, rest := l[1], l[2]
			if strings.HasPrefix(uses, "./") {
				continue
			}
			p := pin.FindStringSubmatch(uses)
			c := comment.FindStringSubmatch(rest)
			if p == nil || c == nil {
				t.Errorf("%s: uses: %s%s: pin by full 40-hex commit SHA with the version in a comment (uses: owner/repo@<sha> # vX.Y.Z)", name, uses, rest)
				continue
			}
			if prev, ok := shas[p[1]]; ok && (prev != p[2] || pins[p[1]] != c[1]) {
				t.Errorf("%s pins %s at %s # %s, another workflow at %s # %s: one version for all", name, p[1], p[2], c[1], prev, pins[p[1]])
			}
			pins[p[1]], shas[p[1]] = c[1], p[2]
		}
	}
	return pins
}

// Every action a workflow uses is pinned by full commit SHA with its
// version in a comment (what Dependabot updates), the same in every workflow.
func TestWorkflowActionsPinnedBySHA(t *testing.T) {
	if len(workflowPins(t)) == 0 {
		t.Error("the workflows use no pinned action; the test would check nothing")
	}
}

// The README's examples use the major versions of actions that the
// repository's own workflows run.
func TestREADMEActionMajorsMatchWorkflows(t *testing.T) {
	pins := workflowPins(t)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, m := range regexp.MustCompile(`uses:\s+([\w.-]+/[\w.-]+)@(v\d+)\b`).FindAllStringSubmatch(string(readme), -1) {
		version, pinned := pins[m[1]]
		if !pinned {
			continue
		}
		checked++
		if major, _, _ := strings.Cut(version, "."); major != m[2] {
			t.Errorf("README.md uses %s@%s; the workflows run %s: write @%s", m[1], m[2], version, major)
		}
	}
	if checked == 0 {
		t.Error("no README example uses an action the workflows pin; the test would check nothing")
	}
}

// The licence is Apache-2.0: LICENSE holds its text, and the image says so
// in its label (and the release in the index's annotation, which GHCR shows).
func TestDockerfileLicenseLabel(t *testing.T) {
	license, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"                                 Apache License\n                           Version 2.0, January 2004\n",
		"TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
		"END OF TERMS AND CONDITIONS",
		"Copyright The knative-preview Authors",
	} {
		if !strings.Contains(string(license), want) {
			t.Errorf("LICENSE lacks %q", want)
		}
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := regexp.MustCompile(`(?m)^FROM `).Split(strings.ReplaceAll(string(dockerfile), "\\\n", " "), -1)
	labels := map[string]string{}
	for _, m := range regexp.MustCompile(`(org\.opencontainers\.image\.\w+)="([^"]*)"`).FindAllStringSubmatch(stages[len(stages)-1], -1) {
		labels[m[1]] = m[2]
	}
	if labels["org.opencontainers.image.licenses"] != "Apache-2.0" {
		t.Errorf("the final stage's label org.opencontainers.image.licenses must be Apache-2.0, labels %v", labels)
	}
	if labels["org.opencontainers.image.source"] != "https://github.com/knative-preview/action" {
		t.Errorf("the final stage's label org.opencontainers.image.source must name the repository, labels %v", labels)
	}
	release, err := os.ReadFile("../../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"licenses", "description"} {
		want := "index:org.opencontainers.image." + key + "=" + labels["org.opencontainers.image."+key] + "\n"
		if !strings.Contains(string(release), want) {
			t.Errorf("release.yml must annotate the index as the Dockerfile labels the image: %q", want)
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
