package main

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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	certificatesv1 "k8s.io/api/certificates/v1"
	"sigs.k8s.io/yaml"
)

// csrFiles reads back what auth csr wrote for user in dir.
type csrFiles struct {
	keyPEM, csrPEM []byte
	key            crypto.Signer
	csr            *x509.CertificateRequest
}

func readCSRFiles(t *testing.T, dir, user string) csrFiles {
	t.Helper()
	var f csrFiles
	var err error
	for _, file := range []string{user + ".key", user + ".csr"} {
		checkCSRMode(t, filepath.Join(dir, file))
	}
	if f.keyPEM, err = os.ReadFile(filepath.Join(dir, user+".key")); err != nil {
		t.Fatal(err)
	}
	if f.csrPEM, err = os.ReadFile(filepath.Join(dir, user+".csr")); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(f.keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("key file holds no PRIVATE KEY block:\n%s", f.keyPEM)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	f.key = key.(crypto.Signer)
	block, _ = pem.Decode(f.csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		t.Fatalf("request file holds no CERTIFICATE REQUEST block:\n%s", f.csrPEM)
	}
	if f.csr, err = x509.ParseCertificateRequest(block.Bytes); err != nil {
		t.Fatal(err)
	}
	return f
}

func checkCSRMode(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
}

// checkNoKeyMaterial fails t if any line of the key's PEM shows in the
// command's output.
func checkNoKeyMaterial(t *testing.T, keyPEM []byte, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		if strings.Contains(out, "PRIVATE KEY") {
			t.Errorf("output shows a private key:\n%s", out)
		}
		for _, line := range strings.Split(string(keyPEM), "\n") {
			if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(out, line) {
				t.Errorf("output holds a line of the private key:\n%s", out)
			}
		}
	}
}

func TestAuthCSRGenerate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		user    string
		groups  []string
		keyType string
		seconds int32
	}{
		{name: "ecdsa by default, groups in order", args: []string{"--group", "team-b", "--group", "a", "--group", "system:monitoring"},
			user: "alice", groups: []string{"team-b", "a", "system:monitoring"}, keyType: "ECDSA P-256", seconds: 86400},
		{name: "rsa 2048", args: []string{"--key-type", "rsa", "--group", "ops", "--duration", "1h"},
			user: "prometheus", groups: []string{"ops"}, keyType: "RSA 2048", seconds: 3600},
		{name: "no group", user: "bob", keyType: "ECDSA P-256", seconds: 86400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "certs")
			code, stdout, stderr := runCLI(t, append([]string{"auth", "csr", "--user", tt.user, "--out", dir}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			f := readCSRFiles(t, dir, tt.user)
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("the new directory: %v, mode %v; want 0700", err, fi.Mode().Perm())
			}
			if got := describeKey(f.key); got != tt.keyType {
				t.Errorf("key %s, want %s", got, tt.keyType)
			}
			if err := f.csr.CheckSignature(); err != nil {
				t.Errorf("request signature: %v", err)
			}
			if !f.key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(f.csr.PublicKey) {
				t.Error("the request is for another key")
			}
			if f.csr.Subject.CommonName != tt.user {
				t.Errorf("CN %q, want %q", f.csr.Subject.CommonName, tt.user)
			}
			if diff := cmp.Diff(tt.groups, f.csr.Subject.Organization); diff != "" {
				t.Errorf("O (-want +got):\n%s", diff)
			}
			checkNoKeyMaterial(t, f.keyPEM, stdout, stderr)
			// stdout is the request to submit, as kubectl apply reads it.
			var obj certificatesv1.CertificateSigningRequest
			if err := yaml.UnmarshalStrict([]byte(stdout), &obj); err != nil {
				t.Fatalf("stdout is no CertificateSigningRequest: %v\n%s", err, stdout)
			}
			if !bytes.Equal(obj.Spec.Request, f.csrPEM) || obj.Spec.SignerName != "kubernetes.io/kube-apiserver-client" ||
				*obj.Spec.ExpirationSeconds != tt.seconds || len(obj.Spec.Usages) != 1 || obj.Spec.Usages[0] != "client auth" {
				t.Errorf("printed request: %+v", obj.Spec)
			}
			for _, want := range []string{filepath.Join(dir, tt.user+".key"), "kubectl certificate approve " + obj.Name} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if stderr != "" {
				t.Errorf("stderr:\n%s", stderr)
			}
			checkWithOpenSSL(t, dir, tt.user)
		})
	}
}

func describeKey(key crypto.Signer) string {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P256() {
			return "ECDSA P-256"
		}
	case *rsa.PrivateKey:
		if k.N.BitLen() == 2048 {
			return "RSA 2048"
		}
	}
	return "another key"
}

// checkWithOpenSSL has openssl, when it is installed, verify the request
// and read its subject; the tests do not depend on it.
func checkWithOpenSSL(t *testing.T, dir, user string) {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		return
	}
	out, err := exec.Command(openssl, "req", "-verify", "-noout", "-in", filepath.Join(dir, user+".csr")).CombinedOutput()
	if err != nil {
		t.Errorf("openssl req -verify: %v\n%s", err, out)
	}
	out, err = exec.Command(openssl, "pkey", "-noout", "-in", filepath.Join(dir, user+".key")).CombinedOutput()
	if err != nil {
		t.Errorf("openssl pkey cannot read the key: %v\n%s", err, out)
	}
}

func TestAuthCSRRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	for _, existing := range []string{"alice.key", "alice.csr"} {
		t.Run(existing, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, existing)
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI(t, "auth", "csr", "--user", "alice", "--out", dir)
			if code != exitFailed || stdout != "" {
				t.Fatalf("exit %d, stdout %q; want 1 and nothing", code, stdout)
			}
			if want := `sdinspect: "` + path + `" already exists; pass --force to replace it` + "\n"; stderr != want {
				t.Errorf("stderr %q, want %q", stderr, want)
			}
			// Nothing was generated: the one file is as it was.
			entries, _ := os.ReadDir(dir)
			if data, _ := os.ReadFile(path); len(entries) != 1 || string(data) != "old" {
				t.Errorf("directory holds %d entries, %s holds %q", len(entries), existing, data)
			}
			code, stdout, stderr = runCLI(t, "auth", "csr", "--user", "alice", "--out", dir, "--force")
			if code != exitOK {
				t.Fatalf("--force: exit %d; stderr:\n%s", code, stderr)
			}
			f := readCSRFiles(t, dir, "alice")
			checkNoKeyMaterial(t, f.keyPEM, stdout, stderr)
			if entries, _ := os.ReadDir(dir); len(entries) != 2 {
				t.Errorf("directory holds %d entries, want the key and the request", len(entries))
			}
		})
	}
}

func TestAuthCSRFileNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "auth", "csr", "--user", "../team/alice", "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	// The user name is the CN as given, and never a path.
	f := readCSRFiles(t, dir, "_._team_alice")
	if f.csr.Subject.CommonName != "../team/alice" {
		t.Errorf("CN %q", f.csr.Subject.CommonName)
	}
}

func TestAuthCSRUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no user", args: []string{"--out", "x"}, want: "--user is required"},
		{name: "no directory", args: []string{"--user", "a"}, want: "--out DIR is required"},
		{name: "short duration", args: []string{"--user", "a", "--out", "x", "--duration", "9m59s"}, want: "no less than 10m0s"},
		{name: "approve alone", args: []string{"--user", "a", "--out", "x", "--approve"}, want: "--approve needs --submit"},
		{name: "server alone", args: []string{"--user", "a", "--out", "x", "--server", "https://x"}, want: "need --submit"},
		{name: "unknown key type", args: []string{"--user", "a", "--out", "x", "--key-type", "dsa"}, want: `unknown key type "dsa"`},
		{name: "empty group", args: []string{"--user", "a", "--out", "x", "--group", ""}, want: "--group must not be empty"},
		{name: "repeated group", args: []string{"--user", "a", "--out", "x", "--group", "ops", "--group", "dev", "--group", "ops"}, want: `--group "ops" is given twice`},
		{name: "invalid request name", args: []string{"--user", "a", "--out", "x", "--name", "Alice_1"}, want: `--name "Alice_1" is no valid CertificateSigningRequest name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := append([]string{"auth", "csr"}, tt.args...)
			for i, a := range args {
				if a == "x" {
					args[i] = filepath.Join(dir, "x")
				}
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, stdout, stderr, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
				t.Error("a usage error created the directory")
			}
		})
	}
}

// TestAuthCSRNoConnection refuses --submit without anything to connect
// to before it writes a key.
func TestAuthCSRNoConnection(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "auth", "csr", "--user", "alice", "--out", dir, "--submit")
	if code != exitFailed || !strings.Contains(stderr, "give --kubeconfig or --server") {
		t.Errorf("exit %d, stderr %q; want 1 and what to give", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("wrote %d files", len(entries))
	}
}
