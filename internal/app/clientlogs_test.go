package app

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/console/runnertest"
)

// What the API server warns (an admission webhook may quote a pull
// request's object) and what client-go logs reach the log through the
// console, as routeClientLogs sets them: secrets hidden, text unable to
// command the runner, each warning once.
func TestAPIWarningsGoThroughTheConsole(t *testing.T) {
	const secret = "webhook-secret-0123"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Warning", `299 - "##[error]injected: field spec.x is deprecated; token `+secret+`"`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}}`))
	}))
	defer api.Close()
	var out bytes.Buffer
	con := console.NewActions(&out, func(string) string { return "" })
	con.Mask(secret)
	routeClientLogs(con)
	t.Cleanup(func() {
		rest.SetDefaultWarningHandler(rest.WarningLogger{})
		klog.SetOutput(os.Stderr)
		klog.LogToStderr(true)
	})

	cs, err := kubernetes.NewForConfig(&rest.Config{Host: api.URL})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := cs.CoreV1().Namespaces().Get(t.Context(), "default", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	klog.Info("##[error]from client-go, token " + secret)
	klog.Flush()

	log := runnertest.WithoutMasks(out.String())
	if strings.Contains(log, secret) {
		t.Errorf("the log shows the secret:\n%s", log)
	}
	for _, c := range runnertest.Read(log) {
		t.Errorf("the runner reads the command %q in:\n%s", c.Name, log)
	}
	if n := strings.Count(log, "the API server warns: "); n != 1 || !strings.Contains(log, "field spec.x is deprecated") {
		t.Errorf("%d warnings, want the one, once:\n%s", n, log)
	}
	if !strings.Contains(log, "client-go: ") || !strings.Contains(log, "from client-go, token ***") {
		t.Errorf("client-go's log does not reach the console:\n%s", log)
	}
}
