// Package manifests gets Knative release YAMLs onto disk once: from GitHub
// release downloads, a mirror URL or a local folder, with retries, and
// cached by component and version.
package manifests
