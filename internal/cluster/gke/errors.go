package gke

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/googleapi"

	"github.com/knative-preview/action/internal/kube"
)

// apiError is a failed Container API call or operation, with what the user
// can do about it.
type apiError struct {
	// Doing is what was being done, e.g. `creating cluster "knative"`.
	Doing string
	// Code is the HTTP status (0 for an operation's error).
	Code int
	// Reason is the API's reason (SERVICE_DISABLED, quotaExceeded), if any.
	Reason string
	// Message is the API's message.
	Message string
	// Fix says what to do; empty when there is nothing specific.
	Fix string
	// Err is the client's error, if any.
	Err error
}

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString(e.Doing)
	b.WriteString(": ")
	b.WriteString(clause(e.Message))
	switch {
	case e.Code != 0 && e.Reason != "":
		fmt.Fprintf(&b, " (HTTP %d, %s)", e.Code, e.Reason)
	case e.Code != 0:
		fmt.Fprintf(&b, " (HTTP %d)", e.Code)
	}
	if e.Fix != "" {
		b.WriteString(". ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

func (e *apiError) Unwrap() error { return e.Err }

// clause is s without the full stop that ends it, to go before another
// part of a message.
func clause(s string) string { return strings.TrimRight(strings.TrimSpace(s), ".") }

// sentences joins parts into sentences.
func sentences(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = clause(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ". ")
}

// isNotFound reports whether err is a 404 from the API.
func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

// retryable reports whether a poll that failed with err may be repeated:
// the Container API's own answers (5xx; 429 unless a quota is spent) and
// token errors are read here; everything else by the project's one rule,
// kube.Transient.
func retryable(err error) bool {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code >= 500 || (ge.Code == http.StatusTooManyRequests && !mentionsQuota(ge.Message))
	}
	var authErr *google.AuthenticationError
	if errors.As(err, &authErr) {
		return authErr.Temporary()
	}
	var retrieveErr *oauth2.RetrieveError
	if errors.As(err, &retrieveErr) {
		return false
	}
	return kube.Transient(err)
}

// explain turns a Container API client error into an *APIError with a fix.
func (t *target) explain(r ref, doing string, err error) error {
	if ae := (*apiError)(nil); errors.As(err, &ae) {
		return err
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	e := &apiError{Doing: doing, Code: ge.Code, Message: ge.Message, Err: err}
	if e.Message == "" {
		e.Message = http.StatusText(ge.Code)
	}
	var ae *apierror.APIError
	if errors.As(err, &ae) && ae.Reason() != "" {
		e.Reason = ae.Reason()
	} else if len(ge.Errors) > 0 {
		e.Reason = ge.Errors[0].Reason
	}
	e.Fix = t.fix(r, ge.Code, e.Reason, e.Message)
	return e
}

// operationError is the error an operation ended with.
func (t *target) operationError(r ref, doing string, code int64, message string) error {
	return &apiError{Doing: doing, Message: message, Fix: t.fix(r, httpCodeOf(code), "", message)}
}

// httpCodeOf maps an operation's google.rpc.Code to the HTTP status the API
// uses for it.
func httpCodeOf(code int64) int {
	switch code {
	case 3, 9, 11: // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
		return http.StatusBadRequest
	case 5: // NOT_FOUND
		return http.StatusNotFound
	case 6, 10: // ALREADY_EXISTS, ABORTED
		return http.StatusConflict
	case 7: // PERMISSION_DENIED
		return http.StatusForbidden
	case 8: // RESOURCE_EXHAUSTED
		return http.StatusTooManyRequests
	case 16: // UNAUTHENTICATED
		return http.StatusUnauthorized
	case 14: // UNAVAILABLE
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func mentionsQuota(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "quota")
}

// fix says what the user can do about an error with this status, reason
// and message.
func (t *target) fix(r ref, code int, reason, message string) string {
	o := t.opts
	msg := strings.ToLower(message)
	grantee := "the service account google-github-actions/auth authenticates as"
	member := "serviceAccount:<service account>"
	if t.creds != nil && t.creds.member != "" {
		grantee, member = strings.TrimPrefix(t.creds.member, "serviceAccount:"), t.creds.member
	}
	switch {
	case reason == "SERVICE_DISABLED" || reason == "accessNotConfigured" ||
		strings.Contains(msg, "has not been used in project") || strings.Contains(msg, "it is disabled"):
		return fmt.Sprintf("Enable the Kubernetes Engine API (container.googleapis.com) in project %s: gcloud services enable container.googleapis.com --project %s, or https://console.cloud.google.com/apis/library/container.googleapis.com?project=%s; then wait a few minutes and rerun", r.project, r.project, r.project)
	case reason == "BILLING_DISABLED" || strings.Contains(msg, "billing"):
		return fmt.Sprintf("Enable billing for project %s: https://console.cloud.google.com/billing/linkedaccount?project=%s", r.project, r.project)
	case reason == "quotaExceeded" || reason == "RESOURCE_EXHAUSTED" || mentionsQuota(msg):
		return fmt.Sprintf("A quota of project %s is exhausted: ask for more at https://console.cloud.google.com/iam-admin/quotas?project=%s, or ask for less: fewer gke-nodes (now %d), a smaller gke-machine-type (now %s), or a zone rather than a region for gke-location (a regional cluster has gke-nodes nodes in each of its zones, usually 3)", r.project, r.project, o.Nodes, o.MachineType)
	case strings.Contains(msg, "zone_resource_pool_exhausted") || strings.Contains(msg, "does not have enough resources available"):
		return fmt.Sprintf("Compute Engine has no capacity for %s in %s right now (more common with spot VMs): try another gke-location or gke-machine-type, or gke-spot: false, or rerun later", o.MachineType, r.location)
	case strings.Contains(msg, "iam.serviceaccountuser") || strings.Contains(msg, "does not have access to service account"):
		return fmt.Sprintf("Creating a cluster needs permission to run its nodes as their service account (by default the Compute Engine default service account): grant %s roles/iam.serviceAccountUser on that service account", grantee)
	case code == http.StatusTooManyRequests || reason == "RATE_LIMIT_EXCEEDED" || reason == "rateLimitExceeded":
		return "Google Cloud is limiting the rate of requests: rerun in a few minutes"
	case code == http.StatusUnauthorized:
		return "The access token was rejected: the credentials are expired or revoked; rerun google-github-actions/auth, or renew the key"
	case code == http.StatusForbidden && strings.Contains(msg, "on resource project"):
		return fmt.Sprintf("Check gke-project (%s): the project does not exist, or the credentials have no access to it", r.project)
	case code == http.StatusForbidden:
		return fmt.Sprintf("Grant %s the role roles/container.admin on project %s (it creates, reads and deletes clusters; roles/container.developer is enough to reuse an existing cluster): gcloud projects add-iam-policy-binding %s --member=%s --role=roles/container.admin", grantee, r.project, r.project, member)
	case code == http.StatusNotFound:
		return fmt.Sprintf("Check gke-project (%s) and gke-location (%s): one of them does not exist", r.project, r.location)
	case code == http.StatusConflict:
		return fmt.Sprintf("Another operation on cluster %q is in progress (or another run is creating it): wait for it to finish and rerun; reuse-cluster: true then uses the cluster", r.name)
	case code == http.StatusBadRequest && strings.Contains(msg, "version"):
		return fmt.Sprintf("Check kubernetes-version (%q) and gke-release-channel (%q): list the versions GKE offers with gcloud container get-server-config --location %s", o.KubernetesVersion, o.ReleaseChannel, r.location)
	case code == http.StatusBadRequest && strings.Contains(msg, "machine type"):
		return fmt.Sprintf("Check gke-machine-type (%s): it must exist in %s (gcloud compute machine-types list --filter=zone~%s)", o.MachineType, r.location, r.location)
	case code == http.StatusBadRequest && (strings.Contains(msg, "location") || strings.Contains(msg, "zone")):
		return fmt.Sprintf("Check gke-location (%s): it must be a Google Cloud region or zone", r.location)
	case code == http.StatusBadRequest && strings.Contains(msg, "network"):
		return fmt.Sprintf("The new cluster uses the project's default network: create it (gcloud compute networks create default --project %s), or reuse a cluster that exists", r.project)
	case code == http.StatusBadRequest:
		return "Check the gke-* inputs against the message above"
	case code >= 500:
		return "Google Cloud failed internally: rerun the job"
	}
	return ""
}
