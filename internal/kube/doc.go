// Package kube holds what every stage that talks to Kubernetes shares: our
// labels and field manager, which errors may pass, retries, watches kept
// open, and how pods and events are described to the user.
package kube
