package testcluster

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// The settings of kube-controller-manager's kube-apiserver-client signer:
// its default --cluster-signing-duration, the shortest lifetime it grants,
// how far it backdates NotBefore, and below which lifetime it does not
// take the backdating off NotAfter.
const (
	csrMaxTTL   = 365 * 24 * time.Hour
	csrMinTTL   = 10 * time.Minute
	csrBackdate = 5 * time.Minute
	csrShortTTL = 8 * time.Hour
	// csrSignTimeout bounds SignCSR's wait for the request and its approval.
	csrSignTimeout = 30 * time.Second
)

// errCSRFailed marks a request SignCSR refused, as the signer does, with a
// Failed condition.
var errCSRFailed = errors.New("the signer refused the request")

// SignCSR plays kube-controller-manager's signer for
// kubernetes.io/kube-apiserver-client, which this cluster does not run: it
// waits until the CertificateSigningRequest name exists and is approved,
// then issues its certificate with the cluster CA and writes it into
// status.certificate through the status subresource. Like the signer, it
// copies the subject of the request, grants the usages asked for (digital
// signature, key encipherment, client auth; anything else fails the
// request with reason SignerValidationFailure), and honours
// spec.expirationSeconds between ten minutes and a year, with NotBefore
// five minutes back. It returns the certificate (PEM), or nil when it
// failed the request. A denied or already failed request, or a request for
// another signer, fails t.
func (c *Cluster) SignCSR(t testing.TB, name string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), csrSignTimeout)
	defer cancel()
	cert, err := c.signCSR(ctx, name, time.Now)
	if errors.Is(err, errCSRFailed) {
		t.Logf("testcluster: %v", err)
		return nil
	}
	if err != nil {
		t.Fatalf("signing CertificateSigningRequest %q: %v", name, err)
	}
	return cert
}

// signCSR does SignCSR's work, with now as the clock.
func (c *Cluster) signCSR(ctx context.Context, name string, now func() time.Time) ([]byte, error) {
	csr, err := c.approvedCSR(ctx, name)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(csr.Spec.Request)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("spec.request holds no PEM CERTIFICATE REQUEST")
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing spec.request: %w", err)
	}
	if err := req.CheckSignature(); err != nil {
		return nil, fmt.Errorf("checking the signature of spec.request: %w", err)
	}
	keyUsage, extKeyUsage, err := csrClientUsages(csr.Spec.Usages)
	if err != nil {
		return nil, c.failCSR(ctx, csr, err)
	}
	tmpl := &x509.Certificate{
		// The signer re-encodes the parsed subject, as this does.
		Subject:               req.Subject,
		DNSNames:              req.DNSNames,
		IPAddresses:           req.IPAddresses,
		EmailAddresses:        req.EmailAddresses,
		URIs:                  req.URIs,
		KeyUsage:              keyUsage,
		ExtKeyUsage:           extKeyUsage,
		BasicConstraintsValid: true,
	}
	if err := csrValidity(tmpl, csr.Spec.ExpirationSeconds, now(), c.ca.cert.NotAfter); err != nil {
		return nil, err
	}
	if tmpl.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128)); err != nil {
		return nil, fmt.Errorf("generating a serial number: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca.cert, req.PublicKey, c.ca.key)
	if err != nil {
		return nil, fmt.Errorf("signing the certificate: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	err = c.updateCSRStatus(ctx, csr, func(csr *certificatesv1.CertificateSigningRequest) { csr.Status.Certificate = certPEM })
	if err != nil {
		return nil, fmt.Errorf("writing status.certificate: %w", err)
	}
	return certPEM, nil
}

// approvedCSR waits until the request name exists and is approved.
func (c *Cluster) approvedCSR(ctx context.Context, name string) (*certificatesv1.CertificateSigningRequest, error) {
	for {
		csr, err := c.client.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
		if err == nil {
			switch {
			case csr.Spec.SignerName != certificatesv1.KubeAPIServerClientSignerName:
				return nil, fmt.Errorf("it is for signer %q; SignCSR signs for %q only", csr.Spec.SignerName, certificatesv1.KubeAPIServerClientSignerName)
			case csrHasCondition(csr, certificatesv1.CertificateDenied):
				return nil, errors.New("it is denied")
			case csrHasCondition(csr, certificatesv1.CertificateFailed):
				return nil, errors.New("it has failed already")
			case csrHasCondition(csr, certificatesv1.CertificateApproved):
				return csr, nil
			}
		}
		select {
		case <-ctx.Done():
			state := "to exist"
			if err == nil {
				state = "to be approved"
			}
			return nil, fmt.Errorf("waiting for it %s: %w", state, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func csrHasCondition(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) bool {
	return slices.ContainsFunc(csr.Status.Conditions, func(c certificatesv1.CertificateSigningRequestCondition) bool {
		return c.Type == t && c.Status == corev1.ConditionTrue
	})
}

// csrClientUsages maps the usages a client certificate may have to X.509
// usages; client auth is required.
func csrClientUsages(usages []certificatesv1.KeyUsage) (x509.KeyUsage, []x509.ExtKeyUsage, error) {
	var ku x509.KeyUsage
	var eku []x509.ExtKeyUsage
	for _, u := range usages {
		switch u {
		case certificatesv1.UsageDigitalSignature:
			ku |= x509.KeyUsageDigitalSignature
		case certificatesv1.UsageKeyEncipherment:
			ku |= x509.KeyUsageKeyEncipherment
		case certificatesv1.UsageClientAuth:
			eku = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		default:
			return 0, nil, fmt.Errorf("invalid usage for client certificate: %s", u)
		}
	}
	if eku == nil {
		return 0, nil, fmt.Errorf("missing required usage for client certificate: %s", certificatesv1.UsageClientAuth)
	}
	return ku, eku, nil
}

// csrValidity sets the validity of tmpl as the signer does: backdated
// NotBefore, the requested lifetime within the signer's bounds, NotAfter
// backdated too for long lifetimes, and never past the CA's own NotAfter.
func csrValidity(tmpl *x509.Certificate, expirationSeconds *int32, now, caNotAfter time.Time) error {
	ttl := csrMaxTTL
	if expirationSeconds != nil {
		ttl = min(max(time.Duration(*expirationSeconds)*time.Second, csrMinTTL), csrMaxTTL)
	}
	tmpl.NotBefore = now.Add(-csrBackdate)
	tmpl.NotAfter = now.Add(ttl)
	if ttl >= csrShortTTL {
		tmpl.NotAfter = tmpl.NotAfter.Add(-csrBackdate)
	}
	if tmpl.NotAfter.After(caNotAfter) {
		tmpl.NotAfter = caNotAfter
	}
	if !now.Before(caNotAfter) {
		return fmt.Errorf("the CA expired at %v", caNotAfter)
	}
	return nil
}

// failCSR marks csr failed because of why, as the signer does, and
// returns an error wrapping errCSRFailed.
func (c *Cluster) failCSR(ctx context.Context, csr *certificatesv1.CertificateSigningRequest, why error) error {
	err := c.updateCSRStatus(ctx, csr, func(csr *certificatesv1.CertificateSigningRequest) {
		csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type:           certificatesv1.CertificateFailed,
			Status:         corev1.ConditionTrue,
			Reason:         "SignerValidationFailure",
			Message:        why.Error(),
			LastUpdateTime: metav1.Now(),
		})
	})
	if err != nil {
		return fmt.Errorf("adding the Failed condition: %w", err)
	}
	return fmt.Errorf("%w: CertificateSigningRequest %q: %v", errCSRFailed, csr.Name, why)
}

// updateCSRStatus applies change to csr and writes its status, again on
// the latest version after a conflict.
func (c *Cluster) updateCSRStatus(ctx context.Context, csr *certificatesv1.CertificateSigningRequest, change func(*certificatesv1.CertificateSigningRequest)) error {
	csrs := c.client.CertificatesV1().CertificateSigningRequests()
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		next := csr.DeepCopy()
		change(next)
		_, err := csrs.UpdateStatus(ctx, next, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			if latest, gerr := csrs.Get(ctx, csr.Name, metav1.GetOptions{}); gerr == nil {
				csr = latest
			}
		}
		return err
	})
}
