package faultproxy

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Fault is what the proxy does to a request instead of forwarding it
// faithfully.
type Fault struct {
	kind       kind
	code       int
	retryAfter string
}

type kind int

const (
	none kind = iota
	reset
	truncate
	corrupt
	status
	gone
	stall
	untrusted
	cutHandshake
)

// The faults. Those that break an answer (Reset, Truncate, Corrupt) forward
// the request and break what the API server answered.
var (
	// Reset sends the answer's headers and the first half of its body,
	// waits for the client to read them, then resets the TCP connection.
	Reset = Fault{kind: reset}
	// Truncate sends the answer's headers, with the Content-Length of the
	// whole body, and the first half of the body, then closes the
	// connection cleanly (TLS close_notify, FIN): the body ends early.
	Truncate = Fault{kind: truncate}
	// Corrupt sends the whole answer, headers intact, with the second half
	// of its body overwritten by 0xff bytes. Both JSON and the protobuf
	// envelope end with structure (closing brackets, the envelope's last
	// fields) that is then gone, so no decoder reads it as the objects
	// sent. (A change that still decodes, say inside a string, is invisible
	// to any client; TLS is what rules it out on a real wire.)
	Corrupt = Fault{kind: corrupt}
	// Gone answers 410 Gone with the Status the API server sends for an
	// expired continue token (reason Expired), without forwarding.
	Gone = Fault{kind: gone}
	// Stall answers nothing until the client gives up or the proxy stops.
	Stall = Fault{kind: stall}
	// Untrusted closes the request's connection without answering, closes
	// every idle connection, answers every later request with
	// "Connection: close", and presents a certificate of another CA
	// (StrangerCA) at every later handshake: the client's next request
	// fails TLS verification.
	Untrusted = Fault{kind: untrusted}
	// CutHandshake closes the request's connection without answering and
	// cuts off the next TLS handshake after the client's hello; later
	// handshakes succeed.
	CutHandshake = Fault{kind: cutHandshake}
)

// Status answers code with a Status body as the API server writes it,
// without forwarding, and with the header Retry-After: retryAfter unless
// retryAfter is "". Its Status carries retryAfterSeconds as well when
// retryAfter is a number, as the API server's own 429s do.
func Status(code int, retryAfter string) Fault {
	return Fault{kind: status, code: code, retryAfter: retryAfter}
}

func (f Fault) String() string {
	switch f.kind {
	case none:
		return "forwarded"
	case status:
		if f.retryAfter != "" {
			return fmt.Sprintf("%d, Retry-After %s", f.code, f.retryAfter)
		}
		return strconv.Itoa(f.code)
	}
	return [...]string{reset: "reset", truncate: "truncated", corrupt: "corrupted", gone: "410 Gone",
		stall: "stalled", untrusted: "untrusted from now on", cutHandshake: "next handshake cut"}[f.kind]
}

// expiredMessage is the API server's message for an expired continue token.
const expiredMessage = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."

// statusReasons are the reasons and messages the API server gives with
// the codes Status is used with.
var statusReasons = map[int][2]string{
	http.StatusTooManyRequests:     {string(metav1.StatusReasonTooManyRequests), "Too many requests, please try again later."},
	http.StatusInternalServerError: {string(metav1.StatusReasonInternalError), "Internal error occurred: injected by faultproxy"},
	http.StatusServiceUnavailable:  {string(metav1.StatusReasonServiceUnavailable), "the server is currently unable to handle the request"},
	http.StatusGatewayTimeout:      {string(metav1.StatusReasonTimeout), "the server was unable to return a response in the time allotted"},
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.authorized(r) {
		writeStatus(w, http.StatusUnauthorized, metav1.StatusReasonUnauthorized, "Unauthorized", "")
		return
	}
	p.mu.Lock()
	if p.closeConns {
		w.Header().Set("Connection", "close")
	}
	p.mu.Unlock()
	f := p.pick(r)
	switch f.kind {
	case status:
		reason := statusReasons[f.code]
		writeStatus(w, f.code, metav1.StatusReason(reason[0]), reason[1], f.retryAfter)
		return
	case gone:
		writeStatus(w, http.StatusGone, metav1.StatusReasonExpired, expiredMessage, "")
		return
	case stall:
		select {
		case <-r.Context().Done():
		case <-p.closed:
		}
		// Still no answer: returning would send an empty 200.
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			c.Close()
		}
		return
	case untrusted, cutHandshake:
		p.mu.Lock()
		if f.kind == untrusted {
			p.untrusted, p.closeConns = true, true
			for c, state := range p.conns {
				if state == http.StateIdle {
					c.Close()
				}
			}
		} else {
			p.cutHandsh++
		}
		p.mu.Unlock()
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			c.Close()
		}
		return
	}

	resp, body, err := p.forward(r)
	if err != nil {
		writeStatus(w, http.StatusBadGateway, metav1.StatusReasonInternalError, fmt.Sprintf("faultproxy: forwarding: %v", err), "")
		return
	}
	switch f.kind {
	case reset, truncate:
		p.breakAnswer(w, resp, body, f.kind == reset)
		return
	case corrupt:
		for i := len(body) / 2; i < len(body); i++ {
			body[i] = 0xff
		}
	}
	copyHeader(w.Header(), resp.Header)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
}

// forward sends r to the API server and reads the whole answer.
func (p *Proxy) forward(r *http.Request) (*http.Response, []byte, error) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), r.Body)
	if err != nil {
		return nil, nil, err
	}
	copyHeader(out.Header, r.Header)
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	return resp, body, nil
}

// breakAnswer sends the status line, the headers and half the body of
// the answer on the raw connection, then resets or closes it.
func (p *Proxy) breakAnswer(w http.ResponseWriter, resp *http.Response, body []byte, rst bool) {
	c, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	h := http.Header{}
	copyHeader(h, resp.Header)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	fmt.Fprintf(buf, "HTTP/1.1 %s\r\n", resp.Status)
	h.Write(buf)
	buf.WriteString("\r\n")
	buf.Write(body[:len(body)/2])
	buf.Flush()
	if !rst {
		c.Close()
		return
	}
	// Let the client read the headers and start on the body: a reset
	// that arrives first throws away what it has not read yet.
	time.Sleep(20 * time.Millisecond)
	raw := c
	if tc, ok := c.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	raw.Close()
}

// hopHeaders are the headers of one connection, not to be forwarded.
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Content-Length": true,
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if hopHeaders[http.CanonicalHeaderKey(k)] {
			continue
		}
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
}

// writeStatus answers code with a v1 Status, as the API server does.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg, retryAfter string) {
	st := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message:  msg,
		Reason:   reason,
		Code:     int32(code),
	}
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
		if s, err := strconv.Atoi(retryAfter); err == nil {
			st.Details = &metav1.StatusDetails{RetryAfterSeconds: int32(s)}
		}
	}
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(st)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(code)
	w.Write(b.Bytes())
}
