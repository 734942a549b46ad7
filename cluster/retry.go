package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/klog/v2"
)

// Defaults of Retry.
const (
	defaultAttempts = 5
	defaultBackoff  = 250 * time.Millisecond
	defaultMaxWait  = 5 * time.Second
)

// Retry says how often, and how far apart, List asks for one page again
// after a failure that may pass. The zero value means the defaults: five
// attempts, waits of 250ms, 500ms, 1s and 2s (each drawn at random between
// half and all of it), at most 5s each.
//
// A LIST is a read, so asking again is safe; a page is asked for again with
// the same continue token, and only a page that came whole and decoded is
// kept. List retries a page after:
//
//   - 429 Too Many Requests, and any 5xx answer but 501 Not Implemented;
//   - a connection reset or closed before the answer or in its middle, and
//     an answer that cannot be decoded (cut short, or garbled on the way);
//   - a refused connection, once the server has answered this List: it is
//     restarting;
//   - 403 Forbidden on a continued page, whose first page the server
//     allowed, or after a connection broke: a restarting kube-apiserver
//     refuses everything for a moment, until its authorizer has read the
//     RBAC objects. If it still refuses after the last attempt, that is a
//     refusal like any other.
//
// The wait is what Retry-After asks for, if the answer has one and it is
// longer than the backoff, and never more than MaxWait. A wait that would
// end past the context's deadline is not started: List gives up at once,
// saying so. Nothing else is retried: TLS and certificate failures, 401,
// 404, other 4xx answers, an expired deadline. A 410 Gone on a continued
// page (the continue token expired) starts the whole list over instead.
//
// client-go's REST client has retries of its own: up to ten per request,
// for a 429 or 5xx answer that carries Retry-After (waiting as long as the
// header says, without a cap) and for a GET whose connection was reset or
// closed before the answer (waiting 1s). Under this policy they would
// multiply into fifty requests per page and minutes of waiting, so List
// keeps them off for its pages (see pageTransport): each attempt here is
// one request on the wire. Go's HTTP transport still replays a request
// once, at no cost, when a kept-alive connection turns out to be closed
// before anything was sent on it.
type Retry struct {
	// Attempts is the most requests made for one page, the first one
	// included; 0 means 5, and 1 retries nothing.
	Attempts int
	// Backoff is the wait before the second attempt; it doubles for
	// each later one, up to MaxWait; 0 means 250ms.
	Backoff time.Duration
	// MaxWait caps every wait, one that Retry-After asks for included;
	// 0 means 5s.
	MaxWait time.Duration
}

// withDefaults fills in the zero fields of r.
func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = defaultAttempts
	}
	if r.Backoff <= 0 {
		r.Backoff = defaultBackoff
	}
	if r.MaxWait <= 0 {
		r.MaxWait = defaultMaxWait
	}
	return r
}

// wait is how long to wait after the failed attempt n (from 1): the
// backoff with jitter, or longer if the server asked for it, capped.
func (r Retry) wait(n int, asked time.Duration) time.Duration {
	d := r.MaxWait
	if shift := n - 1; shift < 32 && r.Backoff<<shift < r.MaxWait && r.Backoff<<shift > 0 {
		d = r.Backoff << shift
	}
	d = d/2 + rand.N(d/2+1)
	return min(max(d, asked), r.MaxWait)
}

// page lists one page, asking again as r.opts.Retry allows. Its first
// attempt is first, if not nil: a request made ahead, by prefetch, with
// the same options. Once an attempt's answer has come, and before it is
// decoded, ahead is called with its continue token if the answer tells it.
func (l *lister) page(ctx context.Context, list listPage, namespace string, opts metav1.ListOptions, first *prefetched, ahead func(cont string)) ([]runtime.Object, string, error) {
	policy := l.opts.Retry.withDefaults()
	for n := 1; ; n++ {
		var (
			ans  *fetched
			a    *attempt
			err  error
			objs []runtime.Object
			cont string
		)
		if n == 1 && first != nil {
			ans, a, err = first.wait()
		} else {
			ans, a, err = l.fetch(ctx, list, namespace, opts)
		}
		if err == nil {
			if ans.known {
				ahead(ans.cont)
			}
			objs, cont, err = ans.decode()
		}
		if err == nil {
			l.answered.Store(true)
			return objs, cont, nil
		}
		f := l.classify(ctx, err, a, opts.Continue != "")
		if !f.retry {
			return nil, "", f.err
		}
		if n >= policy.Attempts {
			return nil, "", f.exhausted(n)
		}
		wait := policy.wait(n, f.asked)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return nil, "", f.pastDeadline(n)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, "", ctx.Err()
		case <-t.C:
		}
	}
}

// fetch makes one attempt at a page, recording what the transport saw of
// it.
func (l *lister) fetch(ctx context.Context, list listPage, namespace string, opts metav1.ListOptions) (*fetched, *attempt, error) {
	// client-go logs a body that broke off to stderr (through klog); here
	// that is one failed attempt, reported in the error if it is the last.
	ctx = klog.NewContext(ctx, logr.Discard())
	a := &attempt{}
	f, err := list(context.WithValue(ctx, attemptKey{}, a), namespace, opts)
	return f, a, err
}

// prefetched is a first attempt at a page made ahead, while the page before
// it is decoded.
type prefetched struct {
	opts   metav1.ListOptions
	cancel context.CancelFunc
	done   chan struct{}
	f      *fetched
	a      *attempt
	err    error
}

// prefetch starts a first attempt at the page of opts.
func (l *lister) prefetch(ctx context.Context, list listPage, namespace string, opts metav1.ListOptions) *prefetched {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetched{opts: opts, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.f, p.a, p.err = l.fetch(ctx, list, namespace, opts)
	}()
	return p
}

// wait returns the attempt's outcome once it has one.
func (p *prefetched) wait() (*fetched, *attempt, error) {
	<-p.done
	p.cancel()
	return p.f, p.a, p.err
}

// abandon cancels the attempt, if there is one, and waits for it to end.
func (p *prefetched) abandon() {
	if p != nil {
		p.cancel()
		<-p.done
	}
}

// failure is one failed attempt at a page.
type failure struct {
	// err is what the attempt gave, returned when it is not retried.
	err error
	// retry says the attempt may be made again.
	retry bool
	// msg says what went wrong, naming the server, for the error of the
	// last attempt.
	msg string
	// asked is the wait the server asked for with Retry-After, if any.
	asked time.Duration
	// refused marks a 403, which stays a refusal after the last attempt.
	refused bool
}

// exhausted is the error after n attempts that all failed, the last as f.
func (f failure) exhausted(n int) error {
	if f.refused {
		return f.err
	}
	return &gaveUpError{msg: fmt.Sprintf("%s; giving up after %s", f.msg, attempts(n)), err: f.err}
}

// pastDeadline is the error when the wait after attempt n would end past
// the deadline.
func (f failure) pastDeadline(n int) error {
	msg := f.msg
	if f.asked > 0 {
		msg += fmt.Sprintf(" and asked to retry after %v", f.asked)
	}
	return &gaveUpError{msg: fmt.Sprintf("%s; giving up after %s, as the next would start past the deadline (--timeout)", msg, attempts(n)), err: f.err}
}

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// gaveUpError ends a page that failed every attempt allowed; its message
// is complete, not to be explained again by Diagnose.
type gaveUpError struct {
	msg string
	err error
}

func (e *gaveUpError) Error() string { return e.msg }
func (e *gaveUpError) Unwrap() error { return e.err }

// classify says whether the attempt that gave err (recorded in a) may be
// made again; continued says it asked for a later page.
func (l *lister) classify(ctx context.Context, err error, a *attempt, continued bool) failure {
	server := l.creds.serverName()
	if ctx.Err() != nil {
		// Whatever the attempt gave, maybe an answer cut short by the
		// cancellation, it ended because time ran out.
		return failure{err: ctx.Err()}
	}
	if a.connErr != nil {
		return l.classifyConn(a.connErr, server)
	}
	if a.bodyErr != nil {
		l.broke.Store(true)
		return failure{err: err, retry: true, msg: fmt.Sprintf("the answer of %s broke off (%s)", server, brokenBy(a.bodyErr))}
	}
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		if a.status >= 200 && a.status < 300 {
			return failure{err: err, retry: true, msg: fmt.Sprintf("the answer of %s could not be decoded (%s)", server, oneLine(err))}
		}
		// Errors of a clientset without a transport (a fake in tests).
		if utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) {
			l.broke.Store(true)
			return failure{err: err, retry: true, msg: fmt.Sprintf("the connection to %s broke (%s)", server, brokenBy(err))}
		}
		return failure{err: err}
	}
	code := int(st.Status().Code)
	msg := fmt.Sprintf("%s answered %d %s", server, code, http.StatusText(code))
	if m := statusMessage(err); m != "" && m != http.StatusText(code) {
		msg += fmt.Sprintf(" (%s)", m)
	}
	switch {
	case code == http.StatusTooManyRequests, code >= 500 && code != http.StatusNotImplemented:
		return failure{err: err, retry: true, msg: msg, asked: retryAfter(a, err)}
	case code == http.StatusForbidden && (continued || l.broke.Load()):
		return failure{err: err, retry: true, msg: msg, refused: true}
	}
	return failure{err: err}
}

// classifyConn classifies a request that got no answer.
func (l *lister) classifyConn(err error, server string) failure {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		alert     tls.AlertError
		nerr      net.Error
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &verify), errors.As(err, &alert), isRemoteAlert(err):
		// The server's identity or ours was refused: no attempt changes that.
		return failure{err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		if !l.answered.Load() {
			// Nothing answered yet: the address is wrong or the server is
			// down, and Diagnose says so at once.
			return failure{err: err}
		}
		l.broke.Store(true)
		return failure{err: err, retry: true, msg: fmt.Sprintf("%s refused the connection", server)}
	case errors.Is(err, syscall.ECONNRESET):
		l.broke.Store(true)
		return failure{err: err, retry: true, msg: fmt.Sprintf("%s reset the connection", server)}
	case utilnet.IsProbableEOF(err), utilnet.IsHTTP2ConnectionLost(err):
		l.broke.Store(true)
		return failure{err: err, retry: true, msg: fmt.Sprintf("%s closed the connection without answering", server)}
	case errors.As(err, &nerr) && nerr.Timeout():
		return failure{err: err, retry: true, msg: fmt.Sprintf("%s did not answer in time (%v)", server, rootCause(err))}
	}
	return failure{err: err}
}

// isRemoteAlert reports a TLS alert the server sent, such as "bad
// certificate" for a client certificate it does not accept.
func isRemoteAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// brokenBy names what cut a connection short, without the addresses and
// ports that differ on every run.
func brokenBy(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed"
	}
	return oneLine(rootCause(err)).Error()
}

// retryAfter is the wait the server asked for: the Retry-After header of
// the answer, else the retryAfterSeconds of its Status.
func retryAfter(a *attempt, err error) time.Duration {
	if s, convErr := strconv.Atoi(strings.TrimSpace(a.retryAfter)); convErr == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if s, ok := apierrors.SuggestsClientDelay(err); ok && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// attempt records what the transport saw of one page request. client-go's
// error does not tell a connection that broke before the answer from one
// that broke in its middle, and pageTransport takes Retry-After away from
// client-go.
type attempt struct {
	// status is the HTTP status of the answer; 0 if none came.
	status int
	// retryAfter is the answer's Retry-After header.
	retryAfter string
	// connErr is why no answer came, hidden from client-go.
	connErr error
	// bodyErr is why the answer's body could not be read to its end.
	bodyErr error
}

// attemptKey is the context key of an *attempt.
type attemptKey struct{}

// errNoAnswer is what client-go sees of a page request that got no answer:
// an error it does not retry, unlike a reset or closed connection.
// lister.page reads the real error from the attempt.
var errNoAnswer = errors.New("no answer")

// pageTransport keeps client-go from retrying List's pages on its own (see
// Retry): of a request whose context carries an *attempt, it hides the
// error of a failed connection and the Retry-After header of an answer,
// and records them, with any error reading the body, in the attempt.
// Other requests pass untouched.
type pageTransport struct{ next http.RoundTripper }

func (t pageTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	a, ok := req.Context().Value(attemptKey{}).(*attempt)
	if !ok {
		return t.next.RoundTrip(req)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		if req.Context().Err() != nil {
			return nil, err
		}
		a.connErr = &url.Error{Op: "Get", URL: req.URL.String(), Err: err}
		return nil, errNoAnswer
	}
	a.status = resp.StatusCode
	if v := resp.Header.Get("Retry-After"); v != "" {
		a.retryAfter = v
		resp.Header.Del("Retry-After")
	}
	resp.Body = &recordingBody{ReadCloser: resp.Body, a: a}
	return resp, nil
}

// recordingBody records the first error reading a body other than its end.
type recordingBody struct {
	io.ReadCloser
	a *attempt
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.a.bodyErr == nil {
		b.a.bodyErr = err
	}
	return n, err
}
