package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCertSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		subject pkix.Name
		want    string
	}{
		{name: "user only", subject: pkix.Name{CommonName: "ci"}, want: "CN=ci"},
		{name: "user and groups", subject: pkix.Name{CommonName: "ci", Organization: []string{"system:ci", "ops"}}, want: "CN=ci, O=system:ci, O=ops"},
		{name: "no CN", subject: pkix.Name{Organization: []string{"ops"}}, want: "CN=, O=ops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := certSubject(&x509.Certificate{Subject: tt.subject}); got != tt.want {
				t.Errorf("certSubject() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCertSerial(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		serial *big.Int
		want   string
	}{
		{name: "none", serial: nil, want: ""},
		{name: "odd number of digits", serial: big.NewInt(0xabc), want: "0ABC"},
		{name: "even number of digits", serial: big.NewInt(0x1f2e), want: "1F2E"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := certSerial(&x509.Certificate{SerialNumber: tt.serial}); got != tt.want {
				t.Errorf("certSerial() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCertSpan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{name: "seconds", d: 30 * time.Second, want: "less than a minute"},
		{name: "one minute", d: time.Minute, want: "1 minute"},
		{name: "hours", d: 5*time.Hour + 59*time.Minute, want: "5 hours"},
		{name: "a day less a second", d: 24*time.Hour - time.Second, want: "1 day"},
		{name: "less than a minute rounds down", d: 59 * time.Second, want: "less than a minute"},
		{name: "days", d: 29*24*time.Hour + 23*time.Hour, want: "29 days"},
		{name: "negative", d: -3 * 24 * time.Hour, want: "3 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := certSpan(tt.d); got != tt.want {
				t.Errorf("certSpan(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

// certChainFile writes a client certificate for user signed by an
// intermediate CA of p, with the intermediate after it in the same file.
func certChainFile(t *testing.T, p *testPKI, user string) string {
	t.Helper()
	inter, interKey := p.issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: p.name + "-intermediate"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(1000),
		Subject:      pkix.Name{CommonName: user},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, inter, key.Public(), interKey)
	if err != nil {
		t.Fatal(err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: inter.Raw})...)
	file := filepath.Join(p.dir, user+"-chain.crt")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestCertRejection explains 401s to a client certificate by what the
// certificate and the given CA say.
func TestCertRejection(t *testing.T) {
	t.Parallel()
	ours, theirs := newPKI(t, "ours"), newPKI(t, "theirs")
	now := time.Now()
	good, _ := ours.validClient(t, "ci", "system:ci")
	stranger, _ := theirs.validClient(t, "intruder", "system:masters")
	expired, _ := ours.clientFiles(t, "old", nil, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	noCN, _ := ours.clientFiles(t, "", []string{"ops"}, now.Add(-time.Hour), now.Add(time.Hour))
	server, _ := ours.issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "web"},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	serverOnly := ours.write(t, "server-only.crt", "CERTIFICATE", server.Raw)
	chained := certChainFile(t, theirs, "chained")

	tests := []struct {
		name  string
		creds *Credentials
		want  string
	}{
		{name: "signed by another CA than the one given",
			creds: &Credentials{CAFile: ours.CAFile, CertFile: stranger},
			want: fmt.Sprintf(`client certificate %q (CN=intruder, O=system:masters) is not signed by the cluster's client CA: its issuer is "CN=theirs", and the CA in %q does not verify it either (x509: certificate signed by unknown authority)`,
				stranger, ours.CAFile)},
		{name: "verified by the CA given, refused all the same",
			creds: &Credentials{CAFile: ours.CAFile, CertFile: good},
			want: fmt.Sprintf(`client certificate %q (CN=ci, O=system:ci) is not signed by a CA the API server trusts for client certificates: its issuer is "CN=ours", which the CA in %q verifies, so the server's client CA (--client-ca-file) is another one`,
				good, ours.CAFile)},
		{name: "no CA given",
			creds: &Credentials{CertFile: stranger},
			want:  fmt.Sprintf(`client certificate %q (CN=intruder, O=system:masters) is not signed by the cluster's client CA: its issuer is "CN=theirs", which the API server does not trust for client certificates`, stranger)},
		{name: "intermediate in the file, verified up to the CA given",
			creds: &Credentials{CAFile: theirs.CAFile, CertFile: chained},
			want: fmt.Sprintf(`client certificate %q (CN=chained) is not signed by a CA the API server trusts for client certificates: its issuer is "CN=theirs-intermediate", which the CA in %q verifies, so the server's client CA (--client-ca-file) is another one`,
				chained, theirs.CAFile)},
		{name: "expired by the server's clock",
			creds: &Credentials{CAFile: ours.CAFile, CertFile: expired},
			want: fmt.Sprintf(`client certificate %q (CN=old) expired at %s, 1 day ago: the API server refuses it; get a new one signed by the cluster's CA (sdinspect auth csr)`,
				expired, now.Add(-24*time.Hour).UTC().Format(certTimeLayout))},
		{name: "no CN",
			creds: &Credentials{CAFile: ours.CAFile, CertFile: noCN},
			want:  fmt.Sprintf(`client certificate %q (CN=, O=ops) has no CN: the API server takes the user name from CN and refuses a certificate without one`, noCN)},
		{name: "not for client authentication",
			creds: &Credentials{CAFile: ours.CAFile, CertFile: serverOnly},
			want:  fmt.Sprintf(`client certificate %q (CN=web) is not for client authentication: its extended key usage lacks clientAuth, which the API server requires`, serverOnly)},
		{name: "inline, from a kubeconfig user",
			creds: &Credentials{CAFile: ours.CAFile, certData: certFileBytes(t, stranger), kubeUser: "ci", kubeFile: "/home/me/.kube/config"},
			want: fmt.Sprintf(`the client certificate of user "ci" in kubeconfig "/home/me/.kube/config" (CN=intruder, O=system:masters) is not signed by the cluster's client CA: its issuer is "CN=theirs", and the CA in %q does not verify it either (x509: certificate signed by unknown authority)`,
				ours.CAFile)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.creds.certRejection(now); got != tt.want {
				t.Errorf("certRejection()\n = %s\nwant %s", got, tt.want)
			}
		})
	}
}

func certFileBytes(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
