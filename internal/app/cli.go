package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/workspace"
)

const usage = `knative-preview: a Knative environment for a pull request, a smoke check or a laptop.

Usage:
  knative-preview up [flags]     bring up Knative on the cluster target, deploy, measure, report
  knative-preview down [flags]   delete the Knative Service (same flags)
  knative-preview sweep [flags]  remove the previews of pull requests no longer open (same flags)
  knative-preview version        print the version
  knative-preview help           show this help

Inside GitHub Actions the container runs with no arguments and reads its
inputs (the flags below, by the same names) from the step's "with:".

Flags of up:
`

func runCLI(ctx context.Context, env Env) int {
	verb, args, code, ok := cliCommand(env)
	if !ok {
		return code
	}
	fs, raw, flags := upFlags(env.Stderr)
	strays, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	con := console.NewLocal(env.Stderr)
	routeClientLogs(con)
	var problems []error
	for _, a := range strays {
		problems = append(problems, fmt.Errorf("unexpected argument %q: every setting is a flag (quote values that contain spaces)", a))
	}
	if m := raw["mode"]; m != "" && m != verb {
		problems = append(problems, &input.Error{Flag: true, Input: "mode", Value: m, Problem: "contradicts the command " + verb, Accepted: "leave --mode out: the command says it"})
	}
	raw["mode"] = verb
	if verb != "up" && *flags.reportJSON != "" {
		problems = append(problems, &input.Error{Flag: true, Input: "report-json", Value: *flags.reportJSON, Problem: "is for up: " + verb + " writes no report", Accepted: "leave --report-json out with " + verb})
	}
	if !slices.Contains([]string{string(outputs.Text), string(outputs.JSON)}, *flags.format) {
		problems = append(problems, &input.Error{Flag: true, Input: "output", Value: *flags.format, Problem: "is not an output format", Accepted: "text, json"})
	}
	cfg, err := config.Parse(raw, input.FlagStyle, env.Getenv)
	con.Mask(cfg.Secrets()...)
	for _, w := range cfg.Warnings {
		con.Warnf("%s", w)
	}
	if err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		reportProblems(con, errors.Join(problems...))
		return exitFailed
	}
	out := localOutputs(con, outputs.Format(*flags.format), env.Stdout, env.Stderr)
	if path := *flags.summaryMarkdown; path != "" {
		con.SummaryTo(func(markdown string) error { return workspace.WriteFile(path, []byte(markdown), 0o644) })
	}
	var keep keepReport
	if path := *flags.reportJSON; path != "" {
		keep = func(data []byte) (string, error) { return "", workspace.WriteFile(path, data, 0o644) }
	}
	cfg.Now = env.Now
	return run(ctx, cfg, con, out, env.Stdout, outputs.Format(*flags.format), env.Getenv, keep)
}

// localOutputs shows the outputs on the command line: secrets removed as
// each is set, and printed so that a workflow step running the CLI reads
// no runner command in them (the JSON stays valid JSON).
func localOutputs(con *console.Console, format outputs.Format, stdout, stderr io.Writer) *outputs.Writer {
	out := outputs.NewLocal(format, stdout, stderr)
	out.Redact, out.ShowText, out.ShowJSON = con.Redact, con.Safe, con.SafeJSON
	return out
}

// cliCommand reads the command of the command line and what follows it;
// with ok false, the command was handled (version, help, one unknown) and
// code is the exit code.
func cliCommand(env Env) (verb string, args []string, code int, ok bool) {
	args = env.Args
	if len(args) > 0 {
		verb, args = args[0], args[1:]
	}
	switch verb {
	case "up", "down", "sweep":
		return verb, args, exitOK, true
	case "version", "--version":
		fmt.Fprintln(env.Stdout, buildinfo.Name, buildinfo.Version)
		return verb, nil, exitOK, false
	case "help", "-h", "--help", "":
		fs, _, _ := upFlags(env.Stderr)
		fmt.Fprint(env.Stderr, usage)
		fs.PrintDefaults()
		if verb == "" {
			return verb, nil, exitFailed, false
		}
		return verb, nil, exitOK, false
	default:
		console.NewLocal(env.Stderr).Errorf("unknown command %q (commands: up, down, sweep, version, help)", verb)
		return verb, nil, exitFailed, false
	}
}

// parseFlags parses args into fs and returns the arguments that are not
// flags: flags may come after a stray argument (--timeout 5 parsecs), so
// all are parsed and the strays reported with the other problems. With ok
// false, parsing ended (help, or a problem the flag package has printed
// with the usage) and code is the exit code.
func parseFlags(fs *flag.FlagSet, args []string) (strays []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitFailed, false
		}
		if fs.NArg() == 0 {
			return strays, exitOK, true
		}
		strays = append(strays, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// cliFlags are the command line's own flags, besides the inputs.
type cliFlags struct {
	// format is how to show the results.
	format *string
	// reportJSON is where to write the run's report; empty: nowhere.
	reportJSON *string
	// summaryMarkdown is where to write the job summary's Markdown; empty:
	// nowhere.
	summaryMarkdown *string
}

func upFlags(stderr io.Writer) (*flag.FlagSet, input.Values, cliFlags) {
	fs := flag.NewFlagSet(buildinfo.Name+" up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	raw := input.Flags(fs, config.Inputs)
	f := cliFlags{
		format:          fs.String("output", string(outputs.Text), "How to show the results: text (a summary on stderr) or json (one object on stdout)."),
		reportJSON:      fs.String("report-json", "", "Write the run's JSON report (versions, stage times, every cold start sample, warm latencies, checks) to this file; in Actions it is the report output."),
		summaryMarkdown: fs.String("summary", "", "Write the run's Markdown summary (the job summary in Actions: tables and Mermaid charts) to this file."),
	}
	return fs, raw, f
}
