// Package github is the action's side of GitHub's REST API: which event the
// run is for, a sticky comment kept up to date on the pull request, and a
// deployment per preview environment, with retries and plain warnings when
// the token may not write; and the published releases of any repository
// (which Knative release to install), read with or without a token.
package github
