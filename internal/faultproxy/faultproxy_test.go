package faultproxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// upstream is a TLS server that, like the API server, wants a client
// certificate of its CA and answers with a body naming the user.
type upstream struct {
	url               string
	caPEM             []byte
	certFile, keyFile string
	pool              *x509.CertPool
	client            tls.Certificate
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	ca, err := newAuthority("upstream CA")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user := "anonymous"
		if len(r.TLS.PeerCertificates) > 0 {
			user = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		w.Header().Set("Content-Type", "text/plain")
		// A body long enough that half of it is more than the headers.
		io.WriteString(w, strings.Repeat(user+" "+r.URL.RequestURI()+"\n", 50))
	}))
	serving, err := ca.serving()
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serving}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	client, err := ca.client("alice")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	u := &upstream{url: srv.URL, caPEM: ca.certPEM, pool: pool, client: client,
		certFile: filepath.Join(dir, "client.crt"), keyFile: filepath.Join(dir, "client.key")}
	key, err := x509.MarshalPKCS8PrivateKey(client.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, u.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: client.Certificate[0]}))
	writeFile(t, u.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}))
	return u
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// proxy starts a proxy to u with rules and returns it with a client that
// trusts it and presents u's client certificate.
func (u *upstream) proxy(t *testing.T, rules ...Rule) (*Proxy, *http.Client) {
	t.Helper()
	p := Start(t, Config{Upstream: u.url, CAPEM: u.caPEM, CertFile: u.certFile, KeyFile: u.keyFile, Rules: rules})
	caPEM, err := os.ReadFile(p.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{u.client}}}
	t.Cleanup(tr.CloseIdleConnections)
	return p, &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// get asks for path and reads the whole body.
func get(c *http.Client, url string) (*http.Response, []byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestForwardsAsTheClient(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	p, c := u.proxy(t)
	resp, body, err := get(c, p.URL+"/api/v1/pods?limit=5")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("alice /api/v1/pods?limit=5\n", 50); resp.StatusCode != http.StatusOK || string(body) != want {
		t.Errorf("got %d %q, want 200 and the upstream's answer for alice", resp.StatusCode, body)
	}

	// Without the client certificate: 401, as from the API server.
	anonymous := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: c.Transport.(*http.Transport).TLSClientConfig.RootCAs}}}
	resp, body, err = get(anonymous, p.URL+"/api/v1/pods")
	if err != nil {
		t.Fatal(err)
	}
	if st := decodeStatus(t, body); resp.StatusCode != http.StatusUnauthorized || st.Reason != metav1.StatusReasonUnauthorized {
		t.Errorf("anonymous: got %d %+v, want 401 Unauthorized", resp.StatusCode, st)
	}
	if p.Faulted() != 0 {
		t.Errorf("Faulted = %d without rules", p.Faulted())
	}
}

func decodeStatus(t *testing.T, body []byte) metav1.Status {
	t.Helper()
	var st metav1.Status
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("not a Status: %v: %q", err, body)
	}
	return st
}

func TestRulesPickRequests(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	p, c := u.proxy(t,
		Rule{Path: "/pods", Continue: true, Skip: 1, Times: 1, Fault: Gone},
		Rule{Path: "/nodes", First: true, Times: 2, Fault: Status(http.StatusServiceUnavailable, "")},
	)
	requests := []struct {
		path string
		want int
	}{
		{"/api/v1/pods?limit=5", http.StatusOK},
		{"/api/v1/pods?limit=5&continue=a", http.StatusOK},
		{"/api/v1/pods?limit=5&continue=b", http.StatusGone},
		{"/api/v1/pods?limit=5&continue=c", http.StatusOK},
		{"/api/v1/nodes?continue=a", http.StatusOK},
		{"/api/v1/nodes", http.StatusServiceUnavailable},
		{"/api/v1/nodes", http.StatusServiceUnavailable},
		{"/api/v1/nodes", http.StatusOK},
	}
	for _, r := range requests {
		resp, body, err := get(c, p.URL+r.path)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != r.want {
			t.Errorf("%s: %d, want %d", r.path, resp.StatusCode, r.want)
		}
		if r.want == http.StatusGone {
			st := decodeStatus(t, body)
			if st.Reason != metav1.StatusReasonExpired || st.Code != http.StatusGone || st.Message != expiredMessage {
				t.Errorf("410 Status = %+v, want the API server's expired continue token", st)
			}
		}
	}
	if p.Faulted() != 3 {
		t.Errorf("Faulted = %d, want 3; log:\n%s", p.Faulted(), strings.Join(p.Log(), "\n"))
	}
}

func TestStatusRetryAfter(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	p, c := u.proxy(t, Rule{Fault: Status(http.StatusTooManyRequests, "3")})
	resp, body, err := get(c, p.URL+"/api/v1/pods")
	if err != nil {
		t.Fatal(err)
	}
	st := decodeStatus(t, body)
	want := metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure,
		Message: "Too many requests, please try again later.", Reason: metav1.StatusReasonTooManyRequests, Code: 429,
		Details: &metav1.StatusDetails{RetryAfterSeconds: 3}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("got %d with Retry-After %q, want 429 and 3", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestBrokenAnswers(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	whole := []byte(strings.Repeat("alice /api/v1/pods\n", 50))
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, resp *http.Response, body []byte, err error)
	}{
		{"reset", Reset, func(t *testing.T, _ *http.Response, body []byte, err error) {
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("error = %v, want a connection reset", err)
			}
			if !bytes.HasPrefix(whole, body) || len(body) >= len(whole) {
				t.Errorf("read %d bytes %q, want a part of the answer", len(body), body)
			}
		}},
		{"truncate", Truncate, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error = %v, want an unexpected EOF", err)
			}
			if resp.ContentLength != int64(len(whole)) || string(body) != string(whole[:len(whole)/2]) {
				t.Errorf("Content-Length %d, read %q; want %d and the first half", resp.ContentLength, body, len(whole))
			}
		}},
		{"corrupt", Corrupt, func(t *testing.T, _ *http.Response, body []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			want := bytes.Clone(whole)
			copy(want[len(want)/2:], bytes.Repeat([]byte{0xff}, len(want)))
			if !bytes.Equal(body, want) {
				t.Errorf("body %q, want the answer's first half and 0xff bytes", body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, c := u.proxy(t, Rule{Fault: tt.fault})
			resp, err := c.Get(p.URL + "/api/v1/pods")
			if err != nil {
				t.Fatalf("no answer at all: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			tt.check(t, resp, body, err)
		})
	}
}

func TestStall(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	p, c := u.proxy(t, Rule{Fault: Stall})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/pods", nil)
	began := time.Now()
	_, err := c.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the client's deadline", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("the stalled request returned after %v", d)
	}
}

func TestTLSFaults(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	t.Run("untrusted", func(t *testing.T) {
		t.Parallel()
		p, c := u.proxy(t, Rule{Path: "/nodes", Fault: Untrusted})
		if _, _, err := get(c, p.URL+"/api/v1/pods"); err != nil {
			t.Fatal(err)
		}
		_, _, err := get(c, p.URL+"/api/v1/nodes")
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) || unknown.Cert.Issuer.CommonName != "faultproxy stranger CA" {
			t.Errorf("error = %v, want the stranger CA's certificate refused", err)
		}
		if _, _, err := get(c, p.URL+"/api/v1/pods"); !errors.As(err, &unknown) {
			t.Errorf("a later request: error = %v, want the stranger CA's certificate refused", err)
		}
	})
	t.Run("handshake cut once", func(t *testing.T) {
		t.Parallel()
		p, c := u.proxy(t, Rule{Path: "/nodes", Times: 1, Fault: CutHandshake})
		if _, _, err := get(c, p.URL+"/api/v1/pods"); err != nil {
			t.Fatal(err)
		}
		// Go's transport sends the request again on a new connection,
		// whose handshake is cut.
		if _, _, err := get(c, p.URL+"/api/v1/nodes"); err == nil || !strings.Contains(err.Error(), "EOF") {
			t.Errorf("error = %v, want the handshake cut off (EOF)", err)
		}
		if _, _, err := get(c, p.URL+"/api/v1/nodes"); err != nil {
			t.Errorf("the next handshake: %v", err)
		}
	})
}
