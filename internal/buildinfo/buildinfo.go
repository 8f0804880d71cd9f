// Package buildinfo is this program's name and release, the one place both
// are spelled: labels, field managers, User-Agent headers, cache folders
// and the job summary take them from here.
package buildinfo

// Name is the program's name.
const Name = "knative-preview"

// Version is the release of this binary, set at build time with
// -ldflags "-X github.com/knative-preview/action/internal/buildinfo.Version=v1.2.3".
var Version = "dev"

// UserAgent is the User-Agent of this program's HTTP requests.
func UserAgent() string { return Name + "/" + Version }
