package certreq

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestNewKey(t *testing.T) {
	tests := []struct {
		name  string
		typ   KeyType
		check func(t *testing.T, key crypto.Signer)
	}{
		{name: "ecdsa is P-256", typ: ECDSA, check: func(t *testing.T, key crypto.Signer) {
			k, ok := key.(*ecdsa.PrivateKey)
			if !ok || k.Curve != elliptic.P256() {
				t.Errorf("got %T (%s), want an ECDSA P-256 key", key, Describe(key.Public()))
			}
		}},
		{name: "rsa is 2048 bits", typ: RSA, check: func(t *testing.T, key crypto.Signer) {
			k, ok := key.(*rsa.PrivateKey)
			if !ok || k.N.BitLen() != 2048 {
				t.Errorf("got %T (%s), want an RSA 2048 key", key, Describe(key.Public()))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := NewKey(tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, key)
			// The PEM is PKCS #8 and holds this very key.
			data, err := KeyPEM(key)
			if err != nil {
				t.Fatal(err)
			}
			block, rest := pem.Decode(data)
			if block == nil || block.Type != "PRIVATE KEY" || len(rest) != 0 {
				t.Fatalf("want one PRIVATE KEY block, got:\n%s", data)
			}
			back, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if !key.(interface{ Equal(crypto.PrivateKey) bool }).Equal(back) {
				t.Error("the PEM holds another key")
			}
		})
	}
	if _, err := NewKey("dsa"); err == nil {
		t.Error("NewKey(dsa) made a key")
	}
}

func TestKeyTypeFlag(t *testing.T) {
	tests := []struct {
		name, in string
		want     KeyType
		wantErr  bool
	}{
		{name: "ecdsa", in: "ecdsa", want: ECDSA},
		{name: "rsa", in: "rsa", want: RSA},
		{name: "upper case is not a value", in: "RSA", wantErr: true},
		{name: "ed25519 is not offered", in: "ed25519", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := ECDSA
			err := k.Set(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Set(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && k != tt.want {
				t.Errorf("Set(%q) = %q, want %q", tt.in, k, tt.want)
			}
		})
	}
}

// TestNewRequest parses each request back and compares it with the DER
// that `openssl req -new -subj "/CN=user/O=g1/O=g2"` writes, built here
// byte by byte: version 0, one RDN per attribute in the order given, each
// value a UTF8String, the key's SubjectPublicKeyInfo, an empty attribute
// set, and SHA-256 signatures. When openssl is installed, its own request
// for the same key must be the same bytes, and it must verify ours.
func TestNewRequest(t *testing.T) {
	keys := map[KeyType]crypto.Signer{}
	for _, typ := range []KeyType{ECDSA, RSA} {
		key, err := NewKey(typ)
		if err != nil {
			t.Fatal(err)
		}
		keys[typ] = key
	}
	tests := []struct {
		name    string
		key     KeyType
		user    string
		groups  []string
		wantSig x509.SignatureAlgorithm
	}{
		{name: "ecdsa, no group", key: ECDSA, user: "alice", wantSig: x509.ECDSAWithSHA256},
		{name: "ecdsa, one group", key: ECDSA, user: "alice", groups: []string{"system:monitoring"}, wantSig: x509.ECDSAWithSHA256},
		// DER would sort these by length inside one SET; one RDN each keeps them.
		{name: "rsa, groups in the order given", key: RSA, user: "prometheus", groups: []string{"system:monitoring", "ops", "a-much-longer-group-name"}, wantSig: x509.SHA256WithRSA},
		{name: "non-ASCII user", key: ECDSA, user: "jürgen", groups: []string{"équipe"}, wantSig: x509.ECDSAWithSHA256},
		{name: "long names need long DER lengths", key: RSA, user: string(bytes.Repeat([]byte("u"), 200)), groups: []string{string(bytes.Repeat([]byte("g"), 130))}, wantSig: x509.SHA256WithRSA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := keys[tt.key]
			data, err := New(key, tt.user, tt.groups)
			if err != nil {
				t.Fatal(err)
			}
			csr := parseRequest(t, data)
			if err := csr.CheckSignature(); err != nil {
				t.Errorf("signature: %v", err)
			}
			if csr.SignatureAlgorithm != tt.wantSig {
				t.Errorf("signature algorithm %v, want %v", csr.SignatureAlgorithm, tt.wantSig)
			}
			if csr.Subject.CommonName != tt.user {
				t.Errorf("CN %q, want %q", csr.Subject.CommonName, tt.user)
			}
			if diff := cmp.Diff(tt.groups, csr.Subject.Organization); diff != "" {
				t.Errorf("O values (-want +got):\n%s", diff)
			}
			if len(csr.Extensions) != 0 {
				t.Errorf("extensions %v, want none", csr.Extensions)
			}
			want := opensslShape(t, key, tt.user, tt.groups)
			if !bytes.Equal(csr.RawTBSCertificateRequest, want) {
				t.Errorf("request info differs from openssl's shape:\n got %x\nwant %x", csr.RawTBSCertificateRequest, want)
			}
			path, err := exec.LookPath("openssl")
			switch {
			case err != nil:
				t.Log("openssl is not installed: compared with the DER built here only")
			case !withinOpenSSLBounds(tt.user, tt.groups):
				// openssl req refuses names longer than X.520's upper
				// bounds; the API server takes them.
				t.Log("names longer than openssl accepts: compared with the DER built here only")
			default:
				checkWithOpenSSL(t, path, key, data, tt.user, tt.groups, csr.RawTBSCertificateRequest)
			}
		})
	}
}

func parseRequest(t *testing.T, data []byte) *x509.CertificateRequest {
	t.Helper()
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE REQUEST" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("want one CERTIFICATE REQUEST block, got:\n%s", data)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}

// opensslShape is the CertificationRequestInfo openssl writes for key and
// the subject /CN=user/O=group...
func opensslShape(t *testing.T, key crypto.Signer, user string, groups []string) []byte {
	t.Helper()
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	cn := []byte{0x06, 0x03, 0x55, 0x04, 0x03} // OID 2.5.4.3
	o := []byte{0x06, 0x03, 0x55, 0x04, 0x0a}  // OID 2.5.4.10
	rdn := func(oid []byte, value string) []byte {
		return tlv(0x31, tlv(0x30, oid, tlv(0x0c, []byte(value))))
	}
	name := [][]byte{rdn(cn, user)}
	for _, g := range groups {
		name = append(name, rdn(o, g))
	}
	version := []byte{0x02, 0x01, 0x00}
	attributes := []byte{0xa0, 0x00}
	return tlv(0x30, version, tlv(0x30, name...), spki, attributes)
}

// withinOpenSSLBounds reports whether openssl req accepts the names:
// X.520's ub-common-name and ub-organization-name are 64 characters.
func withinOpenSSLBounds(user string, groups []string) bool {
	for _, n := range append([]string{user}, groups...) {
		if utf8.RuneCountInString(n) > 64 {
			return false
		}
	}
	return true
}

// tlv encodes a DER element with tag and the concatenated content.
func tlv(tag byte, content ...[]byte) []byte {
	body := bytes.Join(content, nil)
	n := len(body)
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, body...)
}

// checkWithOpenSSL has openssl verify our request and make its own for the
// same key and subject, which must hold the same request info.
func checkWithOpenSSL(t *testing.T, openssl string, key crypto.Signer, ours []byte, user string, groups []string, tbs []byte) {
	t.Helper()
	dir := t.TempDir()
	keyPEM, err := KeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, oursFile := filepath.Join(dir, "user.key"), filepath.Join(dir, "ours.csr")
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(oursFile, ours, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(openssl, "req", "-verify", "-noout", "-in", oursFile).CombinedOutput(); err != nil {
		t.Errorf("openssl req -verify: %v\n%s", err, out)
	}
	subj := "/CN=" + user
	for _, g := range groups {
		subj += "/O=" + g
	}
	out, err := exec.Command(openssl, "req", "-new", "-batch", "-utf8", "-key", keyFile, "-subj", subj).Output()
	if err != nil {
		t.Fatalf("openssl req -new: %v", err)
	}
	theirs := parseRequest(t, out)
	if !bytes.Equal(theirs.RawTBSCertificateRequest, tbs) {
		t.Errorf("openssl's request info differs:\nopenssl %x\n   ours %x", theirs.RawTBSCertificateRequest, tbs)
	}
}

func TestNewRequestRefuses(t *testing.T) {
	key, err := NewKey(ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		user   string
		groups []string
	}{
		{name: "empty user", user: ""},
		{name: "empty group", user: "alice", groups: []string{"ops", ""}},
		{name: "invalid UTF-8", user: "al\xffice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if data, err := New(key, tt.user, tt.groups); err == nil {
				t.Errorf("New made a request:\n%s", data)
			}
		})
	}
}
