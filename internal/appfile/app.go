package appfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/input"
)

// App is a preview's whole app: its Knative Services, in the service
// file's order, and the plain objects beside them, with the images put in.
type App struct {
	// File is the service file as the input named it.
	File string
	// Services are the file's Knative Services.
	Services []*servingv1.Service
	// Objects are the plain objects applied beside them.
	Objects []*unstructured.Unstructured
}

// Names are the Services' names, in the file's order.
func (a *App) Names() []string {
	out := make([]string, len(a.Services))
	for i, s := range a.Services {
		out[i] = s.Name
	}
	return out
}

// Service is the Service named name, or nil.
func (a *App) Service(name string) *servingv1.Service {
	for _, s := range a.Services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Images are the distinct images the app's containers run.
func (a *App) Images() []string { return ContainerImages(a.Services, a.Objects) }

// File is one file read: its path as given (or found in a folder) and its
// content.
type File struct {
	Path string
	Data []byte
}

// maxFileSize bounds a file read: an app's YAML is kilobytes.
const maxFileSize = 4 << 20

// readFiles reads each path: a file, or a folder's .yaml, .yml and .json
// files (not those of its sub-folders), in name order, as kubectl apply
// -f does. A path that cannot be read, or a folder without such a file, is
// a problem.
func readFiles(paths []string) ([]File, []string) {
	var out []File
	var problems []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s cannot be read: %v", p, unwrapPath(err)))
			continue
		}
		files := []string{p}
		if st.IsDir() {
			files = nil
			entries, err := os.ReadDir(p)
			if err != nil {
				problems = append(problems, fmt.Sprintf("the folder %s cannot be read: %v", p, unwrapPath(err)))
				continue
			}
			for _, e := range entries {
				ext := strings.ToLower(filepath.Ext(e.Name()))
				switch {
				case e.IsDir() || !slices.Contains([]string{".yaml", ".yml", ".json"}, ext):
				case e.Type()&fs.ModeSymlink != 0:
					// The folder was checked to be in the workspace; where a
					// link in it leads was not.
					problems = append(problems, fmt.Sprintf("%s is a symbolic link: name the file it leads to instead, so that it is checked to be in the workspace", filepath.Join(p, e.Name())))
				default:
					files = append(files, filepath.Join(p, e.Name()))
				}
			}
			if len(files) == 0 {
				problems = append(problems, fmt.Sprintf("the folder %s holds no .yaml, .yml or .json file", p))
			}
		}
		for _, f := range files {
			data, err := readFile(f)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			out = append(out, File{Path: f, Data: data})
		}
	}
	return out, problems
}

// readFile reads a file of at most maxFileSize.
func readFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s cannot be read: %v", path, unwrapPath(err))
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a file", path)
	case st.Size() > maxFileSize:
		return nil, fmt.Errorf("%s is larger than %d MiB: is it the app's YAML?", path, maxFileSize>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be read: %v", path, unwrapPath(err))
	}
	return data, nil
}

// unwrapPath drops the path a *PathError repeats.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// clean makes problems fit for the log: a control character a file holds
// is escaped.
func clean(problems []string) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = input.Printable(p)
	}
	return out
}

// Problem is one thing wrong with the app, and the input it is about.
type Problem struct {
	// Input is service-file, objects, image or images.
	Input string
	Text  string
}

// Read reads the service file and the objects' files (paths as given)
// and checks what they hold without a cluster: the Services read strictly
// (the objects as apply reads them; the server's dry run checks their
// fields against the cluster's schema), a namespace other than the preview's, a cluster-scoped object, a file
// without a Service, a name given twice. It returns every problem at
// once, and what it could read.
func Read(serviceFile string, objectPaths []string, namespace string) (*App, []Problem) {
	var problems []Problem
	add := func(in string, texts ...string) {
		for _, t := range clean(texts) {
			problems = append(problems, Problem{Input: in, Text: t})
		}
	}
	app := &App{File: serviceFile}
	data, err := readFile(serviceFile)
	if err != nil {
		add("service-file", err.Error())
	} else {
		svcs, ps := ReadServices(data)
		add("service-file", ps...)
		if len(svcs) == 0 && len(ps) == 0 {
			add("service-file", serviceFile+" holds no Knative Service (apiVersion "+serviceAPIVersion+", kind "+serviceKind+")")
		}
		add("service-file", checkServices(svcs, namespace)...)
		app.Services = svcs
	}
	files, ps := readFiles(objectPaths)
	add("objects", ps...)
	for _, f := range files {
		objs, ps := ReadObjects(f.Path, f.Data)
		add("objects", ps...)
		app.Objects = append(app.Objects, objs...)
	}
	add("objects", checkObjects(app.Objects, namespace)...)
	return app, problems
}

// Load is Read, then the images put in and the Services checked by
// Knative's own validation: what a deploy needs. Every problem at once;
// the App is nil when there is one.
func Load(serviceFile string, objectPaths []string, images Replacements, namespace string) (*App, []Problem) {
	app, problems := Read(serviceFile, objectPaths, namespace)
	if len(problems) > 0 {
		// Images checked against half the app would be wrong: a
		// replacement would seem to match nothing.
		return nil, problems
	}
	for _, p := range images.Apply(app.Services, app.Objects) {
		problems = append(problems, Problem{Input: p.Input, Text: clean([]string{p.Text})[0]})
	}
	// Knative's validation would only repeat what is wrong already (an
	// image that still says $IMAGE, say): it runs on Services whose
	// images are in.
	if len(problems) == 0 {
		for _, t := range clean(validate(app.Services, namespace)) {
			problems = append(problems, Problem{Input: "service-file", Text: t})
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return app, nil
}

// checkServices refuses a Service without a name, one named twice, and one
// that names another namespace than the preview's.
func checkServices(svcs []*servingv1.Service, namespace string) []string {
	var problems []string
	seen := map[string]bool{}
	for i, s := range svcs {
		switch {
		case s.Name == "":
			problems = append(problems, fmt.Sprintf("Service number %d has no metadata.name", i+1))
		case seen[s.Name]:
			problems = append(problems, fmt.Sprintf("Service %s is given twice", s.Name))
		case s.Namespace != "" && s.Namespace != namespace:
			problems = append(problems, fmt.Sprintf("Service %s names namespace %s: the preview's Services run in its namespace (%s); leave metadata.namespace out", s.Name, s.Namespace, namespace))
		}
		seen[s.Name] = true
	}
	return problems
}
