// Package fakedocker is a stand-in `docker` executable for tests: it records
// every command line and answers from rules the test sets. It never contacts
// a Docker daemon or any network.
//
// A test package calls Main first thing in its TestMain; Install then puts a
// `docker` on PATH (a symlink to the test binary itself) for one test.
package fakedocker

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envDir names the directory holding the rules and the record of calls; the
// fake acts only when it is set and the process was started as "docker".
const envDir = "KNATIVE_PREVIEW_FAKE_DOCKER_DIR"

// Rule answers one kind of command line.
type Rule struct {
	// Args is the command line after "docker". "*" matches any one
	// argument; a final "**" matches whatever follows.
	Args []string `json:"args"`
	// Stdout and Stderr are written as they are.
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
	// Exit is the exit code.
	Exit int `json:"exit,omitempty"`
	// OutputFlag, when set, writes Stdout to the file named by the argument
	// after this flag (docker save --output FILE) instead of stdout.
	OutputFlag string `json:"outputFlag,omitempty"`
	// Hang makes the command wait until it is killed, like a daemon that
	// does not answer.
	Hang bool `json:"hang,omitempty"`
}

// Call is one recorded command line.
type Call struct {
	Args  []string `json:"args"`
	Stdin string   `json:"stdin,omitempty"`
}

// fake is the fake docker of one test.
type fake struct {
	dir   string
	rules []Rule
	t     testing.TB
}

// Install puts the fake docker alone on PATH for the rest of the test, so
// neither the kind library nor our code can reach a real docker.
func Install(t testing.TB) *fake {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("fakedocker: locating the test binary: %v", err)
	}
	if err := os.Symlink(exe, filepath.Join(dir, "docker")); err != nil {
		t.Fatalf("fakedocker: %v", err)
	}
	t.Setenv("PATH", dir)
	t.Setenv(envDir, dir)
	f := &fake{dir: dir, t: t}
	f.save()
	return f
}

// On adds rules; the first rule that matches a command line answers it,
// before the daemon model (WithDaemon) does.
func (f *fake) On(rules ...Rule) *fake {
	f.rules = append(f.rules, rules...)
	f.save()
	return f
}

func (f *fake) save() {
	f.t.Helper()
	b, err := json.Marshal(f.rules)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "rules.json"), b, 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// Calls returns the command lines run so far, in order.
func (f *fake) Calls() []Call {
	f.t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, "calls.jsonl"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	var calls []Call
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var c Call
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			f.t.Fatalf("fakedocker: bad record %q: %v", sc.Text(), err)
		}
		calls = append(calls, c)
	}
	return calls
}

// Unmatched returns the command lines no rule answered: calls the code
// under test made that the test did not expect.
func (f *fake) Unmatched() []string {
	f.t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, "unmatched"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(data), "\n"), "\n")
}

// CommandLines returns the recorded calls as "docker a b c" strings.
func (f *fake) CommandLines() []string {
	f.t.Helper()
	var out []string
	for _, c := range f.Calls() {
		out = append(out, "docker "+strings.Join(c.Args, " "))
	}
	return out
}

// Main answers as the fake docker and exits when this process was started
// as one; otherwise it returns at once. Call it first in TestMain.
func Main() {
	dir := os.Getenv(envDir)
	if dir == "" || filepath.Base(os.Args[0]) != "docker" {
		return
	}
	os.Exit(answer(dir, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func answer(dir string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	in, _ := io.ReadAll(stdin) // /dev/null when the caller gave no stdin
	rec, err := json.Marshal(Call{Args: args, Stdin: string(in)})
	if err != nil {
		fmt.Fprintln(stderr, "fakedocker:", err)
		return 98
	}
	f, err := os.OpenFile(filepath.Join(dir, "calls.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintln(stderr, "fakedocker:", err)
		return 98
	}
	_, werr := f.Write(append(rec, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		fmt.Fprintln(stderr, "fakedocker:", werr)
		return 98
	}

	data, err := os.ReadFile(filepath.Join(dir, "rules.json"))
	if err != nil {
		fmt.Fprintln(stderr, "fakedocker:", err)
		return 98
	}
	var rules []Rule
	if err := json.Unmarshal(data, &rules); err != nil {
		fmt.Fprintln(stderr, "fakedocker:", err)
		return 98
	}
	for _, r := range rules {
		if !matches(r.Args, args) {
			continue
		}
		if r.Hang {
			time.Sleep(time.Hour)
		}
		if r.OutputFlag != "" {
			path := ""
			for i, a := range args {
				if a == r.OutputFlag && i+1 < len(args) {
					path = args[i+1]
				}
			}
			if path == "" {
				fmt.Fprintf(stderr, "fakedocker: no %s argument\n", r.OutputFlag)
				return 98
			}
			if err := os.WriteFile(path, []byte(r.Stdout), 0o600); err != nil {
				fmt.Fprintln(stderr, "fakedocker:", err)
				return 98
			}
		} else {
			_, _ = io.WriteString(stdout, r.Stdout)
		}
		_, _ = io.WriteString(stderr, r.Stderr)
		return r.Exit
	}
	if r := answerDaemon(dir, args, in); r != nil {
		_, _ = io.WriteString(stdout, r.stdout)
		_, _ = io.WriteString(stderr, r.stderr)
		return r.exit
	}
	line := "docker " + strings.Join(args, " ")
	if u, err := os.OpenFile(filepath.Join(dir, "unmatched"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		_, _ = fmt.Fprintln(u, line)
		_ = u.Close()
	}
	fmt.Fprintf(stderr, "fakedocker: no rule for: %s\n", line)
	return 99
}

func matches(pattern, args []string) bool {
	for i, p := range pattern {
		if p == "**" && i == len(pattern)-1 {
			return true
		}
		if i >= len(args) || (p != "*" && p != args[i]) {
			return false
		}
	}
	return len(pattern) == len(args)
}
