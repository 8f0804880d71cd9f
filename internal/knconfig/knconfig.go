// Package knconfig reads the serving-config input (Knative ConfigMap name to
// data overrides) and checks it with Knative's own parsers before anything
// is applied.
package knconfig

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	netcfg "knative.dev/networking/pkg/config"
	servingcfg "knative.dev/serving/pkg/apis/config"
	autoscalercfg "knative.dev/serving/pkg/autoscaler/config"
	"knative.dev/serving/pkg/deployment"
	"knative.dev/serving/pkg/gc"
	domaincfg "knative.dev/serving/pkg/reconciler/route/config"
	"sigs.k8s.io/yaml"
)

// Overrides maps a Knative Serving ConfigMap name to the data keys to set.
type Overrides map[string]map[string]string

// validators check one ConfigMap's data the way Knative's components read
// it. ConfigMaps with no validator here are still accepted; Knative's
// configuration webhook checks them when they are applied.
var validators = map[string]func(data map[string]string) error{
	autoscalercfg.ConfigName:      func(d map[string]string) error { _, err := autoscalercfg.NewConfigFromMap(d); return err },
	servingcfg.DefaultsConfigName: func(d map[string]string) error { _, err := servingcfg.NewDefaultsConfigFromMap(d); return err },
	servingcfg.FeaturesConfigName: func(d map[string]string) error { _, err := servingcfg.NewFeaturesConfigFromMap(d); return err },
	deployment.ConfigName:         func(d map[string]string) error { _, err := deployment.NewConfigFromMap(d); return err },
	netcfg.ConfigMapName:          func(d map[string]string) error { _, err := netcfg.NewConfigFromMap(d); return err },
	gc.ConfigName: func(d map[string]string) error {
		_, err := gc.NewConfigFromConfigMapFunc(context.Background())(cm(d))
		return err
	},
	domaincfg.DomainConfigName: func(d map[string]string) error { _, err := domaincfg.NewDomainFromConfigMap(cm(d)); return err },
	"config-logging":           nil,
	"config-observability":     nil,
	"config-tracing":           nil,
	"config-leader-election":   nil,
	"config-certmanager":       nil,
}

// names lists the ConfigMaps serving-config may set.
func names() []string {
	names := make([]string, 0, len(validators))
	for n := range validators {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func cm(d map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{Data: d}
}

// Parse reads serving-config: a YAML mapping of ConfigMap name to a mapping
// of keys to values (numbers and booleans are taken as their text), and
// checks every ConfigMap with Knative's parsers. It reports every problem.
func Parse(text string) (Overrides, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var raw map[string]map[string]any
	if err := yaml.UnmarshalStrict([]byte(text), &raw); err != nil {
		return nil, errors.New(oneLine(fmt.Sprintf("not a YAML mapping of ConfigMap name to a mapping of keys to values (e.g. config-features: {kubernetes.podspec-affinity: enabled}): %v", err)))
	}
	out := Overrides{}
	var errs []error
	for _, name := range sortedKeys(raw) {
		if _, ok := validators[name]; !ok {
			errs = append(errs, fmt.Errorf("%q is not a Knative Serving ConfigMap (accepted: %s)", name, strings.Join(names(), ", ")))
			continue
		}
		data := map[string]string{}
		for k, v := range raw[name] {
			s, err := scalar(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: key %q: %v", name, k, err))
				continue
			}
			data[k] = s
		}
		if err := Validate(name, data); err != nil {
			errs = append(errs, err)
			continue
		}
		out[name] = data
	}
	for i, err := range errs {
		errs[i] = errors.New(oneLine(err.Error()))
	}
	return out, errors.Join(errs...)
}

// oneLine is a message as one line without control characters: each
// problem reaches the log as one line, and the YAML parser's and Knative's
// messages may span several or quote the text as it is.
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	s = strings.Join(lines, " ")
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// Validate checks data as Knative would read ConfigMap name.
func Validate(name string, data map[string]string) error {
	v, ok := validators[name]
	if !ok || v == nil {
		return nil
	}
	if err := v(data); err != nil {
		return fmt.Errorf("%s: Knative rejects this data: %v", name, err)
	}
	return nil
}

func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("value must be text, a number or a boolean, not %T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
