// Package faultproxy is a reverse proxy for tests that stands between a
// client and a real kube-apiserver and breaks the requests a test picks:
// it resets or closes the connection in the middle of an answer, answers
// 429, 5xx or 410 Gone itself, stalls, garbles a body, or fails the TLS
// handshake. Everything it does not break reaches the API server and comes
// back unchanged, so a client that survives the faults must end with
// exactly what it lists without the proxy. Only tests may use it.
//
// Authentication stays real. The proxy terminates TLS with a serving
// certificate of its own CA (CAFile, which the client trusts instead of the
// cluster's), accepts exactly one client certificate, verified against the
// cluster CA, and forwards with that same certificate and key, so the API
// server authenticates and authorizes the same user. A client without it
// gets 401, as from the API server.
//
// Faults are chosen per request by Rules, which match the URL path, a
// continue token and the number of matching requests seen:
//
//	faultproxy.Rule{Path: "/pods", Continue: true, Skip: 1, Times: 1, Fault: faultproxy.Reset}
//
// breaks the third page of pods, once. The proxy speaks HTTP/1.1 only, so
// that it can reach under the HTTP layer to the connection.
package faultproxy

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Config says where the proxy forwards to and as whom.
type Config struct {
	// Upstream is the API server's URL, https://host:port.
	Upstream string
	// CAPEM is the cluster CA (PEM): it signed the API server's serving
	// certificate and the client certificate.
	CAPEM []byte
	// CertFile and KeyFile are the client certificate the proxy accepts
	// and forwards with (PEM files, as testcluster's ClientCert writes).
	CertFile, KeyFile string
	// Rules pick the requests to break; the first rule that fires wins.
	Rules []Rule
}

// Rule breaks some of the requests that match it.
type Rule struct {
	// Path is a part of the URL path a request must contain, such as
	// "/pods" or "/namespaces/shop/services"; "" matches every path.
	Path string
	// Continue matches only requests with a continue token: later pages.
	Continue bool
	// First matches only requests without a continue token: first pages.
	First bool
	// Skip lets this many matching requests through before the fault.
	Skip int
	// Times is how many matching requests after Skip get the fault; 0
	// means every one.
	Times int
	// Fault is what those requests get.
	Fault Fault
}

// matches says whether r is a request the rule looks at.
func (rule Rule) matches(r *http.Request) bool {
	cont := r.URL.Query().Get("continue") != ""
	return strings.Contains(r.URL.Path, rule.Path) && (!rule.Continue || cont) && (!rule.First || !cont)
}

// Request names the LIST request over all namespaces whose path the rule
// matches, as sdinspect's errors name it ("pods in all namespaces").
func (rule Rule) Request() string {
	return strings.TrimPrefix(rule.Path, "/") + " in all namespaces"
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// URL is the proxy's address, https://127.0.0.1:PORT.
	URL string
	// CAFile is the PEM file of the CA that signed the proxy's serving
	// certificate; clients pass it as their --certificate-authority.
	CAFile string
	// StrangerCA is the PEM of the CA that signed the certificate the
	// proxy presents after Untrusted: no client trusts it.
	StrangerCA []byte

	upstream   string
	transport  *http.Transport
	clientCert *x509.Certificate
	srv        *http.Server
	closed     chan struct{}
	closeOnce  sync.Once

	mu         sync.Mutex
	rules      []Rule
	seen       []int                       // matching requests per rule
	faulted    int                         // requests that got a fault
	log        []string                    // one line per request
	conns      map[net.Conn]http.ConnState // for Untrusted: the idle ones are closed
	untrusted  bool                        // present the stranger's certificate
	cutHandsh  int                         // handshakes still to cut off
	closeConns bool                        // answer with Connection: close
}

// Start starts a proxy for cfg on a loopback port and stops it when t
// ends. Any failure is fatal to t.
func Start(t testing.TB, cfg Config) *Proxy {
	t.Helper()
	p, err := start(cfg, t.TempDir())
	if err != nil {
		t.Fatalf("starting the fault proxy: %v", err)
	}
	t.Cleanup(p.close)
	return p
}

func start(cfg Config, dir string) (*Proxy, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cfg.CAPEM) {
		return nil, fmt.Errorf("no certificate in the cluster CA PEM")
	}
	client, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the client certificate: %w", err)
	}
	ca, err := newAuthority("faultproxy CA")
	if err != nil {
		return nil, err
	}
	stranger, err := newAuthority("faultproxy stranger CA")
	if err != nil {
		return nil, err
	}
	serving, err := ca.serving()
	if err != nil {
		return nil, err
	}
	strangerServing, err := stranger.serving()
	if err != nil {
		return nil, err
	}
	caFile := filepath.Join(dir, "faultproxy-ca.crt")
	if err := os.WriteFile(caFile, ca.certPEM, 0o644); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		URL:        "https://" + ln.Addr().String(),
		CAFile:     caFile,
		StrangerCA: stranger.certPEM,
		upstream:   strings.TrimSuffix(cfg.Upstream, "/"),
		transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{client}},
			ForceAttemptHTTP2: true,
		},
		clientCert: client.Leaf,
		closed:     make(chan struct{}),
		rules:      cfg.Rules,
		seen:       make([]int, len(cfg.Rules)),
		conns:      map[net.Conn]http.ConnState{},
	}
	base := &tls.Config{
		Certificates: []tls.Certificate{serving},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
		NextProtos:   []string{"http/1.1"},
	}
	untrusted := base.Clone()
	untrusted.Certificates = []tls.Certificate{strangerServing}
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		return p.handshake(hello, untrusted)
	}
	p.srv = &http.Server{
		Handler:   p,
		TLSConfig: base,
		ConnState: p.track,
		// No HTTP/2: faults need the connection under the HTTP layer.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(io.Discard, "", 0),
	}
	go p.srv.ServeTLS(ln, "", "")
	return p, nil
}

// close stops the proxy: stalled requests return and connections close.
func (p *Proxy) close() {
	p.closeOnce.Do(func() {
		close(p.closed)
		p.srv.Close()
		p.transport.CloseIdleConnections()
	})
}

// Expand fills in format, an expected error: %r with request, the first
// %s with the proxy's URL and %q, if there is one, with its CA file.
func (p *Proxy) Expand(format, request string) string {
	s := strings.Replace(format, "%r", request, 1)
	if strings.Contains(s, "%q") {
		return fmt.Sprintf(s, p.URL, p.CAFile)
	}
	return fmt.Sprintf(s, p.URL)
}

// Faulted returns how many requests got a fault so far.
func (p *Proxy) Faulted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faulted
}

// Log returns one line per request so far, "GET /path?query: fault", for
// a test's failure message.
func (p *Proxy) Log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// pick returns the fault for r, counting it against the rules.
func (p *Proxy) pick(r *http.Request) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	fault := Fault{}
	for i, rule := range p.rules {
		if !rule.matches(r) {
			continue
		}
		p.seen[i]++
		n := p.seen[i] - rule.Skip
		if fault.kind == none && n >= 1 && (rule.Times == 0 || n <= rule.Times) {
			fault = rule.Fault
		}
	}
	if fault.kind != none {
		p.faulted++
	}
	p.log = append(p.log, fmt.Sprintf("%s %s: %v", r.Method, r.URL.RequestURI(), fault))
	return fault
}

// track follows the state of every connection, for Untrusted.
func (p *Proxy) track(c net.Conn, state http.ConnState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if state == http.StateClosed || state == http.StateHijacked {
		delete(p.conns, c)
		return
	}
	p.conns[c] = state
}

// handshake picks the TLS configuration of a new connection: the base
// one, the stranger's after Untrusted, or none after CutHandshake, whose
// connection is closed in the middle of the handshake.
func (p *Proxy) handshake(hello *tls.ClientHelloInfo, untrusted *tls.Config) (*tls.Config, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.cutHandsh > 0:
		p.cutHandsh--
		hello.Conn.Close()
		return nil, fmt.Errorf("faultproxy: handshake cut off")
	case p.untrusted:
		return untrusted, nil
	}
	return nil, nil
}

// authorized says whether r came with the one client certificate the
// proxy forwards with.
func (p *Proxy) authorized(r *http.Request) bool {
	return r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && r.TLS.PeerCertificates[0].Equal(p.clientCert)
}
