package gke

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// scope is the OAuth scope the target asks for.
const scope = "https://www.googleapis.com/auth/cloud-platform"

// tokenFetchTimeout bounds one request for an access token.
const tokenFetchTimeout = 30 * time.Second

// credentials are what the target authenticates with.
type credentials struct {
	// ts refreshes its token before it expires.
	ts oauth2.TokenSource
	// source says where the credentials come from, for messages.
	source string
	// member is the IAM member to grant roles to ("serviceAccount:x"), when
	// known.
	member string
	// kind is the credentials file's type, or empty.
	kind string
}

// acceptedTypes are the credentials file types the target loads: the two
// google-github-actions/auth writes, and the two gcloud writes on a laptop.
var acceptedTypes = []google.CredentialsType{
	google.ServiceAccount, google.ExternalAccount, google.AuthorizedUser, google.ImpersonatedServiceAccount,
}

// loadCredentials finds Application Default Credentials: the file named by
// GOOGLE_APPLICATION_CREDENTIALS, else gcloud's file or the metadata server.
// It fetches no token.
func loadCredentials(ctx context.Context, o Options) (*credentials, error) {
	if o.TokenSource != nil {
		return &credentials{ts: oauth2.ReuseTokenSource(nil, o.TokenSource), source: "the given token source"}, nil
	}
	// Token requests outlive the call that triggers them and must not hang.
	tokenCtx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, &http.Client{Timeout: tokenFetchTimeout})
	if path := o.Getenv(credentialsEnv); path != "" {
		b, err := o.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading the Google credentials file %s=%s: %w. Run google-github-actions/auth earlier in this job (with create_credentials_file: true, its default) so it writes the file into the workspace, where this container action can read it", credentialsEnv, path, err)
		}
		return credentialsFromFile(tokenCtx, path, b)
	}
	creds, err := google.FindDefaultCredentials(tokenCtx, scope)
	if err != nil {
		return nil, fmt.Errorf("finding Google credentials: %w. In a workflow, run google-github-actions/auth before this step; on a laptop, run gcloud auth application-default login", err)
	}
	return &credentials{ts: creds.TokenSource, source: "Application Default Credentials (gcloud's file or the metadata server)"}, nil
}

// credentialsFromFile loads a credentials file of one of acceptedTypes.
func credentialsFromFile(ctx context.Context, path string, b []byte) (*credentials, error) {
	var f struct {
		Type                           string `json:"type"`
		ClientEmail                    string `json:"client_email"`
		ServiceAccountImpersonationURL string `json:"service_account_impersonation_url"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("the Google credentials file %s=%s is not JSON (%v): point it at the file google-github-actions/auth writes", credentialsEnv, path, err)
	}
	typ := google.CredentialsType(f.Type)
	known := false
	for _, t := range acceptedTypes {
		known = known || t == typ
	}
	if !known {
		return nil, fmt.Errorf("the Google credentials file %s=%s has type %q, which this action does not load (accepted: service_account, external_account, authorized_user, impersonated_service_account)", credentialsEnv, path, f.Type)
	}
	creds, err := google.CredentialsFromJSONWithType(ctx, b, typ, scope)
	if err != nil {
		return nil, fmt.Errorf("loading the Google credentials file %s=%s (type %s): %w", credentialsEnv, path, f.Type, err)
	}
	c := &credentials{ts: creds.TokenSource, kind: f.Type}
	email := f.ClientEmail
	if email == "" {
		email = impersonated(f.ServiceAccountImpersonationURL)
	}
	if email != "" {
		c.member = "serviceAccount:" + email
	}
	switch {
	case typ == google.ServiceAccount:
		c.source = fmt.Sprintf("the service account key of %s (%s)", email, credentialsEnv)
	case typ == google.ExternalAccount && email != "":
		c.source = fmt.Sprintf("Workload Identity Federation as %s (%s)", email, credentialsEnv)
	case typ == google.ExternalAccount:
		c.source = fmt.Sprintf("Workload Identity Federation, direct (%s)", credentialsEnv)
	default:
		c.source = fmt.Sprintf("%s credentials (%s)", f.Type, credentialsEnv)
	}
	return c, nil
}

// impersonated returns the service account of an impersonation URL such as
// https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken.
func impersonated(url string) string {
	_, rest, ok := strings.Cut(url, "/serviceAccounts/")
	if !ok {
		return ""
	}
	email, _, _ := strings.Cut(rest, ":")
	return email
}

// checkToken fetches a token now, so that credentials that do not work fail
// with a message about credentials rather than inside an API call.
func (c *credentials) checkToken() error {
	if _, err := c.ts.Token(); err != nil {
		var fix string
		switch c.kind {
		case string(google.ServiceAccount):
			fix = "The service account key may be deleted or disabled, or the service account itself: check it in IAM, or switch google-github-actions/auth to Workload Identity Federation."
		case string(google.ExternalAccount):
			fix = "Check google-github-actions/auth's workload_identity_provider and service_account, that the service account lets the pool's principal impersonate it (roles/iam.workloadIdentityUser), and that the job has permissions: id-token: write."
		default:
			fix = "Renew the credentials (in a workflow: google-github-actions/auth; on a laptop: gcloud auth application-default login)."
		}
		return fmt.Errorf("getting a Google access token with %s: %w. %s", c.source, err, fix)
	}
	return nil
}

// wrap returns a RoundTripper that adds a fresh bearer token to each
// request sent through base.
func (c *credentials) wrap(base http.RoundTripper) http.RoundTripper {
	return &oauth2.Transport{Source: c.ts, Base: base}
}
