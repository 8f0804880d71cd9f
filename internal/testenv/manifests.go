package testenv

import (
	"bytes"

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
// Some parts have no module served here and are written in code instead:
// the Image CRD (from knative.dev/caching) and the networking layers'
// objects (from knative.dev/net-kourier, net-istio and net-contour; see
// layers.go), with the names, labels, ports and resource requests that installing
// relies on.

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

const imageCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: images.caching.internal.knative.dev
  labels:
    knative.dev/crd-install: "true"
    app.kubernetes.io/version: devel
spec:
  group: caching.internal.knative.dev
  names:
    kind: Image
    plural: images
    singular: image
    categories: [knative-internal, caching]
    shortNames: [img]
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`

const kourier = `apiVersion: v1
kind: Namespace
metadata:
  name: kourier-system
  labels:
    networking.knative.dev/ingress-provider: kourier
    app.kubernetes.io/version: devel
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-kourier
  namespace: knative-serving
  labels:
    networking.knative.dev/ingress-provider: kourier
    app.kubernetes.io/version: devel
data:
  _example: |
    envoy-socket-timeout: 30s
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: net-kourier
  namespace: knative-serving
  labels:
    networking.knative.dev/ingress-provider: kourier
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: net-kourier
  labels:
    networking.knative.dev/ingress-provider: kourier
rules:
- apiGroups: [""]
  resources: [events]
  verbs: [create, update, patch]
- apiGroups: [""]
  resources: [pods, endpoints, services, secrets]
  verbs: [get, list, watch]
- apiGroups: [networking.internal.knative.dev]
  resources: [ingresses, ingresses/status]
  verbs: [get, list, watch, patch, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: net-kourier
  labels:
    networking.knative.dev/ingress-provider: kourier
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: net-kourier
subjects:
- kind: ServiceAccount
  name: net-kourier
  namespace: knative-serving
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: net-kourier-controller
  namespace: knative-serving
  labels:
    networking.knative.dev/ingress-provider: kourier
    app.kubernetes.io/version: devel
spec:
  replicas: 1
  selector:
    matchLabels:
      app: net-kourier-controller
  template:
    metadata:
      labels:
        app: net-kourier-controller
    spec:
      serviceAccountName: net-kourier
      containers:
      - name: controller
        image: ko://knative.dev/net-kourier/cmd/kourier
        resources:
          requests:
            cpu: 200m
            memory: 200Mi
          limits:
            cpu: 500m
            memory: 500Mi
        ports:
        - name: http2-xds
          containerPort: 18000
---
apiVersion: v1
kind: Service
metadata:
  name: net-kourier-controller
  namespace: knative-serving
  labels:
    networking.knative.dev/ingress-provider: kourier
spec:
  selector:
    app: net-kourier-controller
  ports:
  - name: grpc-xds
    port: 18000
    targetPort: 18000
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: 3scale-kourier-gateway
  namespace: kourier-system
  labels:
    networking.knative.dev/ingress-provider: kourier
    app.kubernetes.io/version: devel
spec:
  replicas: 1
  selector:
    matchLabels:
      app: 3scale-kourier-gateway
  template:
    metadata:
      labels:
        app: 3scale-kourier-gateway
    spec:
      containers:
      - name: kourier-gateway
        image: ko://knative.dev/net-kourier/cmd/gateway
        resources:
          requests:
            cpu: 200m
            memory: 200Mi
          limits:
            cpu: 500m
            memory: 500Mi
        ports:
        - name: http2-external
          containerPort: 8080
        - name: http2-internal
          containerPort: 8081
---
apiVersion: v1
kind: Service
metadata:
  name: kourier
  namespace: kourier-system
  labels:
    networking.knative.dev/ingress-provider: kourier
spec:
  type: LoadBalancer
  selector:
    app: 3scale-kourier-gateway
  ports:
  - name: http2
    port: 80
    protocol: TCP
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: kourier-internal
  namespace: kourier-system
  labels:
    networking.knative.dev/ingress-provider: kourier
spec:
  type: ClusterIP
  selector:
    app: 3scale-kourier-gateway
  ports:
  - name: http2
    port: 80
    protocol: TCP
    targetPort: 8081
`

// ManifestFile returns the path of one generated manifest.
func ManifestFile(dir, component, version, file string) string {
	return filepath.Join(dir, component, version, file)
}
