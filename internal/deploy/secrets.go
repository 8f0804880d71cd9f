package deploy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// ownSecret is a Secret this action keeps for a preview: created before
// the revision that reads it, owned by the Service, written on every run.
type ownSecret struct {
	name string
	typ  corev1.SecretType
	data map[string][]byte
	// what names its content in errors.
	what string
}

// ownSecrets are the Secrets the options ask for.
func (o Options) ownSecrets() []ownSecret {
	var out []ownSecret
	if len(o.SecretEnv) > 0 {
		data := map[string][]byte{}
		for _, e := range o.SecretEnv {
			data[e.Name] = []byte(e.Value)
		}
		out = append(out, ownSecret{name: o.secretName(), typ: corev1.SecretTypeOpaque, data: data, what: "the secret-env variables"})
	}
	if o.Registry != nil {
		out = append(out, ownSecret{
			name: o.registrySecretName(),
			typ:  corev1.SecretTypeDockerConfigJson,
			data: map[string][]byte{corev1.DockerConfigJsonKey: o.Registry.dockerConfigJSON()},
			what: "the registry login",
		})
	}
	return out
}

// dockerConfigJSON is the login as a .dockerconfigjson: the one registry
// in auths, with the user name and password also joined in auth, which
// is what kubelet and Knative's tag resolution read.
func (a *RegistryAuth) dockerConfigJSON() []byte {
	type entry struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Auth     string `json:"auth"`
	}
	cfg := struct {
		Auths map[string]entry `json:"auths"`
	}{Auths: map[string]entry{a.Server: {
		Username: a.Username,
		Password: a.Password,
		Auth:     base64.StdEncoding.EncodeToString([]byte(a.Username + ":" + a.Password)),
	}}}
	raw, err := json.Marshal(cfg)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return raw
}

// ensureSecret writes s, owned by owner when given. It refuses to take over
// a Secret this action did not create. Errors never carry the values.
func ensureSecret(ctx context.Context, cs kubernetes.Interface, o Options, s ownSecret, owner *servingv1.Service) error {
	var refs []metav1.OwnerReference
	if owner != nil {
		refs = []metav1.OwnerReference{{
			APIVersion: servingv1.SchemeGroupVersion.String(),
			Kind:       "Service",
			Name:       owner.Name,
			UID:        owner.UID,
		}}
	}
	secrets := cs.CoreV1().Secrets(o.Namespace)
	// Again when another run created the Secret between our read and our
	// create (AlreadyExists, also a create whose answer was lost) or
	// updated it between our read and our update (Conflict), or on an
	// error that may pass: the next try reads what is there.
	again := kube.Requester{Classify: func(err error) (time.Duration, bool) {
		return 0, apierrors.IsAlreadyExists(err) || kube.Transient(err)
	}}
	err := again.Do(ctx, func(ctx context.Context) error {
		cur, err := secrets.Get(ctx, s.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = secrets.Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{
					Name: s.name, Namespace: o.Namespace,
					Labels:          ownSecretLabels(o.Service),
					OwnerReferences: refs,
				},
				Type: s.typ,
				Data: s.data,
			}, metav1.CreateOptions{})
			return err
		}
		if err != nil {
			return err
		}
		if !ownedSecret(cur, o.Service) {
			return fmt.Errorf("secret %s/%s exists and is not this action's for Knative Service %s (labels %s=%s and %s=%s); it is left alone: delete it or use another service name", o.Namespace, s.name, o.Service, kube.ManagedByLabel, kube.ManagedByValue, serviceLabel, o.Service)
		}
		if cur.Type != s.typ {
			return fmt.Errorf("secret %s/%s is of type %s, not %s (a type cannot change): delete it (kubectl delete secret -n %s %s) and run again", o.Namespace, s.name, cur.Type, s.typ, o.Namespace, s.name)
		}
		cur.Data = s.data
		cur.StringData = nil
		if refs != nil {
			cur.OwnerReferences = refs
		}
		_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("writing %s into Secret %s/%s: %w", s.what, o.Namespace, s.name, err)
	}
	return nil
}

// ownSecretLabels mark a Secret as this action's, for the Service.
func ownSecretLabels(service string) map[string]string {
	return map[string]string{kube.ManagedByLabel: kube.ManagedByValue, serviceLabel: service}
}

// ownedSecret reports whether s is this action's Secret for service.
func ownedSecret(s *corev1.Secret, service string) bool {
	return s.Labels[kube.ManagedByLabel] == kube.ManagedByValue && s.Labels[serviceLabel] == service
}

// deleteSecrets deletes the Secrets of this action named names, or with
// names nil every Secret of this action for the Service. The Service owns
// them, so they go with it; this removes those a failed run left without
// their owner, and a tag's, whose Service stays.
func deleteSecrets(ctx context.Context, cs kubernetes.Interface, o Options, names []string, l log.Logger) error {
	secrets := cs.CoreV1().Secrets(o.Namespace)
	var found []corev1.Secret
	if names == nil {
		sel := labels.SelectorFromSet(ownSecretLabels(o.Service)).String()
		list, err := kube.Get(ctx, func(ctx context.Context) (*corev1.SecretList, error) {
			return secrets.List(ctx, metav1.ListOptions{LabelSelector: sel})
		})
		if err != nil {
			return fmt.Errorf("listing the Secrets of Knative Service %s/%s: %w", o.Namespace, o.Service, err)
		}
		found = list.Items
	}
	for _, name := range names {
		s, err := kube.Get(ctx, func(ctx context.Context) (*corev1.Secret, error) {
			return secrets.Get(ctx, name, metav1.GetOptions{})
		})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("reading Secret %s/%s before deleting it: %w", o.Namespace, name, err)
		case ownedSecret(s, o.Service):
			found = append(found, *s)
		}
	}
	for _, s := range found {
		// The UID precondition: a Secret made anew since we read it is not
		// the one we looked at.
		err := kube.Request(ctx, func(ctx context.Context) error {
			return secrets.Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(s.UID))})
		})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("deleting Secret %s/%s: %w", o.Namespace, s.Name, err)
		}
		if err == nil {
			l.Infof("deleted Secret %s/%s", o.Namespace, s.Name)
		}
	}
	return nil
}
