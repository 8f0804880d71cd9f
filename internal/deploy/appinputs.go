package deploy

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/knative-preview/action/internal/appfile"
	imageref "github.com/knative-preview/action/internal/image"
	"github.com/knative-preview/action/internal/input"
)

// appInputs are the inputs of a preview of a whole app: its Knative
// Services as the repository writes them, the images the job built, the
// objects beside them, and how long they may take.
var appInputs = []input.Def{
	{
		Name:        "service-file",
		Description: "Path, in the workspace, of YAML holding one or more Knative Services (serving.knative.dev/v1) as the repository writes them: probes, resources, volumes, a service account, sidecars, Services that call each other. Checked before anything is deployed: read strictly (an unknown field is an error naming its path), validated as Knative does, then dry-run on the cluster. The single-Service inputs (env, secret-env, port, container-args, min-scale, max-scale, concurrency, request-timeout, annotations, labels, service-account, visibility) apply to the first Service, or the one service names, over the file; image takes the place of every container image that says $IMAGE or is of its repository. Every Service is waited for and reported (output urls).",
	},
	{
		Name:        "images",
		Multiline:   true,
		Description: "More images the job built, one repository=reference per line (e.g. ghcr.io/acme/worker=ghcr.io/acme/worker:pr-7): each takes the place of every container image of that repository, whatever its tag or digest, in service-file and objects.",
	},
	{
		Name:        "objects",
		Multiline:   true,
		Description: "Plain Kubernetes objects of the app beside its Knative Services (ConfigMaps, Secrets, Deployments, StatefulSets, Services, Jobs, ...), with service-file: files or folders (their .yaml, .yml and .json files) in the workspace, one per line. Applied server-side into the preview's namespace before the Services, labelled, waited for (Deployments rolled out, StatefulSets and DaemonSets available, Jobs complete; a Job runs again on every deploy) and removed with the preview. Cluster-scoped objects and objects of another namespace are refused before anything is written. Not Knative's own release files (those are manifests-url).",
	},
	{
		Name:        "ready-timeout",
		Description: "How long a new revision, and each of the objects, may take to become ready: Knative's progress deadline of every new revision (serving.knative.dev/progress-deadline), after which Knative gives up and the run ends with the readiness probe's message and the container's last log lines. Whole seconds, as a Go duration (90s, 5m) or a number. Empty: Knative's default, 10m.",
	},
	{
		Name:        "measure-service",
		Description: "With service-file: the Service whose cold starts are measured and whose history is kept. Empty: the primary Service (the first, or service).",
	},
}

// acceptServiceFile says what input service-file accepts.
const acceptServiceFile = "a YAML file in the workspace of Knative Services (apiVersion serving.knative.dev/v1, kind Service), as kubectl apply takes them"

// parseApp reads the inputs of a whole app. In mode up the service file
// and the objects are read, the images put in and everything checked that
// can be without a cluster; in mode down they are read only to know what
// to remove, which a namespace of the pull request's own does not need.
// The primary Service (Service) becomes the file's first, or the one the
// service input names.
func parseApp(r *input.Reader, o *Options) {
	if d, ok := input.Check(r, "ready-timeout", seconds.Parse, "whole seconds as a Go duration (90s, 5m) or a number of seconds"); ok {
		o.ReadyTimeout = d
	}
	file := r.String("service-file")
	paths := r.Words("objects")
	images := parseImages(r, o.Image)
	measured := r.String("measure-service")
	if file == "" {
		for _, in := range []struct {
			name string
			set  bool
		}{{"images", len(images) > 0}, {"objects", len(paths) > 0}, {"measure-service", measured != ""}} {
			if in.set {
				r.Bad(in.name, "", "is for the app of service-file, which is empty", "service-file with it, or leave it out")
			}
		}
		return
	}
	if o.Tag != "" {
		r.Bad("tag", o.Tag, "previews one revision of one Service, while the app's other Services would keep calling each other's main routes", "no tag with service-file: namespace auto gives each pull request the whole app")
	}
	if o.Derived.PullRequest != nil && !o.Derived.OwnNamespace && o.Mode != ModeSweep {
		// The Services keep the file's names: two pull requests in one
		// namespace would write over each other's app, and the close of
		// one would remove what the other runs.
		r.Bad("namespace", o.Namespace, "is shared by every pull request, but the app of service-file keeps its Services' names, so the previews of two pull requests would write over each other", "auto: each pull request's app in a namespace of its own")
	}
	if o.Mode == ModeDown && o.Derived.OwnNamespace {
		return // the namespace goes as a whole: what is in it needs no file
	}
	if !workspaceFiles(r, append([]string{file}, paths...)) {
		return
	}
	mapped := make([]string, len(paths))
	for i, p := range paths {
		mapped[i] = workspacePath(r, p)
	}
	// Down asks only what is there, not what runs.
	load := appfile.Read
	if o.Mode == ModeUp {
		load = func(file string, paths []string, ns string) (*appfile.App, []appfile.Problem) {
			return appfile.Load(file, paths, appfile.Replacements{Image: o.Image, More: images}, ns)
		}
	}
	app, problems := load(workspacePath(r, file), mapped, o.Namespace)
	for _, p := range problems {
		r.Bad(p.Input, "", p.Text, acceptedBy(p.Input))
	}
	if len(problems) > 0 {
		return
	}
	app.File = file // as the user wrote it, for the plan
	o.App = app
	primary(r, o, measured)
}

// workspaceFiles checks that every path is in the workspace.
func workspaceFiles(r *input.Reader, paths []string) bool {
	ok := true
	for i, p := range paths {
		name := "objects"
		if i == 0 {
			name = "service-file"
		}
		ok = r.InWorkspace(name, workspacePath(r, p)) && ok
	}
	return ok
}

// workspacePath is where the action reads path: mapped from the runner's
// host (input.Reader.Path), and a relative path taken from the workspace
// (GITHUB_WORKSPACE, a container action's working directory; else the
// current directory), as kind-config is.
func workspacePath(r *input.Reader, path string) string {
	path = r.Path(path)
	if ws := r.Getenv("GITHUB_WORKSPACE"); ws != "" && !filepath.IsAbs(path) {
		return filepath.Join(ws, path)
	}
	return path
}

// primary makes the service input's Service, or the file's first, the
// primary, and checks that measure-service names one of the file's.
func primary(r *input.Reader, o *Options, measured string) {
	names := o.App.Names()
	if s := r.String("service"); s != "" {
		if !slices.Contains(names, s) {
			r.Bad("service", s, "is not a Service of service-file", "one of "+strings.Join(names, ", "))
		}
	} else {
		o.Service = names[0]
	}
	if measured != "" {
		if !slices.Contains(names, measured) {
			r.Bad("measure-service", measured, "is not a Service of service-file", "one of "+strings.Join(names, ", "))
		}
		o.Measured = measured
	}
}

// acceptedBy says what an input of the app accepts, for its problems.
func acceptedBy(name string) string {
	switch name {
	case "objects":
		return "namespaced Kubernetes objects without metadata.namespace (or with the preview's), in files or folders of the workspace"
	case "image":
		return "an image whose repository a container of service-file or objects runs, or that a container's image $IMAGE stands for"
	case "images":
		return "repository=reference lines whose repositories containers of service-file or objects run"
	}
	return acceptServiceFile
}

// parseImages reads the images input: repository=reference lines, the
// repository named once and the reference valid.
func parseImages(r *input.Reader, image string) []appfile.Replacement {
	const accepted = "one repository=reference per line, e.g. ghcr.io/acme/worker=ghcr.io/acme/worker:pr-7"
	var out []appfile.Replacement
	seen := map[string]int{}
	for _, p := range r.KeyValues("images") {
		repo := imageref.Name(p.Key)
		switch {
		case repo == "":
			r.Bad("images", "", fmt.Sprintf("line %d: %q is not a repository", p.Line, p.Key), accepted)
		case imageref.Check(p.Value) != nil:
			r.Bad("images", "", fmt.Sprintf("line %d: %q %v", p.Line, p.Value, imageref.Check(p.Value)), accepted)
		case seen[repo] > 0:
			r.Bad("images", "", fmt.Sprintf("line %d: repository %s is named again (first on line %d)", p.Line, repo, seen[repo]), accepted)
		case imageref.Name(image) == repo:
			r.Bad("images", "", fmt.Sprintf("line %d: repository %s is input image's", p.Line, repo), "the image input's repository in image only")
		default:
			seen[repo] = p.Line
			out = append(out, appfile.Replacement{Repository: p.Key, Ref: p.Value, Line: p.Line})
		}
	}
	return out
}

// registryImage is the image whose registry the registry login is for:
// the image input's, else the primary Service's first container's (the
// job's image when images named it).
func (o Options) registryImage() string {
	if o.Image == "" && o.App != nil {
		if s := o.App.Service(o.Service); s != nil && len(s.Spec.Template.Spec.Containers) > 0 {
			return s.Spec.Template.Spec.Containers[0].Image
		}
	}
	return o.Image
}
