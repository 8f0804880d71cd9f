package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

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
