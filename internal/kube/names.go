package kube

// How this action marks what it creates and applies.
const (
	// ManagedByLabel marks objects this action created (a namespace, the
	// Knative Service, its Secret, the ingress NodePort Service); its value
	// is ManagedByValue.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "knative-preview"
	// FieldManager is the server-side apply field manager of what we apply.
	FieldManager = ManagedByValue
)
