// Package appfile reads an app as its repository writes it for Knative: the
// Knative Services of a service file, read strictly (an unknown field is an
// error naming its path) and checked with Knative Serving's own defaulting
// and validation, and the plain namespaced objects beside them (ConfigMaps,
// Deployments, Jobs, ...); and it puts the images the job built into both.
// It contacts nothing: the server's dry run is the deploy's.
package appfile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"knative.dev/pkg/apis"
	servingconfig "knative.dev/serving/pkg/apis/config"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// serviceAPIVersion and serviceKind are what a document of a service file
// must be.
var serviceAPIVersion = servingv1.SchemeGroupVersion.String()

const serviceKind = "Service"

// maxDocuments bounds the documents one file may hold: an app is a few.
const maxDocuments = 500

// document is one YAML document of a file, as JSON.
type document struct {
	// n counts the file's documents from 1, empty ones included.
	n    int
	json []byte
	meta metav1.TypeMeta
	name string
}

// where names the document in a problem: its number, and its kind and
// name when it has them.
func (d document) where() string {
	if d.name != "" && d.meta.Kind != "" {
		return fmt.Sprintf("document %d (%s %s)", d.n, d.meta.Kind, d.name)
	}
	return fmt.Sprintf("document %d", d.n)
}

// documents splits data into its non-empty YAML (or JSON) documents, each
// as JSON; a document that is not YAML, or holds a key twice, is a problem.
func documents(data []byte) ([]document, []string) {
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []document
	var problems []string
	for n := 1; ; n++ {
		raw, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out, problems
		}
		if err != nil {
			return out, append(problems, fmt.Sprintf("document %d: cannot be read: %v", n, err))
		}
		if n > maxDocuments {
			return out, append(problems, fmt.Sprintf("has more than %d documents", maxDocuments))
		}
		js, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %d is not valid YAML: %v", n, err))
			continue
		}
		if t := bytes.TrimSpace(js); len(t) == 0 || string(t) == "null" || string(t) == "{}" {
			continue
		}
		d := document{n: n, json: js}
		var head struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(js, &head); err != nil {
			problems = append(problems, fmt.Sprintf("document %d is not an object (apiVersion, kind, metadata, ...): %v", n, err))
			continue
		}
		d.meta, d.name = head.TypeMeta, head.Metadata.Name
		out = append(out, d)
	}
}

// ReadServices reads the Knative Services of a service file, strictly: a
// document that is not a serving.knative.dev/v1 Service, a field its type
// does not have (named by its path, e.g.
// spec.template.spec.containers[0].imagePullPolcy), a key written twice
// or a value of the wrong type is a problem. Every problem is one line of
// the list returned, naming its document; the Services are those read
// without one, in the file's order.
func ReadServices(data []byte) ([]*servingv1.Service, []string) {
	docs, problems := documents(data)
	var out []*servingv1.Service
	for _, d := range docs {
		if d.meta.APIVersion != serviceAPIVersion || d.meta.Kind != serviceKind {
			problems = append(problems, fmt.Sprintf("%s is a %s %q, not a Knative Service (apiVersion %s, kind %s): other objects go in input objects",
				d.where(), orNone(d.meta.Kind), d.meta.APIVersion, serviceAPIVersion, serviceKind))
			continue
		}
		svc := &servingv1.Service{}
		strict, err := kjson.UnmarshalStrict(d.json, svc)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", d.where(), err))
			continue
		}
		for _, e := range strict {
			problems = append(problems, fmt.Sprintf("%s: %v", d.where(), e))
		}
		if len(strict) == 0 {
			out = append(out, svc)
		}
	}
	return out, problems
}

func orNone(s string) string {
	if s == "" {
		return "document without kind"
	}
	return s
}

// validate checks each Service as Knative Serving's admission webhook does:
// defaulted, then validated, in namespace. The features config-features
// can switch on (init containers, volumes of several kinds, ...) are all
// allowed here, so a problem is one no cluster accepts; what the target
// cluster's own configuration refuses is left to its dry run. The Services
// are not changed.
func validate(svcs []*servingv1.Service, namespace string) []string {
	ctx := servingconfig.ToContext(context.Background(), permissive())
	var problems []string
	for i, s := range svcs {
		c := s.DeepCopy()
		c.Namespace = namespace
		c.SetDefaults(apis.WithinCreate(ctx))
		// Warnings ("Kubernetes default value is insecure") are the
		// webhook's to give; only errors refuse.
		if fe := c.Validate(apis.WithinCreate(ctx)).Filter(apis.ErrorLevel); fe != nil {
			for _, line := range strings.Split(fe.Error(), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					problems = append(problems, fmt.Sprintf("Service %s: %s", nameOr(s.Name, i), line))
				}
			}
		}
	}
	return problems
}

func nameOr(name string, i int) string {
	if name == "" {
		return fmt.Sprintf("number %d (without a name)", i+1)
	}
	return name
}

// permissive is Knative's default configuration with every feature flag
// of config-features enabled.
func permissive() *servingconfig.Config {
	features, _ := servingconfig.NewFeaturesConfigFromMap(map[string]string{})
	defaults, _ := servingconfig.NewDefaultsConfigFromMap(map[string]string{})
	v := reflect.ValueOf(features).Elem()
	flag := reflect.TypeOf(servingconfig.Enabled)
	for i := 0; i < v.NumField(); i++ {
		// Secure pod defaults change what defaulting adds, not what is
		// allowed: it keeps its default.
		if f := v.Field(i); f.Type() == flag && v.Type().Field(i).Name != "SecurePodDefaults" {
			f.Set(reflect.ValueOf(servingconfig.Enabled))
		}
	}
	return &servingconfig.Config{Defaults: defaults, Features: features}
}
