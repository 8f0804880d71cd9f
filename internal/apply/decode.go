package apply

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Decode parses a multi-document YAML (or JSON) manifest into objects,
// skipping empty documents and expanding v1 Lists. source names the manifest
// in errors.
func Decode(source string, data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%s: document %d is not valid YAML: %w", source, doc, err)
		}
		if len(raw) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: raw}
		if u.IsList() {
			list, err := u.ToList()
			if err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", source, doc, err)
			}
			for i := range list.Items {
				out = append(out, &list.Items[i])
			}
			continue
		}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("%s: document %d has no apiVersion, kind or metadata.name", source, doc)
		}
		out = append(out, u)
	}
}

// Dedupe keeps one object per kind, namespace and name: the last one, as a
// later manifest (serving-core after serving-crds) is the newer word.
func Dedupe(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	index := map[string]int{}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		k := o.GroupVersionKind().GroupKind().String() + "/" + o.GetNamespace() + "/" + o.GetName()
		if i, ok := index[k]; ok {
			out[i] = o
			continue
		}
		index[k] = len(out)
		out = append(out, o)
	}
	return out
}
