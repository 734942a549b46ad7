package testcluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The API server's own keys are ECDSA P-256: generating four RSA keys would
// add about a second to every start. Client certificates for users are RSA,
// as `openssl genrsa` makes them.

// authority is the cluster CA: it signs the serving certificate and every
// client certificate, and the API server trusts it for client auth.
type authority struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
}

// keyPair is a certificate and its key, PEM-encoded.
type keyPair struct {
	certPEM, keyPEM []byte
}

// pki holds what Start writes for the API server and the admin client.
type pki struct {
	ca       *authority
	serving  keyPair
	admin    keyPair
	saKeyPEM []byte
}

func newPKI() (*pki, error) {
	now := time.Now()
	ca, err := newAuthority(now)
	if err != nil {
		return nil, err
	}
	p := &pki{ca: ca}
	servingKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the serving key: %w", err)
	}
	if p.serving, err = ca.issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, net.ParseIP(kubernetesServiceIP)},
	}, servingKey, now); err != nil {
		return nil, fmt.Errorf("issuing the serving certificate: %w", err)
	}
	adminKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the admin key: %w", err)
	}
	adminTmpl, err := clientTemplate(adminUser, []string{"system:masters"})
	if err != nil {
		return nil, err
	}
	if p.admin, err = ca.issue(adminTmpl, adminKey, now); err != nil {
		return nil, fmt.Errorf("issuing the admin certificate: %w", err)
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the service-account key: %w", err)
	}
	// SEC 1, not PKCS #8: the API server reads the public key from this
	// file too, and looks for RSA or EC keys only.
	saDER, err := x509.MarshalECPrivateKey(saKey)
	if err != nil {
		return nil, fmt.Errorf("encoding the service-account key: %w", err)
	}
	p.saKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: saDER})
	return p, nil
}

func newAuthority(now time.Time) (*authority, error) {
	return newNamedAuthority("sdinspect-test-ca", now)
}

// clientTemplate is a client certificate for user in groups: the API
// server's x509 authenticator takes the user from CN and the groups from O.
func clientTemplate(user string, groups []string) (*x509.Certificate, error) {
	// pkix.Name would put all O values into one multi-valued RDN, a DER SET
	// sorted by length, and the API server would see the groups reordered.
	// One RDN per value keeps the order, as openssl -subj "/O=a/O=b/CN=u" does.
	oidOrganization := asn1.ObjectIdentifier{2, 5, 4, 10}
	oidCommonName := asn1.ObjectIdentifier{2, 5, 4, 3}
	var subject pkix.RDNSequence
	for _, g := range groups {
		subject = append(subject, pkix.RelativeDistinguishedNameSET{{Type: oidOrganization, Value: g}})
	}
	subject = append(subject, pkix.RelativeDistinguishedNameSET{{Type: oidCommonName, Value: user}})
	raw, err := asn1.Marshal(subject)
	if err != nil {
		return nil, fmt.Errorf("encoding the subject for %q: %w", user, err)
	}
	return &x509.Certificate{
		RawSubject:  raw,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, nil
}

// issue completes tmpl as an end-entity certificate for key and signs it.
func (a *authority) issue(tmpl *x509.Certificate, key crypto.Signer, now time.Time) (keyPair, error) {
	serial, err := newSerial()
	if err != nil {
		return keyPair{}, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.Add(365 * 24 * time.Hour)
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = false
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	if _, ok := key.(*rsa.PrivateKey); ok {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, key.Public(), a.key)
	if err != nil {
		return keyPair{}, fmt.Errorf("signing the certificate: %w", err)
	}
	keyPEM, err := privateKeyPEM(key)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  keyPEM,
	}, nil
}

// privateKeyPEM encodes key as PKCS #8, as OpenSSL 3 writes keys.
func privateKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding a private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// newSerial returns a random positive 159-bit serial number, as OpenSSL
// picks them.
func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
	if err != nil {
		return nil, fmt.Errorf("generating a serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}

// writeKeyPair writes kp as dir/name.crt and dir/name.key, the key readable
// by its owner only.
func writeKeyPair(dir, name string, kp keyPair) (certFile, keyFile string, err error) {
	certFile = filepath.Join(dir, name+".crt")
	keyFile = filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, kp.certPEM, 0o644); err != nil {
		return "", "", fmt.Errorf("writing %q: %w", certFile, err)
	}
	if err := os.WriteFile(keyFile, kp.keyPEM, 0o600); err != nil {
		return "", "", fmt.Errorf("writing %q: %w", keyFile, err)
	}
	return certFile, keyFile, nil
}

// newClientKeyPair makes an RSA 2048 key and a certificate for user in
// groups signed by a, as `openssl genrsa`, a CSR and `openssl x509 -req -CA`
// with extendedKeyUsage=clientAuth do.
func (a *authority) newClientKeyPair(user string, groups []string) (keyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return keyPair{}, fmt.Errorf("generating a key for %q: %w", user, err)
	}
	tmpl, err := clientTemplate(user, groups)
	if err != nil {
		return keyPair{}, err
	}
	kp, err := a.issue(tmpl, key, time.Now())
	if err != nil {
		return keyPair{}, fmt.Errorf("issuing a certificate for %q: %w", user, err)
	}
	return kp, nil
}
