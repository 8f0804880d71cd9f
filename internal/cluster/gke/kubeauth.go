package gke

import (
	"context"
	"net/http"
)

// AuthPlugin is the exec credential plugin that gcloud container clusters
// get-credentials (and google-github-actions/get-gke-credentials) name in
// the kubeconfigs they write. It prints an access token of Google's
// Application Default Credentials.
const AuthPlugin = "gke-gcloud-auth-plugin"

// KubeAuth authenticates requests to a GKE cluster's API server as
// AuthPlugin does, without running it (a container action's image has no
// gcloud): with an access token of Google's Application Default
// Credentials, the file GOOGLE_APPLICATION_CREDENTIALS names (read with
// getenv; nil: os.Getenv) as google-github-actions/auth writes it, else
// gcloud's or the metadata server's, refreshed before it expires. It gets a
// token at once, so that credentials that do not work are reported here,
// with what to do, rather than as a 401 of the API server. It returns a
// transport wrapper for rest.Config's WrapTransport, and says where the
// credentials come from.
func KubeAuth(ctx context.Context, getenv func(string) string) (wrap func(http.RoundTripper) http.RoundTripper, source string, err error) {
	creds, err := loadCredentials(ctx, Options{Getenv: getenv}.withDefaults())
	if err != nil {
		return nil, "", err
	}
	if err := creds.checkToken(); err != nil {
		return nil, "", err
	}
	return creds.wrap, creds.source, nil
}
