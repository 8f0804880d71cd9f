package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"

	"golang.org/x/net/http2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestTransient(t *testing.T) {
	gr := schema.GroupResource{Resource: "configmaps"}
	dial := func(errno error) error {
		return &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/version", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connection refused", dial(syscall.ECONNREFUSED), true},
		{"connection reset", dial(syscall.ECONNRESET), true},
		{"broken pipe", fmt.Errorf("writing: %w", syscall.EPIPE), true},
		{"EOF of a dropped connection", &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api", Err: io.EOF}, true},
		{"unexpected EOF in a body", fmt.Errorf("reading the answer: %w", io.ErrUnexpectedEOF), true},
		{"request cut by the context's deadline", &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api", Err: context.DeadlineExceeded}, true},
		{"rate limiter refusing near the deadline", errors.New("client rate limiter Wait returned an error: rate: Wait(n=1) would exceed context deadline"), true},
		{"cancelled", context.Canceled, false},
		{"DNS name not found", &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}, false},
		{"DNS timeout", &net.DNSError{Err: "i/o timeout", Name: "github.com", IsTimeout: true}, true},
		{"429", apierrors.NewTooManyRequests("slow down", 1), true},
		{"500", apierrors.NewInternalError(errors.New("etcd")), true},
		{"503", apierrors.NewServiceUnavailable("starting"), true},
		{"502", apierrors.NewGenericServerResponse(502, "get", gr, "x", "bad gateway", 0, false), true},
		{"server timeout", apierrors.NewServerTimeout(gr, "list", 1), true},
		{"timeout", apierrors.NewTimeoutError("slow", 1), true},
		{"webhook not answering", apierrors.NewInternalError(errors.New(`Internal error occurred: failed calling webhook "config.webhook.serving.knative.dev": connect: connection refused`)), true},
		{"update raced another", apierrors.NewConflict(gr, "x", errors.New("the object has been modified; please apply your changes to the latest version")), true},
		{"conflict that stays", apierrors.NewConflict(gr, "x", errors.New("field owned by another manager")), false},
		{"already exists", apierrors.NewAlreadyExists(gr, "x"), false},
		{"forbidden", apierrors.NewForbidden(gr, "x", errors.New("no")), false},
		{"unauthorized", apierrors.NewUnauthorized("bad token"), false},
		{"not found", apierrors.NewNotFound(gr, "x"), false},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Kind: "ConfigMap"}, "x", nil), false},
		{"bad request naming a webhook", apierrors.NewBadRequest(`failed calling webhook "w": the request is wrong`), false},
		{"other error", errors.New("x509: certificate signed by unknown authority"), false},

		// A dropped connection, by its type whatever its wording.
		{"write on a closed connection (a server-side apply PATCH)", &url.Error{Op: "Patch", URL: "https://127.0.0.1:6443/apis/apps/v1/deployments/x", Err: &net.OpError{Op: "write", Net: "tcp", Err: net.ErrClosed}}, true},
		{"closed connection, wrapped", fmt.Errorf("applying Deployment x: %w", net.ErrClosed), true},
		{"broken pipe on write", &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}, true},
		{"a read that failed mid-answer", &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api", Err: &net.OpError{Op: "read", Net: "tcp", Err: errors.New("some new wording")}}, true},
		{"HTTP/2 GOAWAY", &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api", Err: http2.GoAwayError{LastStreamID: 3, ErrCode: http2.ErrCodeNo}}, true},
		{"HTTP/2 connection error", fmt.Errorf("reading: %w", http2.ConnectionError(http2.ErrCodeInternal)), true},
		{"HTTP/2 stream refused", http2.StreamError{StreamID: 5, Code: http2.ErrCodeRefusedStream}, true},
		{"HTTP/2 stream reset by the server", http2.StreamError{StreamID: 5, Code: http2.ErrCodeInternal}, true},
		{"HTTP/2 protocol error stays", http2.StreamError{StreamID: 5, Code: http2.ErrCodeProtocol}, false},
		{"TLS alert from the server stays", &net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}, false},
		// No type to test: net/http's own HTTP/2 and HTTP/1 errors.
		{"HTTP/2 connection lost (message)", &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api", Err: errors.New("http2: client connection lost")}, true},
		{"HTTP/2 client conn closed (message)", errors.New("http2: client conn is closed"), true},
		{"net/http's GOAWAY (message)", errors.New("http2: server sent GOAWAY and closed the connection; LastStreamID=1, ErrCode=NO_ERROR, debug=\"\""), true},
		{"net/http broken connection (message)", errors.New("http: can't write HTTP request on broken connection"), true},
		{"server closed an idle connection (message)", errors.New("http: server closed idle connection"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Transient(tt.err); got != tt.want {
				t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// Only a refusal of the credentials or of their rights ends a wait at once.
func TestDenied(t *testing.T) {
	gr := schema.GroupResource{Resource: "services"}
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"forbidden, wrapped", fmt.Errorf("reading: %w", apierrors.NewForbidden(gr, "x", errors.New("no"))), true},
		{"unauthorized", apierrors.NewUnauthorized("token expired"), true},
		{"not found", apierrors.NewNotFound(gr, "x"), false},
		{"server error", apierrors.NewInternalError(errors.New("etcd")), false},
		{"connection refused", syscall.ECONNREFUSED, false},
	} {
		if got := Denied(tt.err); got != tt.want {
			t.Errorf("%s: Denied = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A read that the deadline (or the rate limiter foreseeing it) cut short is
// told apart from one the server refused, so waits keep what they saw.
func TestCutShort(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	limiter := errors.New("client rate limiter Wait returned an error: rate: Wait(n=1) would exceed context deadline")
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"no error", ended, nil, false},
		{"rate limiter foreseeing the deadline, context still live", live, limiter, true},
		{"deadline", live, fmt.Errorf("listing pods: %w", context.DeadlineExceeded), true},
		{"context ended", ended, errors.New("connection reset"), true},
		{"server error on a live context", live, errors.New("the server could not find the requested resource"), false},
	}
	for _, tt := range tests {
		if got := CutShort(tt.ctx, tt.err); got != tt.want {
			t.Errorf("%s: CutShort = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Connections dropped for real, as the client sees them: refused (no
// server), reset (the server gone mid-request), closed under a write.
func TestTransientOnRealConnections(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.(*net.TCPConn).SetLinger(0)
			buf := make([]byte, 1)
			_, _ = c.Read(buf)
			_ = c.Close() // a TCP RST
		}
	}()
	addr := l.Addr().String()
	_, reset := http.Get("http://" + addr + "/api")
	l.Close()
	_, refused := http.Get("http://" + addr + "/api")
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c, err := net.Dial("tcp", other.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	_, closed := c.Write([]byte("PATCH"))
	for name, err := range map[string]error{"reset": reset, "refused": refused, "closed": closed} {
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !Transient(err) {
			t.Errorf("%s: Transient(%v) = false (%T)", name, err, err)
		}
	}
}
