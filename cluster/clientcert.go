package cluster

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"
)

// certTimeLayout is how certificate dates are written in messages and in
// the text of auth whoami: UTC, to the second, as openssl prints them.
const certTimeLayout = "2006-01-02 15:04:05 MST"

// certExpiryWarning is how long before it expires a client certificate is
// worth a warning: long enough to get a new one signed in time.
const certExpiryWarning = 30 * 24 * time.Hour

// errCertNoCA says that no CA was given to check a client certificate
// against: the system's roots are never a cluster's client CA.
var errCertNoCA = errors.New("no CA was given to check it against")

// certSubject formats a client certificate's subject as the API server
// reads it, CN (the user) first, then one O (a group) each:
// "CN=ci, O=system:ci, O=ops".
func certSubject(cert *x509.Certificate) string {
	parts := []string{"CN=" + cert.Subject.CommonName}
	for _, o := range cert.Subject.Organization {
		parts = append(parts, "O="+o)
	}
	return strings.Join(parts, ", ")
}

// certSerial formats a serial number as `openssl x509 -serial` does:
// upper-case hexadecimal, an even number of digits.
func certSerial(cert *x509.Certificate) string {
	if cert.SerialNumber == nil {
		return ""
	}
	s := strings.ToUpper(cert.SerialNumber.Text(16))
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

// certSpan says how long d is, in the largest whole unit, such as
// "3 days", "1 hour" or "less than a minute".
func certSpan(d time.Duration) string {
	// Certificates hold whole seconds, so a day from now is a day less a
	// fraction of a second by the time it is checked: round to the minute.
	d = time.Duration(math.Abs(float64(d)))
	if d >= time.Minute {
		d = d.Round(time.Minute)
	}
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return fmt.Sprintf("%d %ss", n, name)
	}
	switch {
	case d >= 24*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int64(d/time.Minute), "minute")
	}
	return "less than a minute"
}

// parseCertChain returns the certificates of PEM data, the client
// certificate first and any intermediates after it.
func parseCertChain(data []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, errors.New("no PEM certificate in it")
	}
	return chain, nil
}

// clientChain reads and parses the client certificate, with any
// intermediates its file holds.
func (c *Credentials) clientChain() ([]*x509.Certificate, error) {
	data := c.certData
	if c.CertFile != "" {
		var err error
		if data, err = os.ReadFile(c.CertFile); err != nil {
			return nil, fmt.Errorf("reading %s: %w", c.certName(), pathErr(err))
		}
	}
	chain, err := parseCertChain(data)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", c.certName(), err)
	}
	return chain, nil
}

// caPool returns the CA the credentials trust the server with, the one
// that in most clusters also signs client certificates; nil when none is
// given.
func (c *Credentials) caPool() (*x509.CertPool, error) {
	data := c.caData
	if c.CAFile != "" {
		var err error
		if data, err = os.ReadFile(c.CAFile); err != nil {
			return nil, fmt.Errorf("reading CA file %q: %w", c.CAFile, pathErr(err))
		}
	}
	if len(data) == 0 {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", c.caName())
	}
	return pool, nil
}

// verifyClientChain checks chain, a client certificate and its
// intermediates, against the given CA as the API server checks client
// certificates against its client CA: a chain to the CA, valid at now, for
// client authentication. It returns errCertNoCA when no CA is given.
func (c *Credentials) verifyClientChain(chain []*x509.Certificate, now time.Time) error {
	roots, err := c.caPool()
	if err != nil {
		return err
	}
	if roots == nil {
		return errCertNoCA
	}
	intermediates := x509.NewCertPool()
	for _, cert := range chain[1:] {
		intermediates.AddCert(cert)
	}
	_, err = chain[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return err
}

// certValidityError refuses a client certificate that is expired or not
// yet valid at now, saying when it was or will be valid.
func (c *Credentials) certValidityError(cert *x509.Certificate, now time.Time) error {
	switch {
	case now.After(cert.NotAfter):
		return fmt.Errorf("%s (%s) expired at %s, %s ago: the API server refuses it; get a new one signed by the cluster's CA (sdinspect auth csr)",
			c.certName(), certSubject(cert), cert.NotAfter.UTC().Format(certTimeLayout), certSpan(now.Sub(cert.NotAfter)))
	case now.Before(cert.NotBefore):
		return fmt.Errorf("%s (%s) is not yet valid: it is valid from %s, in %s; the API server refuses it until then (is this machine's clock right?)",
			c.certName(), certSubject(cert), cert.NotBefore.UTC().Format(certTimeLayout), certSpan(cert.NotBefore.Sub(now)))
	}
	return nil
}

// certRejection explains why the API server answered 401 to a request with
// the client certificate: the reasons its x509 authenticator has, checked
// here against the CA given for the server, which in most clusters is the
// client CA too.
func (c *Credentials) certRejection(now time.Time) string {
	chain, err := c.clientChain()
	if err != nil {
		return fmt.Sprintf("%s was refused, and cannot be read here to say why: %v", c.certName(), err)
	}
	cert := chain[0]
	who := fmt.Sprintf("%s (%s)", c.certName(), certSubject(cert))
	if err := c.certValidityError(cert, now); err != nil {
		return err.Error()
	}
	if cert.Subject.CommonName == "" {
		return who + " has no CN: the API server takes the user name from CN and refuses a certificate without one"
	}
	issuer := fmt.Sprintf("its issuer is %q", cert.Issuer.String())
	var invalid x509.CertificateInvalidError
	switch err := c.verifyClientChain(chain, now); {
	case err == nil:
		return fmt.Sprintf("%s is not signed by a CA the API server trusts for client certificates: %s, which %s verifies, so the server's client CA (--client-ca-file) is another one", who, issuer, c.caName())
	case errors.Is(err, errCertNoCA):
		return fmt.Sprintf("%s is not signed by the cluster's client CA: %s, which the API server does not trust for client certificates", who, issuer)
	case errors.As(err, &invalid) && invalid.Reason == x509.IncompatibleUsage:
		return who + " is not for client authentication: its extended key usage lacks clientAuth, which the API server requires"
	default:
		return fmt.Sprintf("%s is not signed by the cluster's client CA: %s, and %s does not verify it either (%s)", who, issuer, c.caName(), oneLine(err))
	}
}

// ClientCertInfo describes a client certificate as the API server reads
// it: the subject (CN is the user, each O a group), the issuer, the
// serial, the validity, and whether the CA given for the server, the one
// that signs client certificates in most clusters, verifies it.
type ClientCertInfo struct {
	// File is the certificate file, "" for inline data.
	File          string    `json:"file,omitempty"`
	Subject       string    `json:"subject"`
	CommonName    string    `json:"commonName"`
	Organizations []string  `json:"organizations,omitempty"`
	Issuer        string    `json:"issuer"`
	Serial        string    `json:"serial"`
	NotBefore     time.Time `json:"notBefore"`
	NotAfter      time.Time `json:"notAfter"`
	// Verified reports whether the CA given verifies the certificate for
	// client authentication; Reason says why not, or that no CA was given.
	Verified bool   `json:"verified"`
	Reason   string `json:"reason,omitempty"`
}

// clientCertInfo reads and describes the client certificate, with
// warnings for one that has expired, is not yet valid or expires within
// certExpiryWarning of now.
func (c *Credentials) clientCertInfo(now time.Time) (*ClientCertInfo, []string, error) {
	chain, err := c.clientChain()
	if err != nil {
		return nil, nil, err
	}
	cert := chain[0]
	info := &ClientCertInfo{
		File:          c.CertFile,
		Subject:       certSubject(cert),
		CommonName:    cert.Subject.CommonName,
		Organizations: cert.Subject.Organization,
		Issuer:        cert.Issuer.String(),
		Serial:        certSerial(cert),
		NotBefore:     cert.NotBefore.UTC(),
		NotAfter:      cert.NotAfter.UTC(),
	}
	switch err := c.verifyClientChain(chain, now); {
	case err == nil:
		info.Verified = true
	case errors.Is(err, errCertNoCA):
		info.Reason = "no CA was given (--certificate-authority, the kubeconfig's certificate-authority, tls_config.ca_file) to check it against"
	default:
		info.Reason = fmt.Sprintf("%s does not verify it: %v", c.caName(), oneLine(err))
	}
	var warnings []string
	if err := c.certValidityError(cert, now); err != nil {
		warnings = append(warnings, err.Error())
	} else if left := cert.NotAfter.Sub(now); left < certExpiryWarning {
		warnings = append(warnings, fmt.Sprintf("%s (%s) expires in %s, at %s: get a new one before then (sdinspect auth csr)",
			c.certName(), info.Subject, certSpan(left), cert.NotAfter.UTC().Format(certTimeLayout)))
	}
	return info, warnings, nil
}
