package gketest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Secrets the TokenServer hands out or expects; none may appear in a log.
const (
	// RequestToken stands for ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	RequestToken = "gha-request-token-d41d8cd9"
	// OIDCToken stands for the GitHub OIDC token.
	OIDCToken = "gha-oidc-jwt-8f00b204"
	// tokenPrefix starts every access token the server issues.
	tokenPrefix = "ya29.fake-access-"
)

// TokenServer fakes the endpoints behind Google credentials files: the
// OAuth token endpoint of a service account key (/token), GitHub's OIDC
// token endpoint (/oidc), Google's STS (/v1/token) and IAM credentials
// (/v1/projects/-/serviceAccounts/<email>:generateAccessToken).
type TokenServer struct {
	URL string
	// ExpiresIn is the lifetime of issued tokens in seconds; below 10 the
	// client refreshes the token before every request.
	ExpiresIn int
	// Reject, when set, makes the token endpoints answer 400 invalid_grant.
	Reject bool

	mu     sync.Mutex
	keys   map[string]*rsa.PublicKey // by client_email
	issued []string
	errs   []string
}

// NewTokenServer starts the fake; it stops when the test ends.
func NewTokenServer(t testing.TB) *TokenServer {
	s := &TokenServer{ExpiresIn: 3600, keys: map[string]*rsa.PublicKey{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Issued returns the access tokens issued so far.
func (s *TokenServer) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// Problems returns what the server found wrong in requests it rejected.
func (s *TokenServer) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

// Valid reports whether token is one the server issued.
func (s *TokenServer) Valid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.issued {
		if t == token {
			return true
		}
	}
	return false
}

func (s *TokenServer) problem(w http.ResponseWriter, format string, args ...any) {
	s.mu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"Invalid grant: account not found"}`))
}

func (s *TokenServer) issue() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := fmt.Sprintf("%s%d", tokenPrefix, len(s.issued)+1)
	s.issued = append(s.issued, tok)
	return tok
}

func (s *TokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if s.Reject {
		s.problem(w, "rejected by the test")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/token":
		// A service account key's JWT bearer grant.
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			s.problem(w, "token: grant_type %q", r.Form.Get("grant_type"))
			return
		}
		if err := s.verify(r.Form.Get("assertion"), s.URL+"/token"); err != nil {
			s.problem(w, "token: %v", err)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": s.issue(), "token_type": "Bearer", "expires_in": s.ExpiresIn})
	case r.URL.Path == "/oidc":
		if r.Header.Get("Authorization") != "Bearer "+RequestToken {
			s.problem(w, "oidc: wrong request token")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": OIDCToken})
	case r.URL.Path == "/v1/token":
		if err := r.ParseForm(); err != nil || r.Form.Get("subject_token") != OIDCToken ||
			r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange" {
			s.problem(w, "sts: grant_type %q, subject token wrong or missing", r.Form.Get("grant_type"))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": s.issue(), "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
			"token_type": "Bearer", "expires_in": s.ExpiresIn,
		})
	case strings.HasPrefix(r.URL.Path, "/v1/projects/-/serviceAccounts/") && strings.HasSuffix(r.URL.Path, ":generateAccessToken"):
		if !s.Valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
			s.problem(w, "iamcredentials: no valid federated token")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"accessToken": s.issue(),
			"expireTime":  time.Now().Add(time.Duration(s.ExpiresIn) * time.Second).UTC().Format(time.RFC3339),
		})
	default:
		s.problem(w, "no endpoint %s", r.URL.Path)
	}
}

// verify checks a JWT bearer assertion: signed RS256 by a key the server
// trusts, for audience aud, asking for the cloud-platform scope.
func (s *TokenServer) verify(assertion, aud string) error {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return fmt.Errorf("assertion is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	var claims struct {
		Iss   string `json:"iss"`
		Aud   string `json:"aud"`
		Scope string `json:"scope"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return err
	}
	s.mu.Lock()
	key := s.keys[claims.Iss]
	s.mu.Unlock()
	if key == nil {
		return fmt.Errorf("unknown issuer %q", claims.Iss)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return fmt.Errorf("bad signature: %w", err)
	}
	if claims.Aud != aud || claims.Scope != "https://www.googleapis.com/auth/cloud-platform" {
		return fmt.Errorf("aud %q, scope %q", claims.Aud, claims.Scope)
	}
	return nil
}

// ServiceAccountKeyFile writes, in dir, a service account key file for
// email in project whose token_uri is the server's, with a new RSA key the
// server trusts; it returns the file's path.
func (s *TokenServer) ServiceAccountKeyFile(t testing.TB, dir, project, email string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.keys[email] = &key.PublicKey
	s.mu.Unlock()
	return writeJSONFile(t, dir, "sa-key.json", map[string]string{
		"type":                        "service_account",
		"project_id":                  project,
		"private_key_id":              "0123456789abcdef",
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   "100000000000000000001",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   s.URL + "/token",
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	})
}

// ExternalAccountFile writes, in dir, a Workload Identity Federation file
// shaped like the one google-github-actions/auth writes (a URL credential
// source with the request token in a header), pointing at the server;
// impersonate, when not empty, is the service account to impersonate.
func (s *TokenServer) ExternalAccountFile(t testing.TB, dir, impersonate string) string {
	t.Helper()
	audience := "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/providers/repo"
	f := map[string]any{
		"type":               "external_account",
		"audience":           audience,
		"subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
		"token_url":          s.URL + "/v1/token",
		"credential_source": map[string]any{
			"url":     s.URL + "/oidc?api-version=2.0&audience=https%3A%2F%2Fiam.googleapis.com%2Fprojects%2F123456789",
			"headers": map[string]string{"Authorization": "Bearer " + RequestToken},
			"format":  map[string]string{"type": "json", "subject_token_field_name": "value"},
		},
	}
	if impersonate != "" {
		f["service_account_impersonation_url"] = s.URL + "/v1/projects/-/serviceAccounts/" + impersonate + ":generateAccessToken"
	}
	return writeJSONFile(t, dir, "gha-creds.json", f)
}

func writeJSONFile(t testing.TB, dir, name string, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
