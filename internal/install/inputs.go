package install

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/knconfig"
	"github.com/knative-preview/action/internal/manifests"
	"github.com/knative-preview/action/internal/release"
	"github.com/knative-preview/action/internal/userinfo"
)

// Inputs are the inputs of the install stage.
var Inputs = []input.Def{
	{
		Name:        "serving-version",
		Default:     release.DefaultServingVersion,
		Description: "Knative Serving release: X.Y.Z, X.Y (the newest patch of that minor) or latest. The networking layer gets the newest patch of the same minor.",
	},
	{
		Name:        "ingress",
		Default:     release.IngressKourier,
		Description: "Networking layer for Knative: kourier, istio or contour.",
	},
	{
		Name:        "domain",
		Description: "DNS suffix of service URLs. Empty: 127.0.0.1.sslip.io on kind, <load balancer IP>.sslip.io where the gateway gets a load balancer, else Knative's default.",
	},
	{
		Name:        "serving-config",
		Multiline:   true,
		Description: "YAML mapping of Knative Serving ConfigMap name to data to set, e.g. \"config-features: {kubernetes.podspec-affinity: enabled}\"; checked with Knative's own parsers before anything is applied, and applied last.",
	},
	{
		Name:        "manifests-url",
		Description: "Where to fetch the release manifests instead of GitHub releases: an http(s) base URL or a local folder laid out as <component>/<version>/<file>, e.g. serving/1.23.0/serving-core.yaml.",
	},
}

// Parse reads the install inputs; token authenticates the GitHub API calls
// that resolve versions (empty: none). It reads a serving-config and checks
// it with Knative's parsers, but contacts nothing.
func Parse(r *input.Reader, token string) Options {
	o := Options{Resolver: &release.Resolver{Token: token, TokenAPI: r.Getenv("GITHUB_API_URL")}, Fetcher: &manifests.Fetcher{}}
	if spec, ok := input.Check(r, "serving-version", release.ParseSpec, release.SpecAccepted); ok {
		o.Spec = spec
	}
	o.Ingress = r.OneOf("ingress", "is not a supported networking layer", release.Ingresses()...)
	if d := strings.TrimSuffix(r.String("domain"), "."); d != "" {
		if problems := validation.IsDNS1123Subdomain(d); len(problems) > 0 {
			r.Bad("domain", d, "is not a DNS suffix: "+strings.Join(problems, "; "), "a lower-case DNS name such as preview.example.com")
		}
		o.Domain = d
	}
	if sc := r.Raw("serving-config"); strings.TrimSpace(sc) != "" {
		overrides, err := knconfig.Parse(sc)
		for _, e := range input.List(err) {
			r.Bad("serving-config", "", e.Error(), "")
		}
		o.ServingConfig = overrides
	}
	if u := r.String("manifests-url"); u != "" {
		if manifests.IsFolder(u) {
			u = r.Path(u) // a folder of the host workspace, seen in the container's
		}
		if err := manifests.ValidateSource(u); err != nil {
			shown := u
			if !manifests.IsFolder(u) {
				shown = manifests.Redact(u)
			}
			r.Bad("manifests-url", shown, err.Error(), manifests.SourceAccepted)
		}
		if strings.HasPrefix(strings.ToLower(u), "http://") {
			r.Warn("manifests-url", "is plain HTTP: the manifests are applied with cluster-admin rights, and anyone on the way can change them; use https://")
		}
		o.Fetcher.Source = u
		if manifests.IsFolder(u) {
			if !r.InWorkspace("manifests-url", u) {
				u = ""
			}
			o.Fetcher.Source = u
			o.Resolver.Folder = u
		}
	}
	return o
}

// Secrets lists the values of the options that must be masked: the
// credentials of a manifests mirror's URL.
func (o Options) Secrets() []string {
	if o.Fetcher == nil {
		return nil
	}
	return userinfo.Credentials(o.Fetcher.Source)
}
