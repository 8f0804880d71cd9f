package input

import (
	"flag"
	"io"
	"strconv"

	"github.com/sethvargo/go-githubactions"
)

// FromAction reads every input in defs from the environment a GitHub Actions
// runner gives the container (INPUT_<NAME>, upper-cased, hyphens kept).
func FromAction(defs []Def, getenv func(string) string) Values {
	gha := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(io.Discard))
	raw := Values{}
	for _, d := range defs {
		if v := gha.GetInput(d.Name); v != "" {
			raw[d.Name] = v
		}
	}
	return raw
}

// Flags registers one flag per input on fs and returns the values that the
// command line sets once fs.Parse has run. Bool inputs work as bare flags
// (--dry-run) and as --dry-run=false.
func Flags(fs *flag.FlagSet, defs []Def) Values {
	raw := Values{}
	for _, d := range defs {
		if d.Internal {
			continue // the action's own, not the command line's
		}
		usage := d.Description
		if d.Default != "" {
			usage += " (default " + strconv.Quote(d.Default) + ")"
		}
		fs.Var(&flagValue{name: d.Name, raw: raw, bool: d.Bool}, d.Name, usage)
	}
	return raw
}

type flagValue struct {
	name string
	raw  Values
	bool bool
}

func (f *flagValue) String() string {
	if f == nil || f.raw == nil {
		return ""
	}
	return f.raw[f.name]
}

func (f *flagValue) Set(v string) error {
	f.raw[f.name] = v
	return nil
}

func (f *flagValue) IsBoolFlag() bool { return f.bool }
