package kube

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"golang.org/x/net/http2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// Transient reports whether err may pass by itself when the request is
// made again: a connection refused, reset, closed or lost (dropped), a timeout,
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
	case errors.As(err, &dnsErr):
		return dnsErr.IsTimeout || dnsErr.IsTemporary
	case dropped(err):
		return true
	case errors.As(err, &netErr) && netErr.Timeout():
		return true
	}
	return false
}

// dropped reports whether err is a connection that was refused, closed,
// reset or lost before or during the answer, as when the API server
// restarts (a GKE control plane does during an upgrade): by the error's
// type, whatever its wording.
func dropped(err error) bool {
	var op *net.OpError
	var goAway http2.GoAwayError
	var stream http2.StreamError
	var conn http2.ConnectionError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	case errors.Is(err, net.ErrClosed): // "use of closed network connection"
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true // the connection dropped before or during the answer
	case errors.As(err, &op) && (op.Op == "read" || op.Op == "write"):
		return true // a connection in use failed, whatever the cause
	case errors.As(err, &goAway), errors.As(err, &conn):
		return true // the server is going away, or the connection failed
	case errors.As(err, &stream):
		return stream.Code != http2.ErrCodeProtocol && stream.Code != http2.ErrCodeFrameSize && stream.Code != http2.ErrCodeCompression
	}
	return droppedByMessage(err)
}

// droppedByMessage is the fallback for errors that carry no type to test:
// net/http's own copy of HTTP/2 and its HTTP/1 transport make these with
// errors.New, unexported, or format them into a message. apimachinery's
// IsProbableEOF and IsHTTP2ConnectionLost know most; the rest are listed.
func droppedByMessage(err error) bool {
	if utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err) {
		return true
	}
	msg := err.Error()
	for _, m := range []string{
		"http2: client conn is closed",                                // errClientConnClosed
		"http2: Transport received Server's graceful shutdown GOAWAY", // errClientConnGotGoAway
		"http: server closed idle connection",                         // errServerClosedIdle
	} {
		if strings.Contains(msg, m) {
			return true
		}
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
