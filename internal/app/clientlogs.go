package app

import (
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/knative-preview/action/internal/console"
)

// routeClientLogs has what client-go says on its own (the API server's
// warnings: deprecations, an admission webhook's word about an object of
// a pull request's; and klog's lines) told through the run's console,
// which hides every secret and makes text from outside inert, instead of
// written raw on stderr, where the runner reads workflow commands too.
func routeClientLogs(con *console.Console) {
	rest.SetDefaultWarningHandler(rest.NewWarningWriter(consoleLines{con, "the API server warns: "}, rest.WarningWriterOptions{Deduplicate: true}))
	klog.LogToStderr(false)
	klog.SetOutput(consoleLines{con, "client-go: "})
}

// consoleLines passes what is written to it to the console, a line at a
// time, each after prefix.
type consoleLines struct {
	con    *console.Console
	prefix string
}

func (c consoleLines) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(l, "Warning: ")); l != "" {
			c.con.Infof("%s%s", c.prefix, l)
		}
	}
	return len(p), nil
}
