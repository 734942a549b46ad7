package testcluster

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// loadClientCert loads a key pair written by the helpers and checks that
// the key belongs to the certificate and is private to its owner.
func loadClientCert(t *testing.T, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v, %v; want 0600", fi.Mode(), err)
	}
	return pair.Leaf
}

// verifiesWith reports whether cert chains to the CA in caFile for client
// authentication at the time at.
func verifiesWith(t *testing.T, cert *x509.Certificate, caFile string, at time.Time) bool {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err == nil
}

func TestClientCertValidity(t *testing.T) {
	t.Parallel()
	// Valid since before the expired certificate, so that it verifies
	// while that certificate was valid.
	ca, err := newAuthority(time.Now().Add(-72 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	caFile := t.TempDir() + "/ca.crt"
	if err := os.WriteFile(caFile, ca.certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &Cluster{ca: ca, CAFile: caFile}
	other := NewCA(t, "other-ca")
	notBefore := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	notAfter := time.Now().Add(-24 * time.Hour).Truncate(time.Second)

	certFile, keyFile := c.ClientCertValidity(t, notBefore, notAfter, "old", "ops", "dev")
	cert := loadClientCert(t, certFile, keyFile)
	if !cert.NotBefore.Equal(notBefore) || !cert.NotAfter.Equal(notAfter) {
		t.Errorf("validity %v to %v, want %v to %v", cert.NotBefore, cert.NotAfter, notBefore, notAfter)
	}
	if cert.Subject.CommonName != "old" || !cmp.Equal(cert.Subject.Organization, []string{"ops", "dev"}) {
		t.Errorf("subject %v, want CN=old and O=ops, O=dev in order", cert.Subject)
	}
	if verifiesWith(t, cert, caFile, time.Now()) {
		t.Error("an expired certificate verifies now")
	}
	if !verifiesWith(t, cert, caFile, notBefore.Add(time.Hour)) {
		t.Error("the certificate does not verify with the cluster CA while valid")
	}
	if verifiesWith(t, cert, other.CertFile, notBefore.Add(time.Hour)) {
		t.Error("the certificate verifies with another CA")
	}
}

func TestNewCA(t *testing.T) {
	t.Parallel()
	ca := NewCA(t, "stranger-ca")
	certFile, keyFile := ca.ClientCert(t, "intruder", "system:masters")
	cert := loadClientCert(t, certFile, keyFile)
	if got := cert.Issuer.String(); got != "CN=stranger-ca" {
		t.Errorf("issuer %q, want CN=stranger-ca", got)
	}
	if !verifiesWith(t, cert, ca.CertFile, time.Now()) {
		t.Error("the certificate does not verify with its CA now")
	}
	if time.Until(cert.NotAfter) < 364*24*time.Hour {
		t.Errorf("certificate expires at %v, want in a year", cert.NotAfter)
	}
}
