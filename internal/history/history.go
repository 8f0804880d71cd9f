// Package history keeps the figures of a service's recent runs in a
// ConfigMap beside the service, so that a scheduled check can show a trend
// and compare a run with the ones before it. The ConfigMap stays well under
// Kubernetes' 1 MiB object limit however many runs are kept, and runs that
// record at the same time each keep their point.
package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/regression"
	"github.com/knative-preview/action/internal/report"
)

// key is the ConfigMap's data key holding the history: a JSON list of
// report.Point, oldest first.
const key = "history.json"

// errCorrupt is wrapped by the error of a history whose data is not a list
// of runs. Record then starts the history afresh and returns the new one
// with that error: a warning, not a failure.
var errCorrupt = errors.New("the history is unreadable")

// ConfigMapName is the name of the history ConfigMap of service: a
// Service's name, or "<service>.<tag>" for a tagged preview (deploy's
// Options.Preview). Either is at most 63 characters, so this is always a
// valid ConfigMap name (a DNS subdomain, at most 253).
func ConfigMapName(service string) string { return service + "-" + buildinfo.Name + "-history" }

// historyLabel names whose history a ConfigMap is. It is not Knative's
// service label: the history is no part of the Service, and mode down
// (which keeps a namespace that holds anything else) must leave it, so that
// a check that tears its Service down still remembers.
const historyLabel = buildinfo.Name + "/history-of"

// labels mark the ConfigMap as ours and as service's history.
func labels(service string) map[string]string {
	return map[string]string{kube.ManagedByLabel: kube.ManagedByValue, historyLabel: service}
}

// PointOf is the point of one run's report: its cold-start median and p95
// with the samples they summarise, its ready time and its warm p50 with
// the warm requests' times. What did not run is left 0 and empty.
func PointOf(r *report.Report) report.Point {
	p := report.Point{Time: r.Time, Commit: r.HeadCommit()}
	if r.Service != nil {
		p.Revision = r.Service.Revision
		p.ReadySeconds = r.Service.ReadySeconds
	}
	if m := r.Measure; m != nil {
		p.ColdStartMedianMs, p.ColdStartP95Ms, p.WarmP50Ms = m.Cold.Median, m.Cold.P95, m.Warm.Median
		s := regression.SamplesOf(r)
		p.ColdStartMs, p.WarmMs = s.ColdStartMs, s.WarmMs
	}
	return p
}

// Read returns service's history in namespace, oldest first; empty when
// there is none yet.
func Read(ctx context.Context, cs kubernetes.Interface, namespace, service string) ([]report.Point, error) {
	if err := CheckName(service); err != nil {
		return nil, fmt.Errorf("no history: %w", err)
	}
	name := ConfigMapName(service)
	cm, err := kube.Get(ctx, func(ctx context.Context) (*corev1.ConfigMap, error) {
		return cs.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
	})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the history of service %s (ConfigMap %s/%s): %w%s", service, namespace, name, err, advice(err, "get"))
	}
	if err := ours(cm); err != nil {
		return nil, err
	}
	ps, err := decode(cm)
	if err != nil {
		return nil, fmt.Errorf("%w; the next run that records history starts it afresh, or delete the ConfigMap", err)
	}
	return ps, nil
}

// Record adds p to service's history in namespace and keeps the last size
// runs (DefaultSize when size is out of 1..maxSize), as many of them as fit
// in budget. It returns the history kept, oldest first, p last.
//
// The first run creates the ConfigMap; later ones apply it server-side on
// the resourceVersion they read, so when two runs record at once one of
// them is refused, reads again and adds its point to the other's. A write
// whose answer was lost is tried again only when p is not in the history.
func Record(ctx context.Context, cs kubernetes.Interface, namespace, service string, p report.Point, size int) ([]report.Point, error) {
	if err := CheckName(service); err != nil {
		return nil, fmt.Errorf("no history: %w", err)
	}
	if size < 1 || size > maxSize {
		size = DefaultSize
	}
	name := ConfigMapName(service)
	cms := cs.CoreV1().ConfigMaps(namespace)
	var kept []report.Point
	var corrupt error
	// Again when another run created the ConfigMap first (AlreadyExists)
	// or wrote it since we read it (Conflict), or on an error that may
	// pass: the next try reads what is there.
	again := kube.Requester{Classify: func(err error) (time.Duration, bool) {
		return 0, apierrors.IsAlreadyExists(err) || kube.Transient(err)
	}}
	err := again.Do(ctx, func(ctx context.Context) error {
		cur, err := cms.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cur, err = nil, nil
		}
		if err != nil {
			return err
		}
		var old []report.Point
		corrupt = nil
		if cur != nil {
			if err := ours(cur); err != nil {
				return err
			}
			if old, err = decode(cur); err != nil {
				old, corrupt = nil, err
			}
		}
		if slices.ContainsFunc(old, func(q report.Point) bool { return reflect.DeepEqual(trim(q), trim(p)) }) {
			// An earlier try wrote it, and its answer was lost.
			kept, _ = bound(old, size)
			return nil
		}
		var data []byte
		kept, data = bound(append(old, p), size)
		if cur == nil {
			// Create, not apply: it fails when another run created the
			// ConfigMap first, whose point would otherwise be lost.
			_, err = cms.Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels(service)},
				Data:       map[string]string{key: string(data)},
			}, metav1.CreateOptions{FieldManager: kube.FieldManager})
			return err
		}
		cm := corev1ac.ConfigMap(name, namespace).
			WithResourceVersion(cur.ResourceVersion).
			WithLabels(labels(service)).
			WithData(map[string]string{key: string(data)})
		_, err = cms.Apply(ctx, cm, metav1.ApplyOptions{FieldManager: kube.FieldManager, Force: true})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("recording this run in the history of service %s (ConfigMap %s/%s): %w%s", service, namespace, name, err, advice(err, "get, create and patch"))
	}
	if corrupt != nil {
		return kept, fmt.Errorf("%w; it was started afresh with this run", corrupt)
	}
	return kept, nil
}

// CheckName refuses a name whose history cannot be kept: a preview's is a
// Knative Service name (a DNS-1035 label), or "<service>.<tag>" for a
// tagged one (deploy's Options.Preview), at most 63 characters either way.
func CheckName(name string) error {
	svc, tag, tagged := strings.Cut(name, ".")
	msgs := validation.IsDNS1035Label(svc)
	if tagged {
		msgs = append(msgs, validation.IsDNS1035Label(tag)...)
		if len(name) > validation.DNS1035LabelMaxLength {
			msgs = append(msgs, fmt.Sprintf("must be no more than %d characters", validation.DNS1035LabelMaxLength))
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%q is not a Knative Service name, nor a tagged preview's <service>.<tag> (%s)", name, strings.Join(msgs, "; "))
	}
	return nil
}

// ours refuses a ConfigMap of that name that this action did not make.
func ours(cm *corev1.ConfigMap) error {
	if cm.Labels[kube.ManagedByLabel] != kube.ManagedByValue {
		return fmt.Errorf("ConfigMap %s/%s exists and was not created by this action (no label %s=%s); it is left alone: delete or rename it to keep this service's history there", cm.Namespace, cm.Name, kube.ManagedByLabel, kube.ManagedByValue)
	}
	return nil
}

// decode reads the history a ConfigMap holds; a missing or blank key is an
// empty history.
func decode(cm *corev1.ConfigMap) ([]report.Point, error) {
	data := cm.Data[key]
	if strings.TrimSpace(data) == "" {
		return nil, nil
	}
	var ps []report.Point
	if err := json.Unmarshal([]byte(data), &ps); err != nil {
		return nil, fmt.Errorf("%w: key %s of ConfigMap %s/%s is not a JSON list of runs (%v)", errCorrupt, key, cm.Namespace, cm.Name, err)
	}
	return ps, nil
}

// advice says what the user can do about err, with the verbs the request
// needed on ConfigMaps.
func advice(err error, verbs string) string {
	if apierrors.IsForbidden(err) {
		return fmt.Sprintf(" (the credentials need %s on configmaps in this namespace; or set history: off)", verbs)
	}
	return ""
}

// Forget deletes service's history, as a removed pull request's preview
// leaves none behind; a history that is not there, or not this action's,
// is left as it is.
func Forget(ctx context.Context, cs kubernetes.Interface, namespace, service string) error {
	if err := CheckName(service); err != nil {
		return fmt.Errorf("no history: %w", err)
	}
	name := ConfigMapName(service)
	cms := cs.CoreV1().ConfigMaps(namespace)
	cm, err := kube.Get(ctx, func(ctx context.Context) (*corev1.ConfigMap, error) {
		return cms.Get(ctx, name, metav1.GetOptions{})
	})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("reading ConfigMap %s/%s to delete the history: %w%s", namespace, name, err, advice(err, "get and delete"))
	case ours(cm) != nil:
		return nil
	}
	err = kube.Request(ctx, func(ctx context.Context) error { return cms.Delete(ctx, name, metav1.DeleteOptions{}) })
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the history ConfigMap %s/%s: %w%s", namespace, name, err, advice(err, "get and delete"))
	}
	return nil
}
