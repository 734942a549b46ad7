package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func TestCSRName(t *testing.T) {
	request := []byte("request")
	sum := sha256.Sum256(request)
	hash := hex.EncodeToString(sum[:4])
	tests := []struct {
		name, user, want string
	}{
		{name: "plain user", user: "alice", want: "alice-" + hash},
		{name: "colons and upper case", user: "System:ServiceAccount:ns:prom", want: "system-serviceaccount-ns-prom-" + hash},
		{name: "non-ASCII", user: "jürgen", want: "j-rgen-" + hash},
		{name: "nothing usable", user: "::", want: "user-" + hash},
		{name: "dots kept", user: "first.last", want: "first.last-" + hash},
		{name: "empty part between dots", user: "a..b", want: "a--b-" + hash},
		{name: "part starting with a dash", user: "jane._doe", want: "jane--doe-" + hash},
		{name: "dots only", user: "...", want: "user-" + hash},
		{name: "too long", user: strings.Repeat("a", 300), want: strings.Repeat("a", 253-9) + "-" + hash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CSRName(tt.user, request)
			if got != tt.want {
				t.Errorf("CSRName(%q) = %q, want %q", tt.user, got, tt.want)
			}
			if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
				t.Errorf("%q is no DNS subdomain: %v", got, errs)
			}
		})
	}
	if CSRName("alice", []byte("another request")) == CSRName("alice", request) {
		t.Error("two requests got the same name")
	}
}

func TestCSRNew(t *testing.T) {
	csr := NewCSR("alice-1", []byte("PEM"), 36*time.Hour+500*time.Millisecond)
	want := certificatesv1.CertificateSigningRequestSpec{
		Request:           []byte("PEM"),
		SignerName:        "kubernetes.io/kube-apiserver-client",
		ExpirationSeconds: ptr(int32(36 * 3600)),
		Usages:            []certificatesv1.KeyUsage{"client auth"},
	}
	if diff := cmp.Diff(want, csr.Spec); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	if csr.Name != "alice-1" || csr.APIVersion != "certificates.k8s.io/v1" || csr.Kind != "CertificateSigningRequest" {
		t.Errorf("object %s %s %q", csr.APIVersion, csr.Kind, csr.Name)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCSRKubeconfig(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.crt")
	pki := newPKI(t, "csr-kubeconfig")
	caPEM, err := os.ReadFile(pki.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	// Validation reads the files the kubeconfig names.
	for _, f := range []string{"alice.crt", "alice.key"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	tests := []struct {
		name     string
		config   rest.Config
		wantCA   []byte
		insecure bool
	}{
		{name: "CA file is embedded", config: rest.Config{Host: "https://10.0.0.1:6443", TLSClientConfig: rest.TLSClientConfig{CAFile: caFile}}, wantCA: caPEM},
		{name: "inline CA", config: rest.Config{Host: "https://10.0.0.1:6443", TLSClientConfig: rest.TLSClientConfig{CAData: caPEM, ServerName: "kubernetes"}}, wantCA: caPEM},
		{name: "no verification stays no verification", config: rest.Config{Host: "https://10.0.0.1:6443", TLSClientConfig: rest.TLSClientConfig{Insecure: true, CAData: caPEM}}, insecure: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := &Conn{Config: &tt.config, Source: "test"}
			kc, err := CSRKubeconfig(conn, "alice", "alice.crt", "alice.key")
			if err != nil {
				t.Fatal(err)
			}
			if err := clientcmd.Validate(*kc); err != nil {
				t.Fatalf("invalid kubeconfig: %v", err)
			}
			data, err := clientcmd.Write(*kc)
			if err != nil {
				t.Fatal(err)
			}
			back, err := clientcmd.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			if back.CurrentContext != "alice@10.0.0.1:6443" {
				t.Errorf("current context %q", back.CurrentContext)
			}
			cfg, err := clientcmd.NewDefaultClientConfig(*back, nil).ClientConfig()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]any{"host": cfg.Host, "ca": string(cfg.CAData), "insecure": cfg.Insecure, "server name": cfg.ServerName, "cert": cfg.CertFile, "key": cfg.KeyFile}
			want := map[string]any{"host": tt.config.Host, "ca": string(tt.wantCA), "insecure": tt.insecure, "server name": tt.config.ServerName,
				"cert": filepath.Join(dir, "alice.crt"), "key": filepath.Join(dir, "alice.key")}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("client configuration (-want +got):\n%s", diff)
			}
		})
	}
	_, err = CSRKubeconfig(&Conn{Config: &rest.Config{Host: "https://x", TLSClientConfig: rest.TLSClientConfig{CAFile: filepath.Join(dir, "missing.crt")}}}, "alice", "a.crt", "a.key")
	if err == nil || !strings.Contains(err.Error(), "missing.crt") {
		t.Errorf("a missing CA file: error %v, want one naming it", err)
	}
}

func TestCSRConnectFlags(t *testing.T) {
	isolate(t)
	if _, err := ConnectFlags(parseFlags(t)); err == nil || !strings.Contains(err.Error(), "give --kubeconfig or --server") {
		t.Errorf("no flags, kubeconfig or pod: error %v, want one saying what to give", err)
	}
	pki := newPKI(t, "csr-connect")
	conn, err := ConnectFlags(parseFlags(t, "--server", "https://10.0.0.1:6443", "--certificate-authority", pki.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	if conn.Config.Host != "https://10.0.0.1:6443" || conn.Config.CAFile != pki.CAFile {
		t.Errorf("flags: host %q CA %q", conn.Config.Host, conn.Config.CAFile)
	}
	kubeconfig := filepath.Join(t.TempDir(), "config")
	err = os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.2:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: secret}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kubeconfig)
	conn, err = ConnectFlags(parseFlags(t))
	if err != nil {
		t.Fatal(err)
	}
	if conn.Config.Host != "https://10.0.0.2:6443" || !strings.Contains(conn.Source, kubeconfig) || len(conn.Notes) != 1 {
		t.Errorf("$KUBECONFIG: host %q, source %q, notes %q; want its server, its name and a note about TLS", conn.Config.Host, conn.Source, conn.Notes)
	}
}

func TestCSRBindFlags(t *testing.T) {
	fs := pflag.NewFlagSet("csr", pflag.ContinueOnError)
	// The command's own --user, which kubectl's would clash with.
	fs.String("user", "", "user of the certificate")
	f := BindCSRFlags(fs)
	for _, name := range []string{"kubeconfig", "context", "cluster", "server", "certificate-authority", "client-certificate", "client-key", "token", "as", "as-group", "insecure-skip-tls-verify"} {
		if fs.Lookup(name) == nil {
			t.Errorf("no --%s", name)
		}
	}
	if fs.Lookup("namespace") != nil {
		t.Error("--namespace is bound")
	}
	if err := fs.Parse([]string{"--user", "alice"}); err != nil {
		t.Fatal(err)
	}
	if f.Given() {
		t.Error("the command's --user counts as a connection flag")
	}
	if err := fs.Parse([]string{"--context", "prod"}); err != nil {
		t.Fatal(err)
	}
	if !f.Given() || f.Overrides.CurrentContext != "prod" {
		t.Errorf("--context: given %v, context %q", f.Given(), f.Overrides.CurrentContext)
	}
}
