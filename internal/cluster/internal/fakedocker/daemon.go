package fakedocker

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/distribution/reference"
)

// Store is the image store of a modelled Docker daemon.
type Store string

const (
	// Classic is the graph-driver store (overlay2), the default of Docker
	// 28 (GitHub's ubuntu-24.04 runners). It keeps one platform of an
	// image; an image's id is the digest of its configuration, which is
	// also the id CRI gives it in a node (moby image/tarexport/save.go).
	Classic Store = "classic"
	// Containerd is the containerd image store, the default of Docker 29
	// (actions/runner-images' 26.04 toolset). It keeps a pulled image's
	// whole index with only the daemon's platform's content; an image's
	// id is the digest its tag points to (the index, or a manifest), or,
	// asked for one platform, that platform's manifest's; `docker save`
	// without --platform writes the whole index with only the content
	// there is (moby daemon/containerd/image_inspect.go and
	// image_exporter.go), which a node's `ctr images import
	// --all-platforms` refuses (kind issue #3795).
	Containerd Store = "containerd"
)

// Variant is one platform's image of an image.
type Variant struct {
	// Platform is os/arch[/variant]: linux/amd64.
	Platform string `json:"platform"`
	// Manifest is the digest of this platform's manifest.
	Manifest string `json:"manifest"`
	// Config is the digest of this platform's image configuration.
	Config string `json:"config"`
	// Present says its layers are in the daemon (pulled or built); a
	// variant that is not is only listed in the image's index.
	Present bool `json:"present"`
}

// Image is an image of the daemon's store.
type Image struct {
	// Ref names it as a user does: myapp:dev, ghcr.io/org/tool:v2.
	Ref string `json:"ref"`
	// Index is the digest of its multi-platform index (manifest list);
	// empty for an image that is one manifest.
	Index string `json:"index,omitempty"`
	// Variants are its platforms. The classic store keeps only the
	// present one.
	Variants []Variant `json:"variants"`
}

// NodeImage is an image in a kind node's containerd.
type NodeImage struct {
	// Name is the containerd image name: docker.io/library/myapp:dev.
	Name string `json:"name"`
	// Target is the digest the name points to (ctr images ls DIGEST).
	Target string `json:"target"`
	// Config is the digest of the node's platform's configuration: the id
	// crictl inspecti reports.
	Config string `json:"config"`
}

// Daemon models what a Docker daemon, and the containerd of the kind
// nodes it runs, answer to the commands that find, save and load images:
// docker info, docker image inspect [--platform], docker save [--platform],
// and in a node crictl inspecti, ctr images ls and ctr images import
// --all-platforms. Commands a rule answers are not asked of it.
type Daemon struct {
	Store Store `json:"store"`
	// Version is the daemon's version (docker info ServerVersion). The
	// CLI refuses save --platform before 28.0 (API 1.48) and image inspect
	// --platform before 28.1 (API 1.49). Empty: 28.0.4 for Classic,
	// 29.1.3 for Containerd.
	Version string `json:"version,omitempty"`
	// Client is the docker CLI's version; empty: Version. A CLI older than
	// 28.0 (save) or 28.1 (image inspect) has no --platform flag.
	Client string `json:"client,omitempty"`
	// Platform is the daemon's, and its nodes', platform; empty:
	// linux/amd64.
	Platform string  `json:"platform,omitempty"`
	Images   []Image `json:"images"`
	// Nodes are the images in each kind node's containerd, by node name.
	Nodes map[string][]NodeImage `json:"nodes"`
}

// WithDaemon has the fake answer image commands as d does.
func (f *fake) WithDaemon(d Daemon) *fake {
	f.t.Helper()
	if d.Version == "" {
		d.Version = "28.0.4"
		if d.Store == Containerd {
			d.Version = "29.1.3"
		}
	}
	if d.Client == "" {
		d.Client = d.Version
	}
	if d.Platform == "" {
		d.Platform = "linux/amd64"
	}
	if d.Nodes == nil {
		d.Nodes = map[string][]NodeImage{}
	}
	if err := writeDaemon(f.dir, &d); err != nil {
		f.t.Fatal(err)
	}
	return f
}

// NodeImages returns the images in node's containerd, as the daemon's
// model has them now.
func (f *fake) NodeImages(node string) []NodeImage {
	f.t.Helper()
	d, err := readDaemon(f.dir)
	if err != nil || d == nil {
		f.t.Fatalf("fakedocker: no daemon model: %v", err)
	}
	return d.Nodes[node]
}

func daemonPath(dir string) string { return filepath.Join(dir, "daemon.json") }

func readDaemon(dir string) (*Daemon, error) {
	b, err := os.ReadFile(daemonPath(dir))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var d Daemon
	return &d, json.Unmarshal(b, &d)
}

func writeDaemon(dir string, d *Daemon) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return os.WriteFile(daemonPath(dir), b, 0o600)
}

// reply is what a command prints and its exit code.
type reply struct {
	stdout, stderr string
	exit           int
}

func fail(format string, args ...any) *reply {
	return &reply{stderr: fmt.Sprintf(format, args...) + "\n", exit: 1}
}

// answerDaemon answers args as the modelled daemon, or returns nil when it
// does not model that command.
func answerDaemon(dir string, args []string, stdin []byte) *reply {
	d, err := readDaemon(dir)
	if err != nil {
		return fail("fakedocker: daemon model: %v", err)
	}
	if d == nil {
		return nil
	}
	switch {
	case len(args) == 3 && args[0] == "info" && args[1] == "--format" && args[2] == "{{json .}}":
		return d.info()
	case len(args) >= 2 && args[0] == "image" && args[1] == "inspect":
		platform, rest := flag(args[2:], "--platform")
		if len(rest) != 3 || rest[0] != "--format" || rest[1] != "{{.Id}}" {
			return nil
		}
		return d.inspect(rest[2], platform)
	case len(args) >= 1 && args[0] == "save":
		platform, rest := flag(args[1:], "--platform")
		out, refs := flag(rest, "--output")
		if out == "" || len(refs) == 0 {
			return nil
		}
		return d.save(out, platform, refs)
	case len(args) >= 3 && args[0] == "exec" && args[1] == "--privileged":
		rest := args[2:]
		if rest[0] == "--interactive" {
			rest = rest[1:]
		}
		if len(rest) < 2 {
			return nil
		}
		r := d.node(rest[0], rest[1:], stdin)
		if r != nil && r.exit == 0 {
			if err := writeDaemon(dir, d); err != nil {
				return fail("fakedocker: daemon model: %v", err)
			}
		}
		return r
	}
	return nil
}

// flag takes "name value" out of args.
func flag(args []string, name string) (string, []string) {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1], append(slices.Clone(args[:i]), args[i+2:]...)
		}
	}
	return "", args
}

// info is `docker info --format {{json .}}` (the fields the kind target
// reads, with the values GitHub's ubuntu-24.04 runner reports).
func (d *Daemon) info() *reply {
	driver, status := "overlay2", [][2]string{{"Backing Filesystem", "extfs"}, {"Supports d_type", "true"}, {"Using metacopy", "false"}, {"Native Overlay Diff", "true"}, {"userxattr", "false"}}
	if d.Store == Containerd {
		driver, status = "overlayfs", [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}
	}
	os, arch, _ := strings.Cut(d.Platform, "/")
	switch arch {
	case "amd64":
		arch = "x86_64"
	case "arm64":
		arch = "aarch64"
	}
	b, _ := json.Marshal(map[string]any{
		"ServerVersion": d.Version, "OperatingSystem": "Ubuntu 24.04.3 LTS", "OSType": os, "Architecture": arch,
		"NCPU": 4, "MemTotal": 16766177280, "Driver": driver, "DriverStatus": status,
		"ClientInfo": map[string]any{"Version": d.Client, "Os": "linux"},
	})
	return &reply{stdout: string(b) + "\n"}
}

// apiVersion is the API version of a daemon version, as the CLI names it
// when it refuses a flag the daemon is too old for.
func apiVersion(version string) (major, minor int, api string) {
	parts := strings.SplitN(version, ".", 3)
	major, _ = strconv.Atoi(parts[0])
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	switch {
	case major >= 29:
		api = "1.52"
	case major == 28:
		api = fmt.Sprintf("1.%d", 48+min(minor, 3))
	case major == 27:
		api = "1.47"
	default:
		api = "1.45"
	}
	return major, minor, api
}

// needs refuses --platform as the docker CLI does when it has no such
// flag, or when the daemon's API is older than api (cli/command/image:
// "requires API version").
func (d *Daemon) needs(cmd string, major, minor int, api string) *reply {
	if ma, mi, _ := apiVersion(d.Client); ma < major || ma == major && mi < minor {
		return &reply{stderr: fmt.Sprintf("unknown flag: --platform\nSee 'docker %s --help'.\n", cmd), exit: 125}
	}
	ma, mi, have := apiVersion(d.Version)
	if ma > major || ma == major && mi >= minor {
		return nil
	}
	return fail(`"--platform" requires API version %s, but the Docker daemon API version is %s`, api, have)
}

func (d *Daemon) image(ref string) *Image {
	want := normalize(ref)
	for i := range d.Images {
		if normalize(d.Images[i].Ref) == want {
			return &d.Images[i]
		}
	}
	return nil
}

// normalize is Docker's full name of ref (docker.io/library/myapp:dev), by
// Docker's own rules (github.com/distribution/reference).
func normalize(ref string) string {
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.TagNameOnly(n).String()
}

func (im *Image) present() []Variant {
	var out []Variant
	for _, v := range im.Variants {
		if v.Present {
			out = append(out, v)
		}
	}
	return out
}

// target is the digest the image's name points to in the containerd store.
func (im *Image) target() string {
	if im.Index != "" {
		return im.Index
	}
	return im.Variants[0].Manifest
}

func (im *Image) variant(platform string) *Variant {
	for i, v := range im.Variants {
		if v.Platform == platform && v.Present {
			return &im.Variants[i]
		}
	}
	return nil
}

// inspect is `docker image inspect [--platform P] --format {{.Id}} REF`.
func (d *Daemon) inspect(ref, platform string) *reply {
	if platform != "" {
		if r := d.needs("image inspect", 28, 1, "1.49"); r != nil {
			return r
		}
	}
	im := d.image(ref)
	if im == nil {
		return fail("Error response from daemon: No such image: %s", ref)
	}
	if d.Store == Classic {
		v := im.present()[0]
		if platform != "" && v.Platform != platform {
			// moby daemon/images/image.go (v28.0.4 to docker-v29.1.3)
			return fail("Error response from daemon: image with reference %s was found but its platform (%s) does not match the specified platform (%s)", ref, v.Platform, platform)
		}
		return &reply{stdout: v.Config + "\n"}
	}
	if platform == "" {
		return &reply{stdout: im.target() + "\n"}
	}
	v := im.variant(platform)
	if v == nil {
		return fail("Error response from daemon: image with reference %s was found but does not provide the specified platform (%s)", ref, platform)
	}
	return &reply{stdout: v.Manifest + "\n"}
}

// archive is what the fake's `docker save` writes: for each image, the
// name and target its index.json gives, the manifests the target lists
// and those whose content the archive holds.
type archive struct {
	Images []archived `json:"images"`
}

type archived struct {
	Name    string    `json:"name"`
	Target  string    `json:"target"`
	Listed  []Variant `json:"listed"`
	Present []string  `json:"present"` // manifests whose content is in the archive
}

// save is `docker save [--platform P] --output FILE REF...`.
func (d *Daemon) save(path, platform string, refs []string) *reply {
	if platform != "" {
		if r := d.needs("save", 28, 0, "1.48"); r != nil {
			return r
		}
	}
	var a archive
	for _, ref := range refs {
		im := d.image(ref)
		if im == nil {
			return fail("Error response from daemon: No such image: %s", ref)
		}
		e := archived{Name: normalize(ref)}
		switch {
		case d.Store == Classic:
			v := im.present()[0]
			if platform != "" && v.Platform != platform {
				// moby image/tarexport/save.go (v28.0.4; in docker-v29.1.3
				// daemon/internal/image/tarexport/save.go)
				return fail("Error response from daemon: no suitable export target found for platform %s", platform)
			}
			// The classic store writes a manifest of its own for the
			// configuration it has: not the registry's.
			e.Target = digest("manifest written by docker save for " + v.Config)
			e.Listed = []Variant{v}
		case platform != "":
			v := im.variant(platform)
			if v == nil {
				// moby daemon/containerd/image_exporter.go wrapping
				// daemon/containerd/image.go's errPlatformNotFound
				return fail("Error response from daemon: no suitable export target found: image with reference %s was found but does not provide the specified platform (%s)", ref, platform)
			}
			e.Target = v.Manifest
			e.Listed = []Variant{*v}
		default:
			e.Target = im.target()
			e.Listed = im.Variants
		}
		for _, v := range e.Listed {
			if v.Present {
				e.Present = append(e.Present, v.Manifest)
			}
		}
		a.Images = append(a.Images, e)
	}
	b, err := json.Marshal(a)
	if err != nil {
		return fail("fakedocker: %v", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fail("open %s: %v", path, err)
	}
	return &reply{}
}

// node answers a command run in a kind node with docker exec.
func (d *Daemon) node(name string, cmd []string, stdin []byte) *reply {
	switch {
	case len(cmd) == 3 && cmd[0] == "crictl" && cmd[1] == "inspecti":
		for _, im := range d.Nodes[name] {
			if im.Name == normalize(cmd[2]) {
				b, _ := json.Marshal(map[string]any{"status": map[string]any{"id": im.Config, "repoTags": []string{im.Name}, "repoDigests": []string{}}})
				return &reply{stdout: string(b) + "\n"}
			}
		}
		return fail(`time="2026-01-20T10:05:00Z" level=fatal msg="no such image \"%s\" present"`, cmd[2])
	case len(cmd) == 5 && cmd[0] == "ctr" && cmd[1] == "--namespace=k8s.io" && cmd[2] == "images" && cmd[3] == "ls" && strings.HasPrefix(cmd[4], "name=="):
		var b bytes.Buffer
		tw := tabwriter.NewWriter(&b, 1, 8, 1, ' ', 0) // as ctr writes it
		fmt.Fprintln(tw, "REF\tTYPE\tDIGEST\tSIZE\tPLATFORMS\tLABELS\t")
		for _, im := range d.Nodes[name] {
			if im.Name == strings.TrimPrefix(cmd[4], "name==") {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", im.Name, "application/vnd.oci.image.manifest.v1+json", im.Target, "10.2 MiB", d.Platform, "io.cri-containerd.image=managed")
			}
		}
		_ = tw.Flush()
		return &reply{stdout: b.String()}
	case len(cmd) >= 5 && cmd[0] == "ctr" && cmd[1] == "--namespace=k8s.io" && cmd[2] == "images" && cmd[3] == "import" && slices.Contains(cmd, "--all-platforms") && cmd[len(cmd)-1] == "-":
		var a archive
		if err := json.Unmarshal(stdin, &a); err != nil {
			return fail("ctr: unrecognized image format")
		}
		var out strings.Builder
		for _, e := range a.Images {
			// --all-platforms fetches every manifest the target lists.
			for _, v := range e.Listed {
				if !slices.Contains(e.Present, v.Manifest) {
					return &reply{stdout: out.String(), stderr: fmt.Sprintf("ctr: content digest %s: not found\n", v.Manifest), exit: 1}
				}
			}
			config := e.Listed[0].Config
			for _, v := range e.Listed {
				if v.Platform == d.Platform {
					config = v.Config
				}
			}
			images := slices.DeleteFunc(d.Nodes[name], func(im NodeImage) bool { return im.Name == e.Name })
			d.Nodes[name] = append(images, NodeImage{Name: e.Name, Target: e.Target, Config: config})
			fmt.Fprintf(&out, "unpacking %s (%s)...done\n", e.Name, e.Target)
		}
		return &reply{stdout: out.String()}
	}
	return nil
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}
