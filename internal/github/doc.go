// Package github is the action's side of a pull request on GitHub: which
// event the run is for, a sticky comment kept up to date on the pull
// request, and a deployment per preview environment, through GitHub's REST
// API with retries and plain warnings when the token may not write.
package github
