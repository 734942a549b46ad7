package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// diagnosis is an explained error: its message says what went wrong in
// the user's terms, and it still wraps the original error for errors.Is.
type diagnosis struct {
	msg string
	err error
}

func (d *diagnosis) Error() string { return d.msg }
func (d *diagnosis) Unwrap() error { return d.err }

// Diagnose explains an error from talking to the API server described by
// creds (which may be nil): an unknown or mismatched server certificate, a
// client certificate the server refused, an unreadable file, a refused or
// timed-out connection, rejected credentials. The message is one line and
// names the file or server at fault; the result wraps err. Errors it does
// not recognize come back flattened to one line.
func Diagnose(err error, creds *Credentials) error {
	if err == nil {
		return nil
	}
	if msg := explain(err, creds); msg != "" {
		return &diagnosis{msg: msg, err: err}
	}
	return oneLine(err)
}

// explain returns the message for err, or "" if it is not recognized.
func explain(err error, c *Credentials) string {
	server := c.serverName()
	if m := explainTLS(err, c, server); m != "" {
		return m
	}
	if m := explainFile(err, c); m != "" {
		return m
	}
	if m := explainNetwork(err, server); m != "" {
		return m
	}
	return explainStatus(err, c, server)
}

// explainTLS explains failed certificate checks, on either side.
func explainTLS(err error, c *Credentials, server string) string {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		op        *net.OpError
	)
	switch {
	case errors.As(err, &unknownCA):
		issuer := ""
		if unknownCA.Cert != nil {
			issuer = fmt.Sprintf(" (issued by %q)", unknownCA.Cert.Issuer.String())
		} else if errors.As(err, &verify) && len(verify.UnverifiedCertificates) > 0 {
			issuer = fmt.Sprintf(" (issued by %q)", verify.UnverifiedCertificates[0].Issuer.String())
		}
		return fmt.Sprintf("the certificate of %s%s is not signed by %s; give the CA that signed it (--certificate-authority, or tls_config.ca_file)", server, issuer, c.caName())
	case errors.As(err, &hostname):
		return fmt.Sprintf("the certificate of %s is not valid for the host %q: %s", server, hostname.Host, hostname.Error())
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			return fmt.Sprintf("the certificate of %s is expired or not yet valid: %s", server, invalid.Error())
		}
		return fmt.Sprintf("the certificate of %s is not acceptable: %s", server, invalid.Error())
	case errors.As(err, &op) && op.Op == "remote error":
		return explainAlert(op.Err.Error(), c, server)
	case strings.Contains(err.Error(), "private key does not match public key"):
		return fmt.Sprintf("%s and %s do not belong together: the key is not the certificate's private key", c.certName(), c.keyName())
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("%s answers plain HTTP, not HTTPS; use an http:// URL if that is intended", server)
	case strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		return fmt.Sprintf("%s does not speak TLS; check the port, or use an http:// URL if that is intended", server)
	}
	return ""
}

// explainAlert explains a TLS alert the server sent during the handshake,
// which is how a server that checks client certificates itself refuses
// one. The alert reads "tls: bad certificate" and so on.
func explainAlert(alert string, c *Credentials, server string) string {
	refused := fmt.Sprintf("%s refused the TLS handshake (%s)", server, alert)
	if c.hasCert() {
		refused = fmt.Sprintf("%s refused %s during the TLS handshake (%s)", server, c.certName(), alert)
	}
	switch {
	case strings.Contains(alert, "expired certificate"):
		return refused + ": the client certificate is expired or not yet valid"
	case strings.Contains(alert, "unknown certificate authority"), strings.Contains(alert, "bad certificate"):
		if !c.hasCert() {
			return refused
		}
		return refused + ": it is not signed by a CA the server trusts for clients, or not valid now"
	case strings.Contains(alert, "certificate required") && c.hasCert():
		// A TLS client sends no certificate when the server names the
		// CAs it accepts and the certificate's issuer is not among them.
		return fmt.Sprintf("%s requires a client certificate signed by a CA it trusts, and %s is not, so it was not sent", server, c.certName())
	case strings.Contains(alert, "certificate required"):
		return fmt.Sprintf("%s requires a client certificate and none was given (--client-certificate and --client-key, or tls_config.cert_file and key_file)", server)
	}
	return refused
}

// explainFile explains a credentials file that could not be read. Other
// files are left to the message of whoever read them.
func explainFile(err error, c *Credentials) string {
	pe := pathError(err)
	if pe == nil || c == nil || pe.Op != "open" && pe.Op != "read" {
		return ""
	}
	var what string
	switch pe.Path {
	case c.CAFile:
		what = "CA file"
	case c.CertFile:
		what = "client certificate"
	case c.KeyFile:
		what = "client key"
	case c.TokenFile:
		what = "token file"
	default:
		return ""
	}
	return fmt.Sprintf("reading %s %q: %v", what, pe.Path, pe.Err)
}

// pathError finds a *fs.PathError in err, also among the errors of an
// aggregate such as clientcmd's invalid configuration error.
func pathError(err error) *fs.PathError {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe
	}
	var agg interface{ Errors() []error }
	if errors.As(err, &agg) {
		for _, e := range agg.Errors() {
			if pe := pathError(e); pe != nil {
				return pe
			}
		}
	}
	return nil
}

// explainNetwork explains connections that failed or did not answer.
func explainNetwork(err error, server string) string {
	var (
		dns  *net.DNSError
		nerr net.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("%s did not answer in time", server)
	case errors.Is(err, context.Canceled):
		return fmt.Sprintf("canceled while talking to %s", server)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("%s refused the connection: is it running, and are host and port right?", server)
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot resolve the host %q of %s: %v", dns.Name, server, dns.Err)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("%s is unreachable from here: %v", server, rootCause(err))
	case errors.As(err, &nerr) && nerr.Timeout():
		return fmt.Sprintf("%s did not answer in time (%v)", server, rootCause(err))
	}
	return ""
}

// explainStatus explains API errors that are about the credentials rather
// than a request. A 401 means the server authenticated no one: with a
// client certificate, its x509 authenticator refused it, for reasons
// certRejection finds.
func explainStatus(err error, c *Credentials, server string) string {
	if !apierrors.IsUnauthorized(err) {
		return ""
	}
	rejected := fmt.Sprintf("%s rejected the credentials (%d Unauthorized)", server, http.StatusUnauthorized)
	switch {
	case c.hasCert() && c.Token:
		return fmt.Sprintf("%s: neither %s nor %s was accepted", rejected, c.certName(), c.tokenName())
	case c.hasCert():
		return fmt.Sprintf("%s: %s", rejected, c.certRejection(time.Now()))
	case c != nil && c.Token:
		return fmt.Sprintf("%s: %s is invalid, expired, revoked or meant for another cluster", rejected, c.tokenName())
	}
	return rejected + ": no client certificate or token was given, and the server does not allow anonymous access"
}

// rootCause returns the innermost error err wraps.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// oneLine returns err with its message on one line: errors.Join and some
// client-go errors span lines, and every message here is one line.
func oneLine(err error) error {
	if err == nil || !strings.ContainsAny(err.Error(), "\r\n") {
		return err
	}
	return &diagnosis{msg: strings.Join(strings.Fields(err.Error()), " "), err: err}
}
