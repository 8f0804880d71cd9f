package config

import (
	"flag"
	"io"
	"strconv"

	"github.com/sethvargo/go-githubactions"
)

// FromAction reads every input from the environment a GitHub Actions runner
// gives the container (INPUT_<NAME>, upper-cased, hyphens kept).
func FromAction(getenv func(string) string) Values {
	gha := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(io.Discard))
	raw := Values{}
	for _, in := range Inputs {
		if v := gha.GetInput(in.Name); v != "" {
			raw[in.Name] = v
		}
	}
	return raw
}

// Flags registers one flag per input on fs and returns the values that the
// command line sets once fs.Parse has run. Bool inputs work as bare flags
// (--dry-run) and as --dry-run=false.
func Flags(fs *flag.FlagSet) Values {
	raw := Values{}
	for _, in := range Inputs {
		usage := in.Description
		if in.Default != "" {
			usage += " (default " + strconv.Quote(in.Default) + ")"
		}
		fs.Var(&flagValue{name: in.Name, raw: raw, bool: in.Bool}, in.Name, usage)
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
