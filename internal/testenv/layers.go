package testenv

import "strings"

// The Istio and Contour layers' release files, shaped like the assets of
// knative/net-istio and knative/net-contour (neither module is served
// here): the same files, namespaces, gateway Services and workloads, with
// the names, labels, selectors and ports that installing relies on, and
// only the CRDs that the layer's own objects need.
//
// net-istio publishes istio.yaml (third_party/istio-latest/istio-ci-no-mesh,
// Istio's own version labels) and net-istio.yaml (config/). net-contour
// publishes contour.yaml (config/contour: Contour's quickstart renamed into
// contour-external, with a LoadBalancer envoy Service, and contour-internal,
// with a ClusterIP one; envoy is a DaemonSet) and net-contour.yaml
// (config/).

const istio = `apiVersion: v1
kind: Namespace
metadata:
  name: istio-system
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gateways.networking.istio.io
  labels:
    app.kubernetes.io/version: 1.29.2
spec:
  group: networking.istio.io
  names:
    kind: Gateway
    listKind: GatewayList
    plural: gateways
    singular: gateway
    shortNames: [gw]
    categories: [istio-io, networking-istio-io]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - name: v1beta1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: peerauthentications.security.istio.io
  labels:
    app.kubernetes.io/version: 1.29.2
spec:
  group: security.istio.io
  names:
    kind: PeerAuthentication
    listKind: PeerAuthenticationList
    plural: peerauthentications
    singular: peerauthentication
    shortNames: [pa]
    categories: [istio-io, security-istio-io]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - name: v1beta1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: istiod
  namespace: istio-system
  labels:
    app: istiod
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: istio-ingressgateway-service-account
  namespace: istio-system
  labels:
    app: istio-ingressgateway
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
  labels:
    app.kubernetes.io/version: 1.29.2
    istio.io/rev: default
data:
  mesh: |-
    defaultConfig:
      discoveryAddress: istiod.istio-system.svc:15012
    rootNamespace: istio-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod
  namespace: istio-system
  labels:
    app: istiod
    istio: pilot
    app.kubernetes.io/version: 1.29.2
spec:
  selector:
    matchLabels:
      istio: pilot
  template:
    metadata:
      labels:
        app: istiod
        istio: pilot
    spec:
      serviceAccountName: istiod
      containers:
      - name: discovery
        image: docker.io/istio/pilot:1.29.2
        ports:
        - containerPort: 8080
        - containerPort: 15010
        - containerPort: 15017
---
apiVersion: v1
kind: Service
metadata:
  name: istiod
  namespace: istio-system
  labels:
    app: istiod
    istio: pilot
spec:
  selector:
    app: istiod
    istio: pilot
  ports:
  - name: grpc-xds
    port: 15010
    protocol: TCP
  - name: https-webhook
    port: 443
    protocol: TCP
    targetPort: 15017
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istio-ingressgateway
  namespace: istio-system
  labels:
    app: istio-ingressgateway
    istio: ingressgateway
    app.kubernetes.io/version: 1.29.2
spec:
  replicas: 3
  selector:
    matchLabels:
      app: istio-ingressgateway
      istio: ingressgateway
  template:
    metadata:
      labels:
        app: istio-ingressgateway
        istio: ingressgateway
        sidecar.istio.io/inject: "false"
    spec:
      serviceAccountName: istio-ingressgateway-service-account
      containers:
      - name: istio-proxy
        image: docker.io/istio/proxyv2:1.29.2
        ports:
        - containerPort: 15021
          protocol: TCP
        - containerPort: 8080
          protocol: TCP
        - containerPort: 8443
          protocol: TCP
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
  labels:
    app: istio-ingressgateway
    istio: ingressgateway
    app.kubernetes.io/version: 1.29.2
spec:
  type: LoadBalancer
  selector:
    app: istio-ingressgateway
    istio: ingressgateway
  ports:
  - name: status-port
    port: 15021
    protocol: TCP
    targetPort: 15021
  - name: http2
    port: 80
    protocol: TCP
    targetPort: 8080
  - name: https
    port: 443
    protocol: TCP
    targetPort: 8443
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: istio-validator-istio-system
  labels:
    app: istiod
    istio: istiod
webhooks:
- name: rev.validation.istio.io
  admissionReviewVersions: [v1]
  clientConfig:
    service:
      name: istiod
      namespace: istio-system
      path: /validate
  failurePolicy: Ignore
  sideEffects: None
  objectSelector:
    matchExpressions:
    - {key: istio.io/rev, operator: In, values: [default]}
  rules:
  - apiGroups: [security.istio.io, networking.istio.io]
    apiVersions: ["*"]
    operations: [CREATE, UPDATE]
    resources: ["*"]
`

const netIstio = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: knative-serving-istio
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    serving.knative.dev/controller: "true"
    networking.knative.dev/ingress-provider: istio
rules:
- apiGroups: [networking.istio.io]
  resources: [virtualservices, gateways, destinationrules]
  verbs: [get, list, create, update, delete, patch, watch]
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: knative-ingress-gateway
  namespace: knative-serving
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: knative-local-gateway
  namespace: knative-serving
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 8081, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: v1
kind: Service
metadata:
  name: knative-local-gateway
  namespace: istio-system
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
    experimental.istio.io/disable-gateway-port-translation: "true"
spec:
  type: ClusterIP
  selector:
    istio: ingressgateway
  ports:
  - name: http2
    port: 80
    targetPort: 8081
  - name: https
    port: 443
    targetPort: 8444
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-istio
  namespace: knative-serving
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
data:
  _example: |
    external-gateways: |
      - name: knative-ingress-gateway
        namespace: knative-serving
        service: istio-ingressgateway.istio-system.svc.cluster.local
    local-gateways: |
      - name: knative-local-gateway
        namespace: knative-serving
        service: knative-local-gateway.istio-system.svc.cluster.local
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: webhook
  namespace: knative-serving
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
spec:
  selector:
    matchLabels:
      app: webhook
  portLevelMtls:
    "8443":
      mode: PERMISSIVE
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: net-istio-controller
  namespace: knative-serving
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
spec:
  selector:
    matchLabels:
      app: net-istio-controller
  template:
    metadata:
      labels:
        sidecar.istio.io/inject: "false"
        app: net-istio-controller
        app.kubernetes.io/component: net-istio
        app.kubernetes.io/name: knative-serving
        app.kubernetes.io/version: devel
    spec:
      serviceAccountName: controller
      containers:
      - name: controller
        image: ko://knative.dev/net-istio/cmd/controller
        ports:
        - name: probes
          containerPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: net-istio-webhook
  namespace: knative-serving
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
spec:
  selector:
    matchLabels:
      app: net-istio-webhook
      role: net-istio-webhook
  template:
    metadata:
      labels:
        app: net-istio-webhook
        role: net-istio-webhook
        app.kubernetes.io/component: net-istio
        app.kubernetes.io/name: knative-serving
        app.kubernetes.io/version: devel
    spec:
      serviceAccountName: controller
      containers:
      - name: webhook
        image: ko://knative.dev/net-istio/cmd/webhook
        ports:
        - name: https-webhook
          containerPort: 8443
---
apiVersion: v1
kind: Secret
metadata:
  name: net-istio-webhook-certs
  namespace: knative-serving
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
---
apiVersion: v1
kind: Service
metadata:
  name: net-istio-webhook
  namespace: knative-serving
  labels:
    role: net-istio-webhook
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
spec:
  selector:
    app: net-istio-webhook
  ports:
  - name: https-webhook
    port: 443
    targetPort: https-webhook
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: webhook.istio.networking.internal.knative.dev
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
webhooks:
- name: webhook.istio.networking.internal.knative.dev
  admissionReviewVersions: [v1, v1beta1]
  clientConfig:
    service:
      name: net-istio-webhook
      namespace: knative-serving
  failurePolicy: Fail
  sideEffects: None
  objectSelector:
    matchExpressions:
    - {key: serving.knative.dev/configuration, operator: Exists}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: config.webhook.istio.networking.internal.knative.dev
  labels:
    app.kubernetes.io/component: net-istio
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    networking.knative.dev/ingress-provider: istio
webhooks:
- name: config.webhook.istio.networking.internal.knative.dev
  admissionReviewVersions: [v1, v1beta1]
  clientConfig:
    service:
      name: net-istio-webhook
      namespace: knative-serving
  failurePolicy: Fail
  sideEffects: None
  objectSelector:
    matchLabels:
      app.kubernetes.io/name: knative-serving
      app.kubernetes.io/component: net-istio
`

// contour is contour.yaml: the CRDs and cluster-wide role once, then one
// Contour per namespace, as net-contour's ytt overlays make them.
var contour = contourCRDs + contourIn("contour-external", "LoadBalancer") + contourIn("contour-internal", "ClusterIP")

const contourCRDs = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: httpproxies.projectcontour.io
spec:
  group: projectcontour.io
  names:
    kind: HTTPProxy
    listKind: HTTPProxyList
    plural: httpproxies
    singular: httpproxy
    shortNames: [proxy, proxies]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: tlscertificatedelegations.projectcontour.io
spec:
  group: projectcontour.io
  names:
    kind: TLSCertificateDelegation
    listKind: TLSCertificateDelegationList
    plural: tlscertificatedelegations
    singular: tlscertificatedelegation
    shortNames: [tlscerts]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: knative-contour
  labels:
    networking.knative.dev/ingress-provider: contour
rules:
- apiGroups: [projectcontour.io]
  resources: [httpproxies, tlscertificatedelegations, httpproxies/status]
  verbs: [get, list, watch, update]
`

func contourIn(namespace, envoyServiceType string) string {
	return strings.NewReplacer("NAMESPACE", namespace, "ENVOY_SERVICE_TYPE", envoyServiceType).Replace(`
---
apiVersion: v1
kind: Namespace
metadata:
  name: NAMESPACE
  labels:
    networking.knative.dev/ingress-provider: contour
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: knative-NAMESPACE
  labels:
    networking.knative.dev/ingress-provider: contour
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: knative-contour
subjects:
- kind: ServiceAccount
  name: contour
  namespace: NAMESPACE
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: contour
  namespace: NAMESPACE
  labels:
    networking.knative.dev/ingress-provider: contour
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: envoy
  namespace: NAMESPACE
  labels:
    networking.knative.dev/ingress-provider: contour
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: contour
  namespace: NAMESPACE
  labels:
    networking.knative.dev/ingress-provider: contour
data:
  contour.yaml: |
    ingress:
      class-name: NAMESPACE
---
apiVersion: batch/v1
kind: Job
metadata:
  name: contour-certgen-v1-33-5
  namespace: NAMESPACE
  labels:
    networking.knative.dev/ingress-provider: contour
spec:
  template:
    metadata:
      labels:
        app: contour-certgen
    spec:
      containers:
      - name: contour
        image: ghcr.io/projectcontour/contour:v1.33.5
        command: [contour, certgen, --kube, --incluster, --overwrite, --namespace=NAMESPACE]
      restartPolicy: Never
      serviceAccountName: contour
  parallelism: 1
  completions: 1
  backoffLimit: 1
---
apiVersion: v1
kind: Service
metadata:
  name: contour
  namespace: NAMESPACE
  labels:
    networking.knative.dev/ingress-provider: contour
spec:
  type: ClusterIP
  selector:
    app: contour
  ports:
  - name: xds
    port: 8001
    protocol: TCP
    targetPort: 8001
---
apiVersion: v1
kind: Service
metadata:
  name: envoy
  namespace: NAMESPACE
  labels:
    networking.knative.dev/ingress-provider: contour
spec:
  type: ENVOY_SERVICE_TYPE
  selector:
    app: envoy
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
  - name: https
    port: 443
    protocol: TCP
    targetPort: 8443
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: contour
  namespace: NAMESPACE
  labels:
    app: contour
    networking.knative.dev/ingress-provider: contour
spec:
  replicas: 2
  selector:
    matchLabels:
      app: contour
  template:
    metadata:
      labels:
        app: contour
    spec:
      serviceAccountName: contour
      containers:
      - name: contour
        image: ghcr.io/projectcontour/contour:v1.33.5
        command: [contour, serve, --incluster, --xds-address=0.0.0.0, --xds-port=8001]
        ports:
        - name: xds
          containerPort: 8001
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: envoy
  namespace: NAMESPACE
  labels:
    app: envoy
    networking.knative.dev/ingress-provider: contour
spec:
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 10%
  selector:
    matchLabels:
      app: envoy
  template:
    metadata:
      labels:
        app: envoy
    spec:
      serviceAccountName: envoy
      containers:
      - name: envoy
        image: docker.io/envoyproxy/envoy:distroless-v1.35.10
        args: [-c, /config/envoy.json]
        ports:
        - name: http
          containerPort: 8080
          protocol: TCP
        - name: https
          containerPort: 8443
          protocol: TCP
`)
}

const netContour = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: knative-serving-contour
  labels:
    networking.knative.dev/ingress-provider: contour
    app.kubernetes.io/component: net-contour
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
    serving.knative.dev/controller: "true"
rules:
- apiGroups: [projectcontour.io]
  resources: [httpproxies]
  verbs: [get, list, create, update, delete, deletecollection, patch, watch]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-contour
  namespace: knative-serving
  labels:
    networking.knative.dev/ingress-provider: contour
    app.kubernetes.io/component: net-contour
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
data:
  _example: |
    visibility: |
      ExternalIP:
        class: contour-external
        service: contour-external/envoy
      ClusterLocal:
        class: contour-internal
        service: contour-internal/envoy
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: net-contour-controller
  namespace: knative-serving
  labels:
    networking.knative.dev/ingress-provider: contour
    app.kubernetes.io/component: net-contour
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
spec:
  replicas: 1
  selector:
    matchLabels:
      app: net-contour-controller
  template:
    metadata:
      labels:
        app: net-contour-controller
        app.kubernetes.io/component: net-contour
        app.kubernetes.io/name: knative-serving
        app.kubernetes.io/version: devel
    spec:
      serviceAccountName: controller
      containers:
      - name: controller
        image: ko://knative.dev/net-contour/cmd/controller
        ports:
        - name: metrics
          containerPort: 9090
---
apiVersion: projectcontour.io/v1
kind: TLSCertificateDelegation
metadata:
  name: knative-serving-certs
  namespace: knative-serving
  labels:
    networking.knative.dev/ingress-provider: contour
    app.kubernetes.io/component: net-contour
    app.kubernetes.io/name: knative-serving
    app.kubernetes.io/version: devel
spec:
  delegations:
  - secretName: routing-serving-certs
    targetNamespaces: ["*"]
`
