package testcluster

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClientCert(t *testing.T) {
	t.Parallel()
	ca, err := newAuthority(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{ca: ca}
	tests := []struct {
		name   string
		user   string
		groups []string
	}{
		{name: "one group", user: "sdinspect-ci", groups: []string{"system:sdinspect"}},
		{name: "two groups", user: "alice", groups: []string{"dev", "ops"}},
		{name: "no group", user: "bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			certFile, keyFile := c.ClientCert(t, tt.user, tt.groups...)
			cert := parseCert(t, certFile)
			if cert.Subject.CommonName != tt.user {
				t.Errorf("CN = %q, want %q", cert.Subject.CommonName, tt.user)
			}
			if diff := cmp.Diff(tt.groups, cert.Subject.Organization); diff != "" {
				t.Errorf("O (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, cert.ExtKeyUsage); diff != "" {
				t.Errorf("extended key usage (-want +got):\n%s", diff)
			}
			if cert.IsCA {
				t.Error("client certificate is a CA")
			}
			pool := x509.NewCertPool()
			pool.AddCert(ca.cert)
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("not a client certificate of the cluster CA: %v", err)
			}

			info, err := os.Stat(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			if mode := info.Mode().Perm(); mode != 0o600 {
				t.Errorf("key file mode = %v, want 0600", mode)
			}
			block := readPEM(t, keyFile)
			if block.Type != "PRIVATE KEY" {
				t.Errorf("key PEM type = %q, want PRIVATE KEY (PKCS #8, as openssl genrsa writes)", block.Type)
			}
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			rsaKey, ok := key.(*rsa.PrivateKey)
			if !ok || rsaKey.N.BitLen() != 2048 {
				t.Fatalf("key is %T, want an RSA 2048 key", key)
			}
			if !rsaKey.PublicKey.Equal(cert.PublicKey) {
				t.Error("the key does not match the certificate")
			}
		})
	}
}

func TestServingCertificate(t *testing.T) {
	t.Parallel()
	p, err := newPKI()
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(p.serving.certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.ca.cert)
	for _, host := range []string{"127.0.0.1", "localhost", "::1"} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
			t.Errorf("serving certificate not valid for %q: %v", host, err)
		}
	}
}

func parseCert(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	cert, err := x509.ParseCertificate(readPEM(t, file).Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func readPEM(t *testing.T, file string) *pem.Block {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(b)
	if block == nil || len(rest) != 0 {
		t.Fatalf("%s: want exactly one PEM block", file)
	}
	return block
}
