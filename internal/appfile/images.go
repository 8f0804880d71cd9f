package appfile

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/image"
)

// placeholder is what a container's image says to run the image input.
const placeholder = "$IMAGE"

// Replacements say which image each container runs: the image input takes
// the place of every container image that says $IMAGE or whose repository
// is the image input's (tag and digest ignored), and each further
// replacement that of every container image whose repository it names.
// A container image that none names is run as written.
type Replacements struct {
	// Image is the image input; empty when there is none.
	Image string
	// More are the further replacements, in the order given.
	More []Replacement
}

// Replacement is one repository=reference line.
type Replacement struct {
	// Repository is the repository as given; Ref the image to run.
	Repository, Ref string
	// Line is its line in the input, for problems.
	Line int
}

// rule is the image input (-1) or a Replacement (its index).
type rule int

const imageRule rule = -1

// replace is what runs instead of ref, and which rule says so.
func (r Replacements) replace(ref string) (string, rule, bool) {
	if ref == placeholder && r.Image != "" {
		return r.Image, imageRule, true
	}
	repo := image.Name(ref)
	if repo == "" {
		return "", 0, false
	}
	for i, m := range r.More {
		if image.Name(m.Repository) == repo {
			return m.Ref, rule(i), true
		}
	}
	if r.Image != "" && image.Name(r.Image) == repo {
		return r.Image, imageRule, true
	}
	return "", 0, false
}

// Apply puts the images into the containers (init containers included)
// of the Services and of the objects' pod templates. Its problems: a
// container that says $IMAGE without an image input, and a replacement
// (or an image input) that no container's image names, which would leave
// the app running something the job did not build.
func (r Replacements) Apply(svcs []*servingv1.Service, objs []*unstructured.Unstructured) []Problem {
	used := map[rule]bool{}
	var problems []Problem
	put := func(where string, img *string) {
		if to, by, ok := r.replace(*img); ok {
			*img, used[by] = to, true
			return
		}
		if *img == placeholder {
			problems = append(problems, Problem{"image", fmt.Sprintf("is empty, and %s says image %s", where, placeholder)})
		}
	}
	for _, s := range svcs {
		EachContainer(&s.Spec.Template.Spec.PodSpec, func(c *corev1.Container) {
			put(fmt.Sprintf("Service %s, container %s", s.Name, orIndex(c.Name)), &c.Image)
		})
	}
	for _, o := range objs {
		EditContainers(o, func(c map[string]any) {
			img, _ := c["image"].(string)
			name, _ := c["name"].(string)
			put(fmt.Sprintf("%s, container %s", Describe(o), orIndex(name)), &img)
			c["image"] = img
		})
	}
	if r.Image != "" && !used[imageRule] {
		problems = append(problems, Problem{"image", fmt.Sprintf("%s: no container's image says %s or is of its repository %s", r.Image, placeholder, image.Name(r.Image))})
	}
	for i, m := range r.More {
		if !used[rule(i)] {
			problems = append(problems, Problem{"images", fmt.Sprintf("line %d: no container's image is of repository %s", m.Line, m.Repository)})
		}
	}
	return problems
}

func orIndex(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return name
}

// eachContainer calls f with every init container and container of spec.
func EachContainer(spec *corev1.PodSpec, f func(*corev1.Container)) {
	for i := range spec.InitContainers {
		f(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		f(&spec.Containers[i])
	}
}

// podSpecPaths are where objects keep the spec of the pods they make:
// workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, and
// custom ones of the same shape) and CronJobs; a Pod is one.
var podSpecPaths = [][]string{
	{"spec", "template", "spec"},
	{"spec", "jobTemplate", "spec", "template", "spec"},
}

// EditPodSpecs calls f with every pod spec o holds (a workload's
// template, a CronJob's, a Pod's own), and keeps what f changed.
func EditPodSpecs(o *unstructured.Unstructured, f func(spec map[string]any)) {
	paths := podSpecPaths
	if o.GetKind() == "Pod" && o.GroupVersionKind().Group == "" {
		paths = [][]string{{"spec"}}
	}
	for _, p := range paths {
		spec, ok, err := unstructured.NestedMap(o.Object, p...)
		if !ok || err != nil {
			continue
		}
		f(spec)
		_ = unstructured.SetNestedMap(o.Object, spec, p...)
	}
}

// EditContainers calls f with every container (init containers first) of
// the pod specs o holds, and keeps what f changed.
func EditContainers(o *unstructured.Unstructured, f func(map[string]any)) {
	EditPodSpecs(o, func(spec map[string]any) {
		for _, field := range []string{"initContainers", "containers"} {
			list, _ := spec[field].([]any)
			for _, item := range list {
				if c, ok := item.(map[string]any); ok {
					f(c)
				}
			}
		}
	})
}

// ContainerImages are the distinct images the Services' and the objects'
// containers run, in the order they appear.
func ContainerImages(svcs []*servingv1.Service, objs []*unstructured.Unstructured) []string {
	var out []string
	add := func(img string) {
		if img != "" && !slices.Contains(out, img) {
			out = append(out, img)
		}
	}
	for _, s := range svcs {
		EachContainer(&s.Spec.Template.Spec.PodSpec, func(c *corev1.Container) { add(c.Image) })
	}
	for _, o := range objs {
		EditContainers(o, func(c map[string]any) {
			img, _ := c["image"].(string)
			add(img)
		})
	}
	return out
}
