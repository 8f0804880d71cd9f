// Package deploy runs an image as a Knative Service: it creates or updates
// the Service, waits until it is Ready while watching the new revision's
// pods so that a failure ends the wait with its real reason, finds the URL
// and proves it answers through the ingress, and removes the preview again
// (mode down: the Service, or with a tag only that tag's route and Secrets).
// In a pull request the preview is named after it.
package deploy
