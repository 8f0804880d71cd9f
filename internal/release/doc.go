// Package release decides which Knative release to install (resolving X.Y and
// latest against GitHub releases, per component) and whether a cluster's
// Kubernetes version can run it.
package release
