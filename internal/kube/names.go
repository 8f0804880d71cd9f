package kube

import "github.com/knative-preview/action/internal/buildinfo"

// How this action marks what it creates and applies.
const (
	// ManagedByLabel marks objects this action created (a namespace, the
	// Knative Service, its Secret, the ingress NodePort Service); its value
	// is ManagedByValue.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = buildinfo.Name
	// FieldManager is the server-side apply field manager of what we apply.
	FieldManager = ManagedByValue
)
