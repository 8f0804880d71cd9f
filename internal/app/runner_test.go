package app

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// A model of how GitHub's runner starts this container action, written
// from actions/runner's source:
//   - src/Runner.Worker/Handlers/ContainerActionHandler.cs: the entrypoint
//     (runs.entrypoint, else the input entryPoint; runs.post-entrypoint for
//     the post step), the arguments (runs.args when action.yml has it, else
//     the input args, for every step), HOME, the mounts and the path
//     translations;
//   - src/Runner.Worker/Handlers/Handler.cs (AddInputsToEnvironment): every
//     input as INPUT_<NAME>, upper-cased, spaces as '_';
//   - src/Runner.Worker/Container/ContainerInfo.cs (TranslateToContainerPath):
//     an environment value that is a mounted host folder, or starts with one
//     and a '/', is rewritten to the container's path; nothing else is;
//   - src/Runner.Worker/Container/DockerCommandManager.cs (DockerRun): the
//     arguments go on docker's command line after the image, as one string
//     the process splits as a command line.

// imageEntrypoint is the Dockerfile's ENTRYPOINT: what runs when the
// runner names no entrypoint.
const imageEntrypoint = "/usr/local/bin/" + "knative-preview"

// runnerJob is the job around a step, as the runner's host sees it.
type runnerJob struct {
	// workspace is GITHUB_WORKSPACE on the host; temp is the runner's temp
	// folder (RUNNER_TEMP).
	workspace, temp string
	token           string
	// event is the workflow's event (GITHUB_EVENT_NAME; push when empty).
	event string
	// env is the job's own environment (a step's env:, GITHUB_ENV).
	env map[string]string
}

// defaultJob is a job on a GitHub-hosted runner.
func defaultJob() runnerJob {
	return runnerJob{workspace: "/home/runner/work/app/app", temp: "/home/runner/work/_temp", token: "ghs_runner_model_token_0123456789", env: map[string]string{}}
}

// invocation is the container the runner starts for a step.
type invocation struct {
	entrypoint string
	args       []string
	// env is the container's environment, paths translated.
	env map[string]string
	// mounts maps each mounted container folder to its host folder.
	mounts  map[string]string
	workdir string
}

// mountsOf are the folders ContainerActionHandler mounts, container path
// to host path, in the order it adds their translations.
func mountsOf(job runnerJob) [][2]string {
	return [][2]string{
		{"/github/runner_temp", job.temp},
		{"/github/home", path.Join(job.temp, "_github_home")},
		{"/github/workflow", path.Join(job.temp, "_github_workflow")},
		{"/github/file_commands", path.Join(job.temp, "_runner_file_commands")},
		{"/github/workspace", job.workspace},
	}
}

// runnerInvocation builds the container for step ("main" or "post") of
// the action a, used with with, in job.
func runnerInvocation(t *testing.T, a actionYAML, step string, with map[string]string, job runnerJob) invocation {
	t.Helper()
	inputs := runnerInputs(t, a, with, job)
	// ContainerActionHandler.cs: the step's environment (the job's, with
	// the inputs as INPUT_*), then HOME, then the github and runner
	// contexts' variables (GetRuntimeEnvironmentVariables), which no env:
	// of the job's can change.
	env := maps.Clone(job.env)
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(strings.ReplaceAll(k, " ", "_"))] = v
	}
	env["HOME"] = path.Join(job.temp, "_github_home")
	event := job.event
	if event == "" {
		event = "push"
	}
	maps.Copy(env, map[string]string{
		"GITHUB_ACTIONS":      "true",
		"CI":                  "true",
		"GITHUB_WORKSPACE":    job.workspace,
		"GITHUB_REPOSITORY":   "acme/app",
		"GITHUB_SHA":          readmeExpressions["github.sha"],
		"GITHUB_EVENT_NAME":   event,
		"GITHUB_EVENT_PATH":   path.Join(job.temp, "_github_workflow", "event.json"),
		"GITHUB_OUTPUT":       path.Join(job.temp, "_runner_file_commands", "set_output_1"),
		"GITHUB_STATE":        path.Join(job.temp, "_runner_file_commands", "save_state_1"),
		"GITHUB_STEP_SUMMARY": path.Join(job.temp, "_runner_file_commands", "step_summary_1"),
		"RUNNER_TEMP":         job.temp,
		"RUNNER_ENVIRONMENT":  "github-hosted",
	})
	inv := invocation{env: map[string]string{}, mounts: map[string]string{}, workdir: "/github/workspace"}
	mounts := mountsOf(job)
	for _, m := range mounts {
		inv.mounts[m[0]] = m[1]
	}
	for k, v := range env {
		inv.env[k] = translate(v, mounts)
	}
	switch {
	case step == "post":
		inv.entrypoint = a.Runs.PostEntrypoint
	case a.Runs.Entrypoint != "":
		inv.entrypoint = a.Runs.Entrypoint
	default:
		inv.entrypoint = lookup(inputs, "entryPoint")
	}
	if a.Runs.Args != nil {
		inv.args = append([]string{}, *a.Runs.Args...)
	} else {
		inv.args = commandLine(lookup(inputs, "args"))
	}
	return inv
}

// runnerInputs are the step's inputs: its with: block, and action.yml's
// defaults for the inputs it leaves out, their expressions evaluated.
func runnerInputs(t *testing.T, a actionYAML, with map[string]string, job runnerJob) map[string]string {
	t.Helper()
	inputs := map[string]string{}
	for k, v := range with {
		inputs[k] = v
	}
	for name, in := range a.Inputs {
		if _, set := lookupOK(inputs, name); set || in.Default == nil {
			continue
		}
		inputs[name] = expression.ReplaceAllStringFunc(*in.Default, func(m string) string {
			switch e := expression.FindStringSubmatch(m)[1]; e {
			case "github.token":
				return job.token
			case "toJSON(github.workspace)":
				b, _ := json.Marshal(job.workspace)
				return string(b)
			default:
				t.Fatalf("input %s: the runner model cannot evaluate the default %q", name, m)
				return ""
			}
		})
	}
	return inputs
}

// lookup is an input by name, as the runner finds it: its dictionaries
// ignore case.
func lookup(inputs map[string]string, name string) string {
	v, _ := lookupOK(inputs, name)
	return v
}

func lookupOK(inputs map[string]string, name string) (string, bool) {
	for k, v := range inputs {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// translate is TranslateToContainerPath: the first mapping, most recently
// added first, whose host folder is v or a parent of it.
func translate(v string, mounts [][2]string) string {
	for i := len(mounts) - 1; i >= 0; i-- {
		container, host := mounts[i][0], mounts[i][1]
		if v == host {
			return container
		}
		if strings.HasPrefix(v, host+"/") {
			return container + strings.TrimPrefix(v, host)
		}
	}
	return v
}

// commandLine splits s as a process splits its command line: at white
// space, double quotes grouping.
func commandLine(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, started := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, started = !quoted, true
		case !quoted && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			if started {
				out = append(out, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if started {
		out = append(out, cur.String())
	}
	return out
}

// readActionYAML reads this checkout's action.yml.
func readActionYAML(t *testing.T) actionYAML {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionYAML
	if err := yaml.UnmarshalStrict(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

// stepRun is what a step run by the model did.
type stepRun struct {
	code   int
	stdout string
	// dir holds the host folders the step's mounts stood for.
	dir string
}

// runStep runs inv in this process as the container would: the mounted
// folders are folders of a temporary host, and every path the container
// sees under a mount is that folder's. files are written under the host
// first (host path to content).
func runStep(ctx context.Context, t *testing.T, inv invocation, files map[string]string) stepRun {
	t.Helper()
	root := t.TempDir()
	local := func(host string) string { return filepath.Join(root, filepath.FromSlash(host)) }
	for _, host := range inv.mounts {
		if err := os.MkdirAll(local(host), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for host, content := range files {
		if err := os.MkdirAll(filepath.Dir(local(host)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(local(host), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The container's view: a path under a mount is its host folder's.
	var containers []string
	for c := range inv.mounts {
		containers = append(containers, c)
	}
	sort.Slice(containers, func(i, j int) bool { return len(containers[i]) > len(containers[j]) })
	view := func(v string) string {
		for _, c := range containers {
			if v == c || strings.HasPrefix(v, c+"/") {
				return local(inv.mounts[c]) + strings.TrimPrefix(v, c)
			}
		}
		return v
	}
	env := map[string]string{}
	for k, v := range inv.env {
		env[k] = view(v)
	}
	entry := inv.entrypoint
	if entry == "" {
		entry = imageEntrypoint
	}
	r := runProgram(ctx, path.Base(entry), inv.args, env)
	// What the step printed, with the paths it saw: a mounted folder by its
	// container path, anything else of the temporary host by $HOST.
	out := r.stdout + r.stderr
	byHost := append([]string{}, containers...)
	sort.Slice(byHost, func(i, j int) bool { return len(inv.mounts[byHost[i]]) > len(inv.mounts[byHost[j]]) })
	for _, c := range byHost {
		out = strings.ReplaceAll(out, local(inv.mounts[c]), c)
	}
	return stepRun{code: r.code, stdout: strings.ReplaceAll(out, root, "$HOST"), dir: root}
}

// No input of the action can become its command line or its entrypoint:
// action.yml names both, for the main and the post step, so a workflow
// that sets args or entryPoint (inputs the runner reads itself when
// action.yml does not name them) still runs the action in Actions mode.
func TestRunnerStartsTheActionWithNoArguments(t *testing.T) {
	a := readActionYAML(t)
	job := defaultJob()
	for _, step := range []string{"main", "post"} {
		for _, with := range []map[string]string{
			{"args": "--port=3000"},
			{"entryPoint": "/bin/sh", "args": "-c 'echo hi'"},
			{"container-args": "--port=3000"},
		} {
			inv := runnerInvocation(t, a, step, with, job)
			if len(inv.args) != 0 {
				t.Errorf("%s step with %v: the runner starts the action with arguments %q", step, with, inv.args)
			}
			want := a.Runs.Entrypoint
			if step == "post" {
				want = "/usr/local/bin/" + postProgram
			}
			if inv.entrypoint != want || want == "" {
				t.Errorf("%s step with %v: entrypoint %q, want %q", step, with, inv.entrypoint, want)
			}
		}
	}
	// What the runner hands the container besides, for both steps; the
	// job's own HOME does not win.
	job.env["HOME"] = "/home/runner"
	for _, step := range []string{"main", "post"} {
		inv := runnerInvocation(t, a, step, map[string]string{"kubeconfig": job.workspace + "/kc.yaml", "context": "/home/runner/.kube/config"}, job)
		checkContainerEnv(t, a, step, inv, job)
	}
}

// checkContainerEnv checks what the runner hands a step's container
// besides its command line: HOME, the runner's files, the inputs as
// INPUT_*, paths translated where they are mounted and only there.
func checkContainerEnv(t *testing.T, a actionYAML, step string, inv invocation, job runnerJob) {
	t.Helper()
	for k, want := range map[string]string{
		"HOME":                     "/github/home",
		"GITHUB_WORKSPACE":         "/github/workspace",
		"GITHUB_EVENT_PATH":        "/github/workflow/event.json",
		"GITHUB_OUTPUT":            "/github/file_commands/set_output_1",
		"RUNNER_TEMP":              "/github/runner_temp",
		"INPUT_KUBECONFIG":         "/github/workspace/kc.yaml",          // a path under the workspace is rewritten
		"INPUT_CONTEXT":            "/home/runner/.kube/config",          // any other host path is not
		"INPUT_HOST-WORKSPACE":     `"/home/runner/work/app/app"`,        // quoted, so not rewritten
		"INPUT_SERVING-VERSION":    *a.Inputs["serving-version"].Default, // a default of action.yml
		"INPUT_GITHUB-TOKEN":       job.token,
		"INPUT_CONTAINER-ARGS":     "",
		"INPUT_COLD-START-SAMPLES": *a.Inputs["cold-start-samples"].Default,
	} {
		if got, ok := inv.env[k]; !ok || got != want {
			t.Errorf("%s step: %s=%q (set: %v), want %q", step, k, got, ok, want)
		}
	}
}

// Every input set to --help: a value, not a command line. The run stays in
// Actions mode, refuses the values it must with annotations, and never
// prints the command line's usage.
func TestEveryInputAsAFlagStaysAnInput(t *testing.T) {
	a := readActionYAML(t)
	with := map[string]string{}
	for name := range a.Inputs {
		with[name] = "--help"
	}
	with["args"], with["entryPoint"] = "--help", "--help"
	r := runStep(context.Background(), t, runnerInvocation(t, a, "main", with, defaultJob()), nil)
	if r.code != exitFailed || !strings.Contains(r.stdout, "::error::") || strings.Contains(r.stdout, "Usage:") || strings.Contains(r.stdout, "Flags of up") {
		t.Errorf("exit %d, want the inputs refused in Actions mode:\n%s", r.code, r.stdout)
	}
	post := runStep(context.Background(), t, runnerInvocation(t, a, "post", with, defaultJob()), nil)
	if post.code != exitOK || !strings.Contains(post.stdout, "post step: nothing to clean up (the inputs were not valid)") {
		t.Errorf("post step: exit %d:\n%s", post.code, post.stdout)
	}
}

// As the runner builds the container's environment, the job's env: cannot
// change HOME or the github and runner contexts' variables, and can set
// anything else.
func TestRunnerContextsOverTheJobsEnv(t *testing.T) {
	job := defaultJob()
	job.env = map[string]string{"HOME": "/home/runner", "GITHUB_EVENT_NAME": "workflow_dispatch", "RUNNER_ENVIRONMENT": "self-hosted", "KUBECONFIG": job.workspace + "/kc"}
	inv := runnerInvocation(t, readActionYAML(t), "main", map[string]string{"image": "app:1"}, job)
	for k, want := range map[string]string{"HOME": "/github/home", "GITHUB_EVENT_NAME": "push", "RUNNER_ENVIRONMENT": "github-hosted", "KUBECONFIG": "/github/workspace/kc", "INPUT_IMAGE": "app:1"} {
		if got := inv.env[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
