package testenv

import (
	"bytes"
	_ "embed"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// Release-like manifests for tests, generated from the Knative Go modules'
// config/ sources in the module cache (never committed), laid out the way
// the manifests-url input reads a local folder:
//
//	<dir>/serving/<version>/serving-crds.yaml
//	<dir>/serving/<version>/serving-core.yaml
//	<dir>/net-kourier/<version>/kourier.yaml
//	<dir>/net-istio/<version>/istio.yaml
//	<dir>/net-istio/<version>/net-istio.yaml
//	<dir>/net-contour/<version>/contour.yaml
//	<dir>/net-contour/<version>/net-contour.yaml
//
// Some parts have no module served here and are written out instead, in
// testdata/: the Image CRD (from knative.dev/caching) and the networking
// layers' objects (from knative.dev/net-kourier, net-istio and net-contour;
// see layers.go), with the names, labels, ports and resource requests that
// installing relies on.

// WriteReleaseManifests writes the manifests of every version into dir.
// Versions differ in image tags and version labels, as real releases do.
func WriteReleaseManifests(t testing.TB, dir string, versions ...string) {
	t.Helper()
	serving, networking := moduleDir(t, "knative.dev/serving"), moduleDir(t, "knative.dev/networking")
	networkingCRDs := readYAMLFiles(t, filepath.Join(networking, "config"), "certificate.yaml", "ingress.yaml", "serverlessservice.yaml", "domain-claim.yaml")
	join := func(docs ...[]byte) []byte { return bytes.Join(docs, []byte("\n---\n")) }
	crds := join(readYAMLDir(t, filepath.Join(serving, "config", "core", "300-resources")), networkingCRDs, []byte(imageCRD))
	// serving-core holds the CRDs too (config/core has 300-resources).
	core := join(networkingCRDs, []byte(imageCRD),
		readYAMLDir(t, filepath.Join(serving, "config", "core")),
		readYAMLFiles(t, filepath.Join(networking, "config"), "config-network.yaml"))
	for _, v := range versions {
		write(t, ManifestFile(dir, "serving", v, "serving-crds.yaml"), release(crds, v))
		write(t, ManifestFile(dir, "serving", v, "serving-core.yaml"), release(core, v))
		for _, l := range layers {
			write(t, ManifestFile(dir, l.component, v, l.file), release([]byte(l.yaml), v))
		}
	}
}

// layers are the networking layers' release files, in the order
// manifests.Files applies them.
var layers = []struct{ component, file, yaml string }{
	{"net-kourier", "kourier.yaml", kourier},
	{"net-istio", "istio.yaml", istio},
	{"net-istio", "net-istio.yaml", netIstio},
	{"net-contour", "contour.yaml", contour},
	{"net-contour", "net-contour.yaml", netContour},
}

var (
	koImage      = regexp.MustCompile(`ko://knative\.dev/([a-z-]+)/cmd/([a-z-]+)`)
	develVersion = regexp.MustCompile(`(?m)^(\s*(?:app\.kubernetes\.io/version|serving\.knative\.dev/release|networking\.knative\.dev/release)):\s*"?devel"?\s*$`)
)

// release turns module sources into what a release of version v holds.
func release(src []byte, v string) []byte {
	out := koImage.ReplaceAll(src, []byte("registry.invalid/knative/$1/$2:v"+v))
	return develVersion.ReplaceAll(out, []byte(`$1: "`+v+`"`))
}

func moduleDir(t testing.TB, module string) string {
	t.Helper()
	dir, err := locateModule(t.Context(), module)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func readYAMLDir(t testing.TB, dir string) []byte {
	t.Helper()
	var docs [][]byte
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".yaml" {
			return err
		}
		b, err := os.ReadFile(p)
		docs = append(docs, b)
		return err
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	return bytes.Join(docs, []byte("\n---\n"))
}

func readYAMLFiles(t testing.TB, dir string, names ...string) []byte {
	t.Helper()
	var docs [][]byte
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatalf("reading %s: %v", n, err)
		}
		docs = append(docs, b)
	}
	return bytes.Join(docs, []byte("\n---\n"))
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	// imageCRD is knative.dev/caching's Image CRD.
	//go:embed testdata/image-crd.yaml
	imageCRD string
	//go:embed testdata/kourier.yaml
	kourier string
)

// ManifestFile returns the path of one generated manifest.
func ManifestFile(dir, component, version, file string) string {
	return filepath.Join(dir, component, version, file)
}
