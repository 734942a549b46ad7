package cluster

import (
	"crypto/tls"
	"crypto/x509"
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
	// TokenSource says where the bearer token comes from, for messages:
	// `the --token flag`, `token file "/var/run/token"`, `user "ci" in
	// kubeconfig "/home/me/.kube/config"`, ... It never holds the token.
	TokenSource string
	// Context is the kubeconfig context the credentials come from, if any.
	Context string
	// Insecure reports whether the server's certificate goes unchecked.
	Insecure bool

	// kubeUser and kubeFile name the kubeconfig user the credentials are
	// taken from and the file that defines it.
	kubeUser, kubeFile        string
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

// serverName names the API server for messages.
func (c *Credentials) serverName() string {
	if c == nil || c.Server == "" {
		return "the API server"
	}
	return fmt.Sprintf("the API server at %s", c.Server)
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
	switch {
	case c != nil && c.CertFile != "":
		return fmt.Sprintf("client certificate %q", c.CertFile)
	case c != nil && c.kubeUser != "":
		return fmt.Sprintf("the client certificate of %s", c.kubeUserName())
	}
	return "the inline client certificate"
}

// keyName names the client key for messages.
func (c *Credentials) keyName() string {
	switch {
	case c != nil && c.KeyFile != "":
		return fmt.Sprintf("client key %q", c.KeyFile)
	case c != nil && c.kubeUser != "":
		return fmt.Sprintf("the client key of %s", c.kubeUserName())
	}
	return "the inline client key"
}

// kubeUserName names the kubeconfig user the credentials come from.
func (c *Credentials) kubeUserName() string {
	if c.kubeFile == "" {
		return fmt.Sprintf("user %q of the kubeconfig", c.kubeUser)
	}
	return fmt.Sprintf("user %q in kubeconfig %q", c.kubeUser, c.kubeFile)
}

// tokenName names the bearer token for messages, by where it comes from.
func (c *Credentials) tokenName() string {
	switch {
	case c.TokenSource != "":
		return "the bearer token from " + c.TokenSource
	case c.TokenFile != "":
		return fmt.Sprintf("the bearer token in %q", c.TokenFile)
	}
	return "the bearer token"
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
		return c.pairError(certPEM, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("parsing %s: %w", c.certName(), err)
		}
	}
	return c.certValidityError(leaf, now)
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
func (c *Credentials) pairError(certPEM []byte, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "private key does not match public key"),
		strings.Contains(msg, "private key type does not match public key type"):
		cert := c.certName()
		if chain, perr := parseCertChain(certPEM); perr == nil {
			cert += " (" + certSubject(chain[0]) + ")"
		}
		return fmt.Errorf("%s and %s do not belong together: the key is not the certificate's private key", cert, c.keyName())
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

// credentialsOf describes what cfg authenticates with.
func credentialsOf(cfg *rest.Config) *Credentials {
	c := &Credentials{
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
	if cfg.BearerTokenFile != "" {
		c.TokenSource = fmt.Sprintf("token file %q", cfg.BearerTokenFile)
	}
	return c
}

// sdCredentials describes what an SD config with api_server authenticates
// with.
func sdCredentials(sd *kubernetes.SDConfig) *Credentials {
	hc := sd.HTTPClientConfig
	tc := hc.TLSConfig
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
	switch a := hc.Authorization; {
	case a != nil && a.CredentialsFile != "":
		c.Token, c.TokenFile = true, a.CredentialsFile
		c.TokenSource = fmt.Sprintf("authorization.credentials_file %q", a.CredentialsFile)
	case a != nil && a.Credentials != "":
		c.Token, c.TokenSource = true, "authorization.credentials in the scrape config"
	case hc.BearerTokenFile != "":
		c.Token, c.TokenFile = true, hc.BearerTokenFile
		c.TokenSource = fmt.Sprintf("bearer_token_file %q", hc.BearerTokenFile)
	case hc.BearerToken != "":
		c.Token, c.TokenSource = true, "bearer_token in the scrape config"
	}
	return c
}
