package testcluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"slices"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// csrTestRequest creates a CertificateSigningRequest for a new ECDSA key
// with CN=user and O=groups, as an admin, and returns the key.
func csrTestRequest(t *testing.T, c *Cluster, name, user string, groups []string, seconds *int32, usages ...certificatesv1.KeyUsage) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: user, Organization: groups},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.client.CertificatesV1().CertificateSigningRequests().Create(t.Context(), &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:           pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName:        certificatesv1.KubeAPIServerClientSignerName,
			ExpirationSeconds: seconds,
			Usages:            usages,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// csrTestApprove approves the request name as an admin would.
func csrTestApprove(t *testing.T, c *Cluster, name string) {
	t.Helper()
	csrs := c.client.CertificatesV1().CertificateSigningRequests()
	csr, err := csrs.Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Error(err)
		return
	}
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "TestApprove",
	})
	if _, err := csrs.UpdateApproval(t.Context(), name, csr, metav1.UpdateOptions{}); err != nil {
		t.Error(err)
	}
}

// TestSignCSR issues certificates for approved requests and checks them
// as the API server does: it authenticates each as CN and O.
func TestSignCSR(t *testing.T) {
	t.Parallel()
	c := cluster.Get(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.CAPEM)
	seconds := func(d time.Duration) *int32 { s := int32(d / time.Second); return &s }
	tests := []struct {
		name     string
		seconds  *int32
		lifetime time.Duration // NotAfter - now
		late     bool          // approved only after SignCSR started waiting
	}{
		{name: "twenty minutes", seconds: seconds(20 * time.Minute), lifetime: 20 * time.Minute},
		{name: "ten hours, backdated", seconds: seconds(10 * time.Hour), lifetime: 10*time.Hour - 5*time.Minute},
		{name: "no expirationSeconds is a year", lifetime: 365*24*time.Hour - 5*time.Minute},
		{name: "approved while waiting", seconds: seconds(time.Hour), lifetime: time.Hour, late: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "testcluster-sign-" + string(rune('a'+i))
			groups := []string{"csr-long-group-name", "csr-g"}
			key := csrTestRequest(t, c, name, "csr-user", groups, tt.seconds, certificatesv1.UsageClientAuth, certificatesv1.UsageDigitalSignature)
			if tt.late {
				approved := make(chan struct{})
				defer func() { <-approved }()
				go func() {
					defer close(approved)
					time.Sleep(200 * time.Millisecond)
					csrTestApprove(t, c, name)
				}()
			} else {
				csrTestApprove(t, c, name)
			}
			before := time.Now()
			certPEM := c.SignCSR(t, name)
			block, _ := pem.Decode(certPEM)
			if block == nil {
				t.Fatalf("SignCSR returned no PEM certificate: %q", certPEM)
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("the cluster CA does not verify it for client auth: %v", err)
			}
			if got := cert.NotAfter.Sub(before); got < tt.lifetime-time.Minute || got > tt.lifetime+time.Minute {
				t.Errorf("lifetime %v, want about %v", got, tt.lifetime)
			}
			if got := before.Sub(cert.NotBefore); got < 4*time.Minute || got > 6*time.Minute {
				t.Errorf("NotBefore %v before now, want about 5m", got)
			}
			if cert.KeyUsage != x509.KeyUsageDigitalSignature || cert.IsCA {
				t.Errorf("key usage %v, CA %v; want digital signature only, no CA", cert.KeyUsage, cert.IsCA)
			}
			stored, err := c.client.CertificatesV1().CertificateSigningRequests().Get(t.Context(), name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if string(stored.Status.Certificate) != string(certPEM) {
				t.Error("status.certificate is not the certificate returned")
			}
			csrTestIdentity(t, c, certPEM, key, "csr-user", groups)
		})
	}
}

// csrTestIdentity checks that the API server authenticates certPEM and key
// as user in groups.
func csrTestIdentity(t *testing.T, c *Cluster, certPEM []byte, key *ecdsa.PrivateKey, user string, groups []string) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatalf("certificate and key do not match: %v", err)
	}
	client, err := kubernetes.NewForConfig(&rest.Config{
		Host:            c.URL,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CAPEM, CertData: certPEM, KeyData: keyPEM},
	})
	if err != nil {
		t.Fatal(err)
	}
	review, err := client.AuthenticationV1().SelfSubjectReviews().Create(t.Context(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info := review.Status.UserInfo
	if info.Username != user {
		t.Errorf("authenticated as %q, want %q", info.Username, user)
	}
	for _, g := range groups {
		if !slices.Contains(info.Groups, g) {
			t.Errorf("groups %q lack %q", info.Groups, g)
		}
	}
}

// TestSignCSRFailsOtherUsages fails a request for usages a client
// certificate may not have, as the signer does.
func TestSignCSRFailsOtherUsages(t *testing.T) {
	t.Parallel()
	c := cluster.Get(t)
	const name = "testcluster-sign-server-auth"
	csrTestRequest(t, c, name, "csr-user", nil, nil, certificatesv1.UsageClientAuth, certificatesv1.UsageServerAuth)
	csrTestApprove(t, c, name)
	if cert := c.SignCSR(t, name); cert != nil {
		t.Fatal("SignCSR issued a certificate for server auth")
	}
	csr, err := c.client.CertificatesV1().CertificateSigningRequests().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(csr.Status.Conditions, func(c certificatesv1.CertificateSigningRequestCondition) bool {
		return c.Type == certificatesv1.CertificateFailed
	})
	if i < 0 || csr.Status.Conditions[i].Reason != "SignerValidationFailure" || len(csr.Status.Certificate) != 0 {
		t.Errorf("conditions %+v, certificate %d bytes; want Failed with SignerValidationFailure and no certificate", csr.Status.Conditions, len(csr.Status.Certificate))
	}
}

func TestSignCSRValidity(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	caNotAfter := now.Add(2 * 365 * 24 * time.Hour)
	seconds := func(d time.Duration) *int32 { s := int32(d / time.Second); return &s }
	tests := []struct {
		name       string
		seconds    *int32
		caNotAfter time.Time
		want       time.Duration // NotAfter - now
		wantErr    bool
	}{
		{name: "short lifetimes are not backdated", seconds: seconds(time.Hour), caNotAfter: caNotAfter, want: time.Hour},
		{name: "below ten minutes is ten minutes", seconds: seconds(time.Minute), caNotAfter: caNotAfter, want: 10 * time.Minute},
		{name: "eight hours is backdated", seconds: seconds(8 * time.Hour), caNotAfter: caNotAfter, want: 8*time.Hour - 5*time.Minute},
		{name: "above a year is a year", seconds: seconds(3 * 365 * 24 * time.Hour), caNotAfter: caNotAfter, want: 365*24*time.Hour - 5*time.Minute},
		{name: "never past the CA", seconds: seconds(48 * time.Hour), caNotAfter: now.Add(time.Hour), want: time.Hour},
		{name: "expired CA", seconds: seconds(time.Hour), caNotAfter: now.Add(-time.Hour), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tmpl x509.Certificate
			err := csrValidity(&tmpl, tt.seconds, now, tt.caNotAfter)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got := tmpl.NotAfter.Sub(now); got != tt.want {
				t.Errorf("lifetime %v, want %v", got, tt.want)
			}
			if got := now.Sub(tmpl.NotBefore); got != 5*time.Minute {
				t.Errorf("NotBefore %v before now, want 5m", got)
			}
		})
	}
}
