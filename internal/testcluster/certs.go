package testcluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Client certificates that the API server refuses, for tests of what users
// see then: expired or not yet valid ones signed by the cluster CA, and
// ones signed by a CA of their own that the cluster does not trust.

// ClientCertValidity is ClientCert with a validity period of the test's
// choosing, from notBefore to notAfter: an expired certificate, one not
// yet valid, or one about to expire. The keys are ECDSA P-256, which is
// quicker to generate than RSA and accepted alike.
func (c *Cluster) ClientCertValidity(t testing.TB, notBefore, notAfter time.Time, user string, groups ...string) (certFile, keyFile string) {
	t.Helper()
	return issueClientFiles(t, c.ca, notBefore, notAfter, user, groups)
}

// CA is a certificate authority that no Cluster trusts: what a user has
// signed a certificate with when they took the wrong CA.
type CA struct {
	// CertFile is the path of the CA certificate (PEM).
	CertFile string

	ca *authority
}

// NewCA makes a certificate authority whose subject is CN=name and writes
// its certificate in a temporary directory of t.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	a, err := newNamedAuthority(name, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(file, a.certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return &CA{CertFile: file, ca: a}
}

// newNamedAuthority makes a certificate authority whose subject is
// CN=name, valid from an hour before now for ten years.
func newNamedAuthority(name string, now time.Time) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("creating CA %q: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the CA certificate: %w", err)
	}
	return &authority{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// ClientCert issues a client certificate for user in groups signed by ca,
// valid from an hour ago for a year, as Cluster.ClientCert issues them.
func (ca *CA) ClientCert(t testing.TB, user string, groups ...string) (certFile, keyFile string) {
	t.Helper()
	now := time.Now()
	return issueClientFiles(t, ca.ca, now.Add(-time.Hour), now.Add(365*24*time.Hour), user, groups)
}

// issueClientFiles writes a client certificate for user in groups signed
// by a, valid from notBefore to notAfter, and its key.
func issueClientFiles(t testing.TB, a *authority, notBefore, notAfter time.Time, user string, groups []string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := a.issueValid(user, groups, key, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err = writeKeyPair(t.TempDir(), "client", kp)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// issueValid signs a client certificate for user in groups and key,
// valid from notBefore to notAfter.
func (a *authority) issueValid(user string, groups []string, key crypto.Signer, notBefore, notAfter time.Time) (keyPair, error) {
	tmpl, err := clientTemplate(user, groups)
	if err != nil {
		return keyPair{}, err
	}
	if tmpl.SerialNumber, err = newSerial(); err != nil {
		return keyPair{}, err
	}
	tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, key.Public(), a.key)
	if err != nil {
		return keyPair{}, fmt.Errorf("signing a certificate for %q: %w", user, err)
	}
	keyPEM, err := privateKeyPEM(key)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM: keyPEM}, nil
}
