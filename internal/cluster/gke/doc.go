// Package gke is the cluster target for Google Kubernetes Engine: it reuses
// or creates a GKE cluster through the Container API (no gcloud), connects to
// it with Application Default Credentials, and deletes it in the action's
// post step when this run created it and delete-cluster is on-exit.
package gke
