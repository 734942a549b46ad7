package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/prometheus/prometheus/discovery/kubernetes"
)

// Credentials describes what a client configuration authenticates with and
// trusts, so that errors can name the file at fault. Inline certificate
// and key data are kept for checks but never printed.
type Credentials struct {
	// Server is the API server's URL, credentials redacted.
	Server string
	// CAFile is the file the server's certificate is checked against; ""
	// with inline CA data or the system's roots.
	CAFile string
	// CertFile and KeyFile are the client certificate and key files; ""
	// when given inline or not at all.
	CertFile, KeyFile string
	// TokenFile is the bearer token file, if any.
	TokenFile string
	// Token reports whether a bearer token is sent.
	Token bool
	// Insecure reports whether the server's certificate goes unchecked.
	Insecure bool

	caData, certData, keyData []byte
}

// hasCA reports whether a CA is given, in a file or inline.
func (c *Credentials) hasCA() bool {
	return c != nil && (c.CAFile != "" || len(c.caData) > 0)
}

// hasCert reports whether a client certificate is given.
func (c *Credentials) hasCert() bool {
	return c != nil && (c.CertFile != "" || len(c.certData) > 0)
}

// caName names the CA for messages.
func (c *Credentials) caName() string {
	switch {
	case c == nil || !c.hasCA():
		return "any CA this system trusts"
	case c.CAFile != "":
		return fmt.Sprintf("the CA in %q", c.CAFile)
	}
	return "the CA given inline"
}

// certName names the client certificate for messages.
func (c *Credentials) certName() string {
	if c != nil && c.CertFile != "" {
		return fmt.Sprintf("client certificate %q", c.CertFile)
	}
	return "the inline client certificate"
}

// keyName names the client key for messages.
func (c *Credentials) keyName() string {
	if c != nil && c.KeyFile != "" {
		return fmt.Sprintf("client key %q", c.KeyFile)
	}
	return "the inline client key"
}

// check reads the CA, the client certificate and its key, as the client
// will when it connects, and refuses a certificate that does not match its
// key or is not valid now. It does nothing for credentials it cannot see,
// such as a round tripper's own.
func (c *Credentials) check() error {
	return c.checkAt(time.Now())
}

func (c *Credentials) checkAt(now time.Time) error {
	if c == nil {
		return nil
	}
	if c.CAFile != "" {
		data, err := os.ReadFile(c.CAFile)
		if err != nil {
			return fmt.Errorf("reading CA file %q: %w", c.CAFile, pathErr(err))
		}
		if !x509.NewCertPool().AppendCertsFromPEM(data) {
			return fmt.Errorf("CA file %q holds no PEM certificate", c.CAFile)
		}
	}
	if !c.hasCert() {
		return nil
	}
	certPEM, err := c.read(c.CertFile, c.certData, "client certificate")
	if err != nil {
		return err
	}
	keyPEM, err := c.read(c.KeyFile, c.keyData, "client key")
	if err != nil {
		return err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return c.pairError(err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("parsing %s: %w", c.certName(), err)
		}
	}
	return c.checkValidity(leaf, now)
}

// read returns the contents of file, or data when no file is named.
func (c *Credentials) read(file string, data []byte, what string) ([]byte, error) {
	if file == "" {
		if len(data) == 0 {
			return nil, fmt.Errorf("%s given without %s", c.certName(), what)
		}
		return data, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading %s %q: %w", what, file, pathErr(err))
	}
	return b, nil
}

// pairError explains why a certificate and key do not load together.
func (c *Credentials) pairError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "private key does not match public key"):
		return fmt.Errorf("%s and %s do not belong together: the key is not the certificate's private key", c.certName(), c.keyName())
	case strings.Contains(msg, "failed to find any PEM data in certificate input"),
		strings.Contains(msg, "failed to find certificate PEM data"):
		return fmt.Errorf("%s holds no PEM certificate", c.certName())
	case strings.Contains(msg, "failed to find any PEM data in key input"),
		strings.Contains(msg, "failed to find PEM block with type ending in"),
		strings.Contains(msg, "failed to parse private key"):
		return fmt.Errorf("%s holds no usable PEM private key: %w", c.keyName(), err)
	}
	return fmt.Errorf("loading %s and %s: %w", c.certName(), c.keyName(), err)
}

// checkValidity refuses a certificate that is expired or not yet valid.
func (c *Credentials) checkValidity(cert *x509.Certificate, now time.Time) error {
	const layout = "2006-01-02 15:04:05 MST"
	switch {
	case now.After(cert.NotAfter):
		return fmt.Errorf("%s (%s) expired at %s; the API server will refuse it", c.certName(), subject(cert), cert.NotAfter.UTC().Format(layout))
	case now.Before(cert.NotBefore):
		return fmt.Errorf("%s (%s) is not valid before %s (is this machine's clock right?); the API server will refuse it", c.certName(), subject(cert), cert.NotBefore.UTC().Format(layout))
	}
	return nil
}

// subject formats a client certificate's subject as the API server reads
// it: CN is the user, O the groups.
func subject(cert *x509.Certificate) string {
	s := fmt.Sprintf("user %q", cert.Subject.CommonName)
	if len(cert.Subject.Organization) > 0 {
		s += ", groups " + strings.Join(cert.Subject.Organization, ",")
	}
	return s
}

// certSubject returns the subject of the client certificate, if it can be
// read, for messages about a refused certificate.
func (c *Credentials) certSubject() string {
	if !c.hasCert() {
		return ""
	}
	data := c.certData
	if c.CertFile != "" {
		var err error
		if data, err = os.ReadFile(c.CertFile); err != nil {
			return ""
		}
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return ""
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return ""
	}
	return subject(cert)
}

// credentialsOf describes what cfg authenticates with.
func credentialsOf(cfg *rest.Config) *Credentials {
	return &Credentials{
		Server:    cfg.Host,
		CAFile:    cfg.CAFile,
		CertFile:  cfg.CertFile,
		KeyFile:   cfg.KeyFile,
		TokenFile: cfg.BearerTokenFile,
		Token:     cfg.BearerToken != "" || cfg.BearerTokenFile != "",
		Insecure:  cfg.Insecure,
		caData:    cfg.CAData,
		certData:  cfg.CertData,
		keyData:   cfg.KeyData,
	}
}

// sdCredentials describes what an SD config with api_server authenticates
// with.
func sdCredentials(sd *kubernetes.SDConfig) *Credentials {
	tc := sd.HTTPClientConfig.TLSConfig
	c := &Credentials{
		Server:   sd.APIServer.Redacted(),
		CAFile:   tc.CAFile,
		CertFile: tc.CertFile,
		KeyFile:  tc.KeyFile,
		Insecure: tc.InsecureSkipVerify,
		caData:   []byte(tc.CA),
		certData: []byte(tc.Cert),
		keyData:  []byte(tc.Key),
	}
	if a := sd.HTTPClientConfig.Authorization; a != nil {
		c.Token = true
		c.TokenFile = a.CredentialsFile
	}
	if sd.HTTPClientConfig.BearerToken != "" || sd.HTTPClientConfig.BearerTokenFile != "" {
		c.Token = true
		c.TokenFile = sd.HTTPClientConfig.BearerTokenFile
	}
	return c
}
