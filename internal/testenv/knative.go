package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// knativeCRDDirs are the folders, inside the Go modules this module
// requires, that hold the CRDs of Knative Serving and of the networking
// layer it uses. Only CustomResourceDefinition documents are read.
var knativeCRDDirs = []struct{ module, dir string }{
	{"knative.dev/serving", "config/core/300-resources"},
	{"knative.dev/networking", "config"},
}

// InstallKnativeCRDs creates (or updates) Knative Serving's CRDs in the
// API server and waits until each is Established. It reads them at test
// time from the Go module cache, at the versions go.mod requires, so it
// works offline once the modules are downloaded. No Knative webhook or
// controller runs: a test that needs a status writes it.
func (e *Env) InstallKnativeCRDs(t testing.TB) {
	t.Helper()
	crds, err := readKnativeCRDs(t.Context())
	if err != nil {
		t.Fatalf("reading Knative's CRDs: %v", err)
	}
	if err := installCRDs(t.Context(), e, crds); err != nil {
		t.Fatalf("installing Knative's CRDs: %v", err)
	}
}

func readKnativeCRDs(ctx context.Context) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var paths []string
	for _, d := range knativeCRDDirs {
		dir, err := locateModule(ctx, d.module)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, filepath.FromSlash(d.dir))
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("module %s has no %s: %w", d.module, d.dir, err)
		}
		paths = append(paths, p)
	}
	opts := envtest.CRDInstallOptions{Paths: paths, ErrorIfPathMissing: true}
	if err := envtest.ReadCRDFiles(&opts); err != nil {
		return nil, err
	}
	if len(opts.CRDs) == 0 {
		return nil, fmt.Errorf("no CustomResourceDefinition in %s", strings.Join(paths, ", "))
	}
	return opts.CRDs, nil
}

func installCRDs(ctx context.Context, e *Env, crds []*apiextensionsv1.CustomResourceDefinition) error {
	cs, err := apiextensions.NewForConfig(e.Config)
	if err != nil {
		return err
	}
	api := cs.ApiextensionsV1().CustomResourceDefinitions()
	for _, crd := range crds {
		cur, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			if _, err := api.Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("creating CRD %s: %w", crd.Name, err)
			}
		case err != nil:
			return fmt.Errorf("reading CRD %s: %w", crd.Name, err)
		case cur.Spec.Group == crd.Spec.Group && established(cur):
			// Installed already (a shared API server): nothing to do.
		default:
			crd.ResourceVersion = cur.ResourceVersion
			if _, err := api.Update(ctx, crd, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("updating CRD %s: %w", crd.Name, err)
			}
		}
	}
	for _, crd := range crds {
		var last *apiextensionsv1.CustomResourceDefinition
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			cur, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, nil // retried until the timeout
			}
			last = cur
			return established(cur), nil
		})
		if err != nil {
			state := "not readable"
			if last != nil {
				state = fmt.Sprintf("conditions %v", last.Status.Conditions)
			}
			return fmt.Errorf("waiting up to 30s for CRD %s to be Established (%s): %w", crd.Name, state, err)
		}
	}
	return nil
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// locateModule returns the folder of module in the module cache, asking the
// go command offline from the module root (go.mod pins the version).
func locateModule(ctx context.Context, module string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", module)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	out, err := cmd.Output()
	if err != nil {
		detail := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			detail = strings.TrimSpace(string(ee.Stderr))
		}
		return "", fmt.Errorf("locating module %s (go list -m): %s; run \"go mod download %s\" with network access", module, detail, module)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("module %s is not in the module cache: run \"go mod download %s\" with network access", module, module)
	}
	return dir, nil
}
