package install

import (
	"testing"

	"github.com/knative-preview/action/internal/input"
)

// The job's token is sent only to the API it belongs to: the resolver
// learns which from the run's GITHUB_API_URL, as the input reader gives it.
func TestParseGivesTheTokensAPI(t *testing.T) {
	for _, api := range []string{"https://api.github.com", "https://ghes.example.com/api/v3", ""} {
		r := input.NewReader(Inputs, input.Values{}, input.ActionStyle, func(k string) string {
			if k == "GITHUB_API_URL" {
				return api
			}
			return ""
		})
		o := Parse(r, "ghs_token")
		if o.Resolver.Token != "ghs_token" || o.Resolver.TokenAPI != api {
			t.Errorf("GITHUB_API_URL %q: the resolver has the token for %q", api, o.Resolver.TokenAPI)
		}
	}
}
