// Package outputs records the run's results and hands them to whoever asked:
// GITHUB_OUTPUT inside Actions, and outside it a short summary for people on
// stderr or, with JSON chosen, one JSON object on stdout.
package outputs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/sethvargo/go-githubactions"
)

// Output describes one output of the action.
type Output struct {
	Name        string
	Description string
}

// Outputs is every output the action writes, in the order action.yml lists
// them.
var Outputs = []Output{
	{Name: "kubernetes-version", Description: "Version of the cluster's Kubernetes API server, e.g. v1.34.3."},
	{Name: "context", Description: "Kubeconfig context the run used."},
	{Name: "kubeconfig-path", Description: "kind: path, relative to the workspace, of a kubeconfig for the cluster, for later steps: ${{ github.workspace }}/<this output>."},
	{Name: "knative-version", Description: "Knative Serving release installed, X.Y.Z (serving-version resolved)."},
	{Name: "ingress", Description: "Networking layer installed: kourier, istio or contour."},
	{Name: "ingress-version", Description: "Release of the networking layer installed, X.Y.Z (same minor as Knative Serving)."},
	{Name: "domain", Description: "DNS suffix Knative gives service URLs; empty when none could be chosen."},
	{Name: "install-seconds", Description: "Seconds the install stage took (resolve, fetch, apply, wait until ready, configure)."},
	{Name: "url", Description: "URL of the Knative Service (of its tag's route when tag is set); with service-file, the primary Service's."},
	{Name: "urls", Description: "JSON object of every Knative Service deployed, name to URL (with service-file, each of the file's Services; else the one Service)."},
	{Name: "host-url", Description: "kind: the service's URL as steps on the runner reach it: http://<service>.<namespace>.127.0.0.1.sslip.io[:host-port]."},
	{Name: "reachable", Description: "true when a reviewer can open url after the job: the cluster outlives the job and the domain resolves outside it; false for a cluster that goes with the job (kind on a GitHub-hosted runner, GKE with delete-cluster: on-exit), a loopback, private or reserved domain (127.0.0.1.sslip.io, example.com, svc.cluster.local), or visibility cluster-local."},
	{Name: "reachable-why", Description: "When reachable is false: why, and how to get a preview that can be reached."},
	{Name: "service", Description: "Name of the Knative Service."},
	{Name: "namespace", Description: "Namespace of the Knative Service."},
	{Name: "revision", Description: "Revision this run created."},
	{Name: "ready-seconds", Description: "Seconds from creating or updating the Service to seeing it Ready."},
	{Name: "cold-start-ms", Description: "Median cold start in milliseconds (request sent to full response), over samples a new pod served; without the first sample when it pulled the image."},
	{Name: "cold-start-p95-ms", Description: "95th percentile (nearest rank) of those cold starts, in milliseconds."},
	{Name: "cold-start-first-ms", Description: "The first cold start after deploying, when it included pulling the image, in milliseconds; empty otherwise."},
	{Name: "cold-start-samples-json", Description: "JSON array of every cold-start sample (the input cold-start-samples is their number): total and first-byte times, breakdown (scaled, scheduled, started, ready), pod, image pulled or present, verdict."},
	{Name: "warm-p50-ms", Description: "Median time to first byte of the warm smoke requests, in milliseconds."},
	{Name: "regression", Description: "With a baseline: none, slower, faster or inconclusive (too few samples on a side to tell); empty without one."},
	{Name: "regression-figures", Description: "With a baseline: JSON array of each figure compared (cold-start-median, cold-start-p95, ready, warm-p50) with the baseline's and this run's value in ms, the delta in ms and percent, the rank test's p-value and the figure's verdict."},
	{Name: "removed", Description: "mode sweep: JSON array of the previews removed (in a dry run, that would be), each with namespace, service, tag, pull-request, reason (pull request closed, idle for N days) and removed (false in a dry run, or where removing it failed)."},
	{Name: "comment-url", Description: "In a pull request: the address of the comment the action keeps on it; empty when none was written."},
	{Name: "report", Description: "Path, relative to the workspace, of the run's JSON report (versions, stage times, every cold start sample, warm latencies, checks; schema in internal/report/schema.json), for actions/upload-artifact: ${{ github.workspace }}/<this output>."},
}

// Format selects how results are shown outside Actions.
type Format string

// Formats accepted outside Actions.
const (
	Text Format = "text"
	JSON Format = "json"
)

// delimiter is the heredoc delimiter go-githubactions writes around every
// value in GITHUB_OUTPUT; a value containing it would end the value early.
const delimiter = "_GitHubActionsFileCommandDelimeter_"

// Writer collects outputs. It is safe for concurrent use.
type Writer struct {
	mu     sync.Mutex
	gha    *githubactions.Action // nil outside Actions
	format Format
	stdout io.Writer
	stderr io.Writer
	names  []string
	values map[string]string
	// Redact, when set, removes secrets from every value before it is
	// kept: an output may quote what a service answered.
	Redact func(string) string
	// ShowText and ShowJSON, when set, make what Flush prints outside
	// Actions safe to print in a workflow step's log (the values hold
	// names and text from the cluster): each line of text, and the JSON
	// document as a whole, so that it stays valid JSON.
	ShowText func(string) string
	ShowJSON func([]byte) ([]byte, error)
}

// NewActions writes each output to the file named by GITHUB_OUTPUT as soon
// as it is set, so outputs set before a failure still reach later steps.
func NewActions(getenv func(string) string) (*Writer, error) {
	path := getenv("GITHUB_OUTPUT")
	if path == "" {
		return nil, errors.New("GITHUB_OUTPUT is not set: the runner did not give this step an output file")
	}
	if err := Appendable(path); err != nil {
		return nil, fmt.Errorf("the output file GITHUB_OUTPUT: %w", err)
	}
	return &Writer{
		gha:    githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(io.Discard)),
		values: map[string]string{},
	}, nil
}

// Appendable checks, before anything is done, that the runner's command
// file at path can be appended to (it is created when missing, as the
// runner's files are): a run must not do its work and then lose what it
// found.
func Appendable(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("cannot be written: %w", err)
	}
	return f.Close()
}

// NewLocal keeps outputs until Flush, which writes them in format: text to
// stderr, json to stdout. An output that is a path is relative to the
// workspace (later steps see it at another place than this process).
func NewLocal(format Format, stdout, stderr io.Writer) *Writer {
	return &Writer{format: format, stdout: stdout, stderr: stderr, values: map[string]string{}}
}

// Set records the output name. Names must be declared in Outputs.
func (w *Writer) Set(name, value string) error {
	if !slices.ContainsFunc(Outputs, func(o Output) bool { return o.Name == name }) {
		return fmt.Errorf("output %q is not declared in the action's outputs", name)
	}
	if strings.Contains(value, delimiter) {
		return fmt.Errorf("output %q: the value contains the output file's delimiter and cannot be written safely", name)
	}
	if w.Redact != nil {
		value = w.Redact(value)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, seen := w.values[name]; !seen {
		w.names = append(w.names, name)
	}
	w.values[name] = value
	if w.gha != nil {
		return w.writeActions(name, value)
	}
	return nil
}

// Values returns the outputs set so far, by name.
func (w *Writer) Values() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]string, len(w.values))
	for k, v := range w.values {
		out[k] = v
	}
	return out
}

// Flush shows the outputs outside Actions; inside, they are already written.
func (w *Writer) Flush() error { return w.flush("") }

// FlushFailed shows the outputs set before the run failed; with JSON, the
// object also carries the failure under "error".
func (w *Writer) FlushFailed(failure string) error { return w.flush(failure) }

func (w *Writer) flush(failure string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gha != nil {
		return nil
	}
	if w.format == JSON {
		obj := make(map[string]string, len(w.values)+1)
		for k, v := range w.values {
			obj[k] = v
		}
		if failure != "" {
			obj["error"] = failure
		}
		data, err := json.MarshalIndent(obj, "", "  ")
		if err == nil && w.ShowJSON != nil {
			data, err = w.ShowJSON(data)
		}
		if err != nil {
			return fmt.Errorf("writing outputs as JSON: %w", err)
		}
		_, err = fmt.Fprintf(w.stdout, "%s\n", data)
		return err
	}
	if len(w.names) == 0 {
		return nil
	}
	width := 0
	for _, n := range w.names {
		width = max(width, len(n))
	}
	if failure != "" {
		fmt.Fprintln(w.stderr, "Outputs set before the failure:")
	} else {
		fmt.Fprintln(w.stderr, "Outputs:")
	}
	show := w.ShowText
	if show == nil {
		show = func(s string) string { return s }
	}
	for _, n := range w.names {
		fmt.Fprintf(w.stderr, "%s\n", show(fmt.Sprintf("  %-*s  %s", width, n, w.values[n])))
	}
	return nil
}

func (w *Writer) writeActions(name, value string) (err error) {
	// go-githubactions panics when the output file cannot be written; turn
	// that into an error that names the output.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing output %q to GITHUB_OUTPUT: %v", name, r)
		}
	}()
	w.gha.SetOutput(name, value)
	return nil
}
