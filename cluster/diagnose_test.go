package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// asClientGo wraps err as client-go's REST client returns transport errors.
func asClientGo(err error) error {
	return &url.Error{Op: "Get", URL: "https://10.0.0.1:6443/api/v1/pods?limit=500", Err: err}
}

func TestDiagnose(t *testing.T) {
	t.Parallel()
	serverCert := &x509.Certificate{Issuer: pkix.Name{CommonName: "kube-ca"}}
	files := &Credentials{Server: "https://10.0.0.1:6443", CAFile: "/etc/ca.crt", CertFile: "/etc/ci.crt", KeyFile: "/etc/ci.key"}
	token := &Credentials{Server: "https://10.0.0.1:6443", Token: true, TokenFile: "/var/run/token"}
	tests := []struct {
		name  string
		err   error
		creds *Credentials
		want  string
	}{
		{
			name:  "unknown CA",
			err:   asClientGo(&tls.CertificateVerificationError{UnverifiedCertificates: []*x509.Certificate{serverCert}, Err: x509.UnknownAuthorityError{Cert: serverCert}}),
			creds: files,
			want:  `the certificate of the API server at https://10.0.0.1:6443 (issued by "CN=kube-ca") is not signed by the CA in "/etc/ca.crt"; give the CA that signed it (--certificate-authority, or tls_config.ca_file)`,
		},
		{
			name:  "unknown CA with system roots",
			err:   asClientGo(x509.UnknownAuthorityError{}),
			creds: token,
			want:  `the certificate of the API server at https://10.0.0.1:6443 is not signed by any CA this system trusts; give the CA that signed it (--certificate-authority, or tls_config.ca_file)`,
		},
		{
			name:  "wrong host",
			err:   asClientGo(x509.HostnameError{Certificate: &x509.Certificate{DNSNames: []string{"kubernetes"}}, Host: "10.0.0.1"}),
			creds: files,
			want:  `the certificate of the API server at https://10.0.0.1:6443 is not valid for the host "10.0.0.1": x509: cannot validate certificate for 10.0.0.1 because it doesn't contain any IP SANs`,
		},
		{
			name:  "server certificate expired",
			err:   asClientGo(x509.CertificateInvalidError{Cert: serverCert, Reason: x509.Expired, Detail: "current time is after 2020"}),
			creds: files,
			want:  `the certificate of the API server at https://10.0.0.1:6443 is expired or not yet valid: x509: certificate has expired or is not yet valid: current time is after 2020`,
		},
		{
			name:  "client certificate expired, by alert",
			err:   asClientGo(&net.OpError{Op: "remote error", Err: errors.New("tls: expired certificate")}),
			creds: files,
			want:  `the API server at https://10.0.0.1:6443 refused client certificate "/etc/ci.crt" during the TLS handshake (tls: expired certificate): the client certificate is expired or not yet valid`,
		},
		{
			name:  "client certificate of another CA, by alert",
			err:   asClientGo(&net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}),
			creds: files,
			want:  `the API server at https://10.0.0.1:6443 refused client certificate "/etc/ci.crt" during the TLS handshake (tls: bad certificate): it is not signed by a CA the server trusts for clients, or not valid now`,
		},
		{
			name:  "client certificate missing, by alert",
			err:   asClientGo(&net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}),
			creds: token,
			want:  `the API server at https://10.0.0.1:6443 requires a client certificate and none was given (--client-certificate and --client-key, or tls_config.cert_file and key_file)`,
		},
		{
			name:  "key does not match",
			err:   errors.New("unable to use specified client cert (/etc/ci.crt) & key (/etc/ci.key): tls: private key does not match public key"),
			creds: files,
			want:  `client certificate "/etc/ci.crt" and client key "/etc/ci.key" do not belong together: the key is not the certificate's private key`,
		},
		{
			name:  "unreadable key",
			err:   fmt.Errorf("unable to read specified client key: %w", &fs.PathError{Op: "open", Path: "/etc/ci.key", Err: syscall.EACCES}),
			creds: files,
			want:  `reading client key "/etc/ci.key": permission denied`,
		},
		{
			name:  "missing token file",
			err:   &fs.PathError{Op: "open", Path: "/var/run/token", Err: syscall.ENOENT},
			creds: token,
			want:  `reading token file "/var/run/token": no such file or directory`,
		},
		{
			name:  "connection refused",
			err:   asClientGo(&net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}),
			creds: files,
			want:  `the API server at https://10.0.0.1:6443 refused the connection: is it running, and are host and port right?`,
		},
		{
			name:  "deadline",
			err:   asClientGo(context.DeadlineExceeded),
			creds: nil,
			want:  `the API server did not answer in time`,
		},
		{
			name:  "unknown host",
			err:   asClientGo(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "kube.invalid", IsNotFound: true}}),
			creds: &Credentials{Server: "https://kube.invalid"},
			want:  `cannot resolve the host "kube.invalid" of the API server at https://kube.invalid: no such host`,
		},
		{
			name:  "plain HTTP server",
			err:   asClientGo(errors.New("http: server gave HTTP response to HTTPS client")),
			creds: files,
			want:  `the API server at https://10.0.0.1:6443 answers plain HTTP, not HTTPS; use an http:// URL if that is intended`,
		},
		{
			name:  "unauthorized certificate that cannot be read back",
			err:   apierrors.NewUnauthorized("Unauthorized"),
			creds: files,
			want:  `the API server at https://10.0.0.1:6443 rejected the credentials (401 Unauthorized): client certificate "/etc/ci.crt" was refused, and cannot be read here to say why: reading client certificate "/etc/ci.crt": no such file or directory`,
		},
		{
			name:  "unauthorized token file",
			err:   apierrors.NewUnauthorized("Unauthorized"),
			creds: token,
			want:  `the API server at https://10.0.0.1:6443 rejected the credentials (401 Unauthorized): the bearer token in "/var/run/token" is invalid, expired, revoked or meant for another cluster`,
		},
		{
			name:  "unauthorized token of a flag",
			err:   apierrors.NewUnauthorized("Unauthorized"),
			creds: &Credentials{Server: "https://10.0.0.1:6443", Token: true, TokenSource: "the --token flag"},
			want:  `the API server at https://10.0.0.1:6443 rejected the credentials (401 Unauthorized): the bearer token from the --token flag is invalid, expired, revoked or meant for another cluster`,
		},
		{
			name:  "unauthorized token of a kubeconfig user",
			err:   apierrors.NewUnauthorized("Unauthorized"),
			creds: &Credentials{Server: "https://10.0.0.1:6443", Token: true, TokenSource: `user "ci" in kubeconfig "/home/me/.kube/config"`},
			want:  `the API server at https://10.0.0.1:6443 rejected the credentials (401 Unauthorized): the bearer token from user "ci" in kubeconfig "/home/me/.kube/config" is invalid, expired, revoked or meant for another cluster`,
		},
		{
			name:  "unauthorized without credentials",
			err:   apierrors.NewUnauthorized("Unauthorized"),
			creds: &Credentials{Server: "https://10.0.0.1:6443"},
			want:  `the API server at https://10.0.0.1:6443 rejected the credentials (401 Unauthorized): no client certificate or token was given, and the server does not allow anonymous access`,
		},
		{
			name:  "unrecognized errors are flattened",
			err:   errors.New("first line\nsecond line"),
			creds: files,
			want:  `first line second line`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Diagnose(tt.err, tt.creds)
			if got == nil || got.Error() != tt.want {
				t.Errorf("Diagnose() = %v\nwant          %s", got, tt.want)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("Diagnose() does not wrap the original error")
			}
		})
	}
	if Diagnose(nil, files) != nil {
		t.Errorf("Diagnose(nil) is not nil")
	}
}

// TestDiagnoseHandshakes explains the errors of real TLS handshakes.
func TestDiagnoseHandshakes(t *testing.T) {
	t.Parallel()
	ours, theirs := newPKI(t, "ours"), newPKI(t, "theirs")
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	plain := ours.tlsServer(t, ok, false)
	mutual := ours.tlsServer(t, ok, true)

	goodCert, goodKey := ours.validClient(t, "ci", "system:ci")
	expiredCert, expiredKey := ours.clientFiles(t, "ci", nil, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	strangerCert, strangerKey := theirs.validClient(t, "ci")

	tests := []struct {
		name     string
		server   string
		caFile   string
		cert     [2]string
		want     string
		wantNone bool
	}{
		{name: "trusted", server: mutual.URL, caFile: ours.CAFile, cert: [2]string{goodCert, goodKey}, wantNone: true},
		{name: "server signed by another CA", server: plain.URL, caFile: theirs.CAFile,
			want: fmt.Sprintf(`(issued by "CN=ours") is not signed by the CA in %q`, theirs.CAFile)},
		{name: "expired client certificate", server: mutual.URL, caFile: ours.CAFile, cert: [2]string{expiredCert, expiredKey},
			want: fmt.Sprintf(`refused client certificate %q during the TLS handshake (tls: expired certificate)`, expiredCert)},
		{name: "client certificate of another CA", server: mutual.URL, caFile: ours.CAFile, cert: [2]string{strangerCert, strangerKey},
			want: fmt.Sprintf(`requires a client certificate signed by a CA it trusts, and client certificate %q is not, so it was not sent`, strangerCert)},
		{name: "no client certificate", server: mutual.URL, caFile: ours.CAFile,
			want: `requires a client certificate and none was given`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			creds := &Credentials{Server: tt.server, CAFile: tt.caFile, CertFile: tt.cert[0], KeyFile: tt.cert[1]}
			err := get(tt.server, creds)
			if tt.wantNone {
				if err != nil {
					t.Fatalf("GET: %v", err)
				}
				return
			}
			got := Diagnose(err, creds)
			if got == nil || !strings.Contains(got.Error(), tt.want) {
				t.Errorf("Diagnose(%v)\n = %v\nwant it to contain %s", err, got, tt.want)
			}
		})
	}
}

// get makes one request with creds' CA and client certificate.
func get(server string, creds *Credentials) error {
	caPEM, err := os.ReadFile(creds.CAFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool}
	if creds.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(creds.CertFile, creds.KeyFile)
		if err != nil {
			return err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	resp, err := client.Get(server)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}
