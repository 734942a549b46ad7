package certreq

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// issueFor signs a certificate for key with subject and extended key
// usages, as a cluster signer would, with a throwaway CA.
func issueFor(t *testing.T, key crypto.Signer, subject pkix.Name, usages ...x509.ExtKeyUsage) []byte {
	t.Helper()
	caKey, err := NewKey(ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: usages,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	// The leaf, then its chain, as a signer may return them.
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
}

func TestCheck(t *testing.T) {
	key, err := NewKey(ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewKey(RSA)
	if err != nil {
		t.Fatal(err)
	}
	asked := pkix.Name{CommonName: "alice", Organization: []string{"ops", "system:monitoring"}}
	clientAuth := x509.ExtKeyUsageClientAuth
	tests := []struct {
		name    string
		cert    []byte
		wantErr string
	}{
		{name: "as asked", cert: issueFor(t, key, asked, clientAuth)},
		{name: "groups in another order", cert: issueFor(t, key, pkix.Name{CommonName: "alice", Organization: []string{"system:monitoring", "ops"}}, clientAuth)},
		{name: "no extended key usage means any", cert: issueFor(t, key, asked)},
		{name: "after a PEM block of another type", cert: append([]byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"), issueFor(t, key, asked, clientAuth)...)},
		{name: "another key", cert: issueFor(t, other, asked, clientAuth), wantErr: "for another key (RSA 2048), not the ECDSA P-256 key"},
		{name: "another user", cert: issueFor(t, key, pkix.Name{CommonName: "bob", Organization: asked.Organization}, clientAuth), wantErr: `names user "bob", not "alice"`},
		{name: "a group missing", cert: issueFor(t, key, pkix.Name{CommonName: "alice", Organization: []string{"ops"}}, clientAuth), wantErr: `carries groups "ops", not "ops", "system:monitoring"`},
		{name: "server auth only", cert: issueFor(t, key, asked, x509.ExtKeyUsageServerAuth), wantErr: "not for client authentication"},
		{name: "no certificate", cert: []byte("not PEM"), wantErr: "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := Check(tt.cert, key, "alice", []string{"ops", "system:monitoring"})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cert.Subject.CommonName != "alice" {
					t.Errorf("returned the certificate of %q", cert.Subject.CommonName)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
