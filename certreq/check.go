package certreq

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
)

// Check parses the first certificate of certPEM (a signer may append its
// chain) and makes sure it is what was asked for: a certificate of key's
// public key, for CN=user and exactly groups, usable for client
// authentication. Groups are compared as a set: kube-controller-manager's
// signer re-encodes the subject with crypto/x509, which sorts several O
// values, and the API server's authorizer does not care about their order.
func Check(certPEM []byte, key crypto.Signer, user string, groups []string) (*x509.Certificate, error) {
	block, rest := pem.Decode(certPEM)
	for block != nil && block.Type != "CERTIFICATE" {
		block, rest = pem.Decode(rest)
	}
	if block == nil {
		return nil, fmt.Errorf("the issued data holds no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the issued certificate: %w", err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("the issued certificate is for another key (%s), not the %s key of the request", Describe(cert.PublicKey), Describe(key.Public()))
	}
	if cert.Subject.CommonName != user {
		return nil, fmt.Errorf("the issued certificate names user %q, not %q", cert.Subject.CommonName, user)
	}
	if got, want := sorted(cert.Subject.Organization), sorted(groups); !slices.Equal(got, want) {
		return nil, fmt.Errorf("the issued certificate carries groups %s, not %s", quoteList(got), quoteList(want))
	}
	if !clientAuth(cert) {
		return nil, fmt.Errorf("the issued certificate is not for client authentication: the API server will refuse it")
	}
	return cert, nil
}

// clientAuth reports whether cert may authenticate a TLS client: it has no
// extended key usage (any use), or client auth or any among them.
func clientAuth(cert *x509.Certificate) bool {
	if len(cert.ExtKeyUsage) == 0 && len(cert.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// quoteList formats names as "a", "b", or "none".
func quoteList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
