package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testPKI is a certificate authority for tests, with its certificate in
// CAFile.
type testPKI struct {
	dir    string
	name   string
	cert   *x509.Certificate
	key    crypto.Signer
	CAFile string
	serial int64
}

func newPKI(t *testing.T, name string) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{dir: t.TempDir(), name: name, cert: cert, key: key, serial: 1}
	p.CAFile = p.write(t, name+"-ca.crt", "CERTIFICATE", der)
	return p
}

func (p *testPKI) write(t *testing.T, name, blockType string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue signs a certificate for tmpl's subject and returns it with its key.
func (p *testPKI) issue(t *testing.T, tmpl *x509.Certificate) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.serial++
	tmpl.SerialNumber = big.NewInt(p.serial)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, key.Public(), p.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// serverCert returns a serving certificate for 127.0.0.1 and localhost.
func (p *testPKI) serverCert(t *testing.T) tls.Certificate {
	t.Helper()
	cert, key := p.issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "apiserver"},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:    []string{"localhost"},
	})
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// clientFiles writes a client certificate for user in groups, valid from
// notBefore to notAfter, and its key, and returns both paths.
func (p *testPKI) clientFiles(t *testing.T, user string, groups []string, notBefore, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	cert, key := p.issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: user, Organization: groups},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p.serial++
	base := user + "-" + big.NewInt(p.serial).String()
	return p.write(t, base+".crt", "CERTIFICATE", cert.Raw), p.write(t, base+".key", "PRIVATE KEY", keyDER)
}

// validClient writes a currently valid client certificate.
func (p *testPKI) validClient(t *testing.T, user string, groups ...string) (certFile, keyFile string) {
	return p.clientFiles(t, user, groups, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
}

// tlsServer serves h over TLS with a certificate of p, requiring client
// certificates signed by p when clientCAs is set.
func (p *testPKI) tlsServer(t *testing.T, h http.Handler, requireClientCert bool) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{p.serverCert(t)}}
	if requireClientCert {
		pool := x509.NewCertPool()
		pool.AddCert(p.cert)
		s.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		s.TLS.ClientCAs = pool
	}
	// Refused handshakes are what the tests are about; do not log them.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}
