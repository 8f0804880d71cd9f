package kube

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Transient reports whether err may pass by itself when the request is
// made again: a connection refused, reset or dropped (EOF), a timeout,
// throttling (429), a server error (5xx), an admission webhook that is not
// answering yet, or a write that raced another writer.
//
// An error caused by a context's deadline is transient too: the request
// did not fail, it was not given the time (client-go's rate limiter even
// refuses to start one that "would exceed context deadline"). Whether to
// go on is the caller's decision, from its own context.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	var netErr net.Error
	var dnsErr *net.DNSError
	var status apierrors.APIStatus
	switch {
	// The server says the request itself is wrong: sending it again
	// cannot help, whatever its message mentions.
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err), apierrors.IsForbidden(err),
		apierrors.IsUnauthorized(err), apierrors.IsNotFound(err):
		return false
	case apierrors.IsConflict(err):
		// Only an update that raced another one; other conflicts (an
		// object that already exists, a field another manager owns) stay.
		return strings.Contains(msg, "the object has been modified")
	case strings.Contains(msg, `failed calling webhook "`):
		return true
	case apierrors.IsTooManyRequests(err), apierrors.IsInternalError(err), apierrors.IsServiceUnavailable(err),
		apierrors.IsServerTimeout(err), apierrors.IsTimeout(err):
		return true
	case errors.As(err, &status) && status.Status().Code >= 500:
		return true
	case deadline(err):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true // the connection dropped before or during the answer
	case errors.As(err, &dnsErr):
		return dnsErr.IsTimeout || dnsErr.IsTemporary
	case errors.As(err, &netErr) && netErr.Timeout():
		return true
	}
	return false
}

// CutShort reports whether err ended a request because ctx, or the
// client's rate limiter foreseeing ctx's deadline, gave it no more time,
// rather than because of anything the server said. A wait that reads in a
// loop keeps what it read before such an error: that says more.
func CutShort(ctx context.Context, err error) bool {
	return err != nil && (ctx.Err() != nil || deadline(err) || errors.Is(err, context.Canceled))
}

// deadline reports whether err is a context's deadline, or client-go's rate
// limiter refusing to start a request that "would exceed context deadline"
// (it does not wrap the context's error).
func deadline(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "would exceed context deadline")
}

// Denied reports whether the server refused the request's credentials
// (401) or their rights (403): waiting cannot give a user rights they
// lack, so a wait ends at once on it.
func Denied(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err)
}
