// Package certreq makes what a user needs to ask a Kubernetes cluster for a
// client certificate, as `openssl genrsa` and `openssl req -new -subj
// "/CN=user/O=group"` make it: a private key and a PKCS #10 certificate
// signing request whose subject names the user (CN) and the groups (O, one
// per group, in order). It checks the certificate the cluster returns
// against both, and writes files through temporary files, private keys
// readable by their owner only.
//
// It knows nothing of the Kubernetes API, so that generating a key and a
// request works without a cluster and without client-go; package cluster
// submits the request.
package certreq

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"unicode/utf8"
)

// KeyType is the kind of private key to generate. It is a pflag.Value,
// so that a command can take it as a flag.
type KeyType string

// The key types NewKey makes.
const (
	// ECDSA is an ECDSA key on curve P-256, the default: small and fast,
	// and accepted by every API server.
	ECDSA KeyType = "ecdsa"
	// RSA is a 2048-bit RSA key, as `openssl genrsa` makes by default.
	RSA KeyType = "rsa"
)

// rsaBits is the size of RSA keys: `openssl genrsa`'s default.
const rsaBits = 2048

// String returns the flag value of k.
func (k KeyType) String() string { return string(k) }

// Set parses a flag value: ecdsa or rsa.
func (k *KeyType) Set(s string) error {
	switch v := KeyType(s); v {
	case ECDSA, RSA:
		*k = v
		return nil
	}
	return fmt.Errorf("unknown key type %q (want ecdsa or rsa)", s)
}

// Type names the flag values, for help texts.
func (k *KeyType) Type() string { return "ecdsa|rsa" }

// NewKey generates a private key of type t.
func NewKey(t KeyType) (crypto.Signer, error) {
	switch t {
	case ECDSA:
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generating an ECDSA P-256 key: %w", err)
		}
		return key, nil
	case RSA:
		key, err := rsa.GenerateKey(rand.Reader, rsaBits)
		if err != nil {
			return nil, fmt.Errorf("generating an RSA %d key: %w", rsaBits, err)
		}
		return key, nil
	}
	return nil, fmt.Errorf("unknown key type %q (want ecdsa or rsa)", t)
}

// Describe names a key for messages, such as "ECDSA P-256" or "RSA 2048".
func Describe(key crypto.PublicKey) string {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	}
	return fmt.Sprintf("%T", key)
}

// KeyPEM encodes key as an unencrypted PKCS #8 "PRIVATE KEY" block, as
// OpenSSL 3 writes keys, which kubectl, client-go and Prometheus all read.
func KeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Object identifiers of the subject attributes the API server reads.
var (
	oidCommonName   = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidOrganization = asn1.ObjectIdentifier{2, 5, 4, 10}
)

// csrAttribute is one attribute of a distinguished name, its value a
// UTF8String as OpenSSL encodes it (string_mask = utf8only).
type csrAttribute struct {
	Type  asn1.ObjectIdentifier
	Value string `asn1:"utf8"`
}

// csrAttributeSET is one relative distinguished name: a DER SET, which
// encoding/asn1 makes of slice types whose name ends in SET.
type csrAttributeSET []csrAttribute

// Subject returns the DER distinguished name CN=user, O=group... with one
// relative distinguished name per attribute, in that order, as `openssl
// req -subj "/CN=user/O=g1/O=g2"` writes it. crypto/x509's pkix.Name would
// put all O values in one set, which DER sorts by length, and the API
// server would see the groups reordered.
func Subject(user string, groups []string) ([]byte, error) {
	if err := checkName("user", user); err != nil {
		return nil, err
	}
	rdns := []csrAttributeSET{{{Type: oidCommonName, Value: user}}}
	for _, g := range groups {
		if err := checkName("group", g); err != nil {
			return nil, err
		}
		rdns = append(rdns, csrAttributeSET{{Type: oidOrganization, Value: g}})
	}
	der, err := asn1.Marshal(rdns)
	if err != nil {
		return nil, fmt.Errorf("encoding the subject of %q: %w", user, err)
	}
	return der, nil
}

// checkName refuses names no certificate can carry as the API server reads
// them.
func checkName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the %s name is empty", what)
	case !utf8.ValidString(name):
		return fmt.Errorf("the %s name %q is not valid UTF-8", what, name)
	}
	return nil
}

// New returns a PEM "CERTIFICATE REQUEST" for key with the subject CN=user
// and one O= per group, signed with SHA-256 and without extensions or
// attributes: byte for byte the request part `openssl req -new -key KEY
// -subj "/CN=user/O=group"` makes, only the signature differing.
func New(key crypto.Signer, user string, groups []string) ([]byte, error) {
	subject, err := Subject(user, groups)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{RawSubject: subject}, key)
	if err != nil {
		return nil, fmt.Errorf("creating the certificate signing request for %q: %w", user, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}
