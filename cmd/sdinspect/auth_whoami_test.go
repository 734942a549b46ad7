package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/cluster"
)

// whoamiSample is a report with every field set: an impersonating client
// certificate that expires soon, and a second connection with a token.
func whoamiSample() []*cluster.WhoamiReport {
	day := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return []*cluster.WhoamiReport{
		{
			Source: "the connection flags",
			Server: "https://10.0.0.1:6443",
			Jobs:   []string{"kubernetes-nodes", "kubernetes-pods"},
			Credentials: cluster.WhoamiCredentials{Kind: "client-certificate", ClientCertificate: "/certs/ci.crt", ClientKey: "/certs/ci.key",
				CA: "/certs/ca.crt"},
			Impersonate: &cluster.WhoamiUser{Username: "alice", Groups: []string{"team-a"}},
			User: cluster.WhoamiUser{Username: "alice", Groups: []string{"system:authenticated", "team-a"},
				Extra: map[string][]string{"b": {"2"}, "a": {"1", "one"}}},
			AuthenticatedAs: &cluster.WhoamiUser{Username: "ci", Groups: []string{"system:authenticated", "system:ci"}},
			ClientCertificate: &cluster.ClientCertInfo{File: "/certs/ci.crt", Subject: "CN=ci, O=system:ci", CommonName: "ci",
				Organizations: []string{"system:ci"}, Issuer: "CN=kubernetes", Serial: "0ABC", NotBefore: day, NotAfter: day.AddDate(0, 0, 20), Verified: true},
			Warnings: []string{`client certificate "/certs/ci.crt" (CN=ci, O=system:ci) expires in 12 days, at 2026-01-22 03:04:05 UTC: get a new one before then (sdinspect auth csr)`},
		},
		{
			Source:      `kubeconfig "/home/me/.kube/config"`,
			Server:      "https://10.0.0.2:6443",
			Credentials: cluster.WhoamiCredentials{Kind: "token", Token: `user "prom" in kubeconfig "/home/me/.kube/config"`, KubeconfigUser: "prom", Kubeconfig: "/home/me/.kube/config", Context: "prod", InsecureSkipTLSVerify: true},
			User:        cluster.WhoamiUser{Username: "system:serviceaccount:monitoring:prom", UID: "42", Groups: []string{"system:authenticated", "system:serviceaccounts"}},
		},
	}
}

func TestAuthWhoamiText(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := writeWhoamiText(&out, whoamiSample()); err != nil {
		t.Fatal(err)
	}
	want := `Connection              the connection flags
Server                  https://10.0.0.1:6443
Jobs                    kubernetes-nodes, kubernetes-pods
Authenticates with      client certificate
Client certificate      "/certs/ci.crt"
Client key              "/certs/ci.key"
Server CA               "/certs/ca.crt"
Impersonating           alice (groups team-a)
Username                alice (impersonated)
Groups                  system:authenticated, team-a
Extra                   a: 1, one
Extra                   b: 2
Authenticated as        ci (groups system:authenticated, system:ci)
Certificate subject     CN=ci, O=system:ci
Certificate issuer      CN=kubernetes
Certificate serial      0ABC
Certificate not before  2026-01-02 03:04:05 UTC
Certificate not after   2026-01-22 03:04:05 UTC
Certificate verified    yes, by the server CA, for client authentication
Warning: client certificate "/certs/ci.crt" (CN=ci, O=system:ci) expires in 12 days, at 2026-01-22 03:04:05 UTC: get a new one before then (sdinspect auth csr)

Connection          kubeconfig "/home/me/.kube/config"
Server              https://10.0.0.2:6443
Authenticates with  bearer token
Token               from user "prom" in kubeconfig "/home/me/.kube/config" (not shown)
Kubeconfig user     "prom" in "/home/me/.kube/config"
Kubeconfig context  prod
Server CA           none: TLS verification is off, the server's identity is not checked
Username            system:serviceaccount:monitoring:prom
UID                 42
Groups              system:authenticated, system:serviceaccounts
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}

// TestAuthWhoamiJSONShape holds the field names of -o json, which the
// README documents.
func TestAuthWhoamiJSONShape(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(whoamiDocument{APIVersion: "sdinspect/v1", Kind: whoamiKind, Connections: whoamiSample()})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string { return slices.Sorted(maps.Keys(v.(map[string]any))) }
	conn := doc["connections"].([]any)[0]
	tests := []struct {
		name string
		got  any
		want []string
	}{
		{name: "document", got: doc, want: []string{"apiVersion", "connections", "kind"}},
		{name: "connection", got: conn,
			want: []string{"authenticatedAs", "clientCertificate", "credentials", "impersonate", "jobs", "server", "source", "user", "warnings"}},
		{name: "credentials", got: conn.(map[string]any)["credentials"], want: []string{"ca", "clientCertificate", "clientKey", "kind"}},
		{name: "token credentials", got: doc["connections"].([]any)[1].(map[string]any)["credentials"],
			want: []string{"context", "insecureSkipTLSVerify", "kind", "kubeconfig", "kubeconfigUser", "token"}},
		{name: "user", got: conn.(map[string]any)["user"], want: []string{"extra", "groups", "username"}},
		{name: "client certificate", got: conn.(map[string]any)["clientCertificate"],
			want: []string{"commonName", "file", "issuer", "notAfter", "notBefore", "organizations", "serial", "subject", "verified"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, keys(tt.got)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
	if !strings.Contains(string(b), `"notAfter":"2026-01-22T03:04:05Z"`) {
		t.Errorf("times are not RFC 3339 UTC: %s", b)
	}
}

func TestAuthWhoamiUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "job without config", args: []string{"auth", "whoami", "--job", "pods"}, want: "sdinspect: --job needs --config\n"},
		{name: "bad output", args: []string{"auth", "whoami", "-o", "yaml"}, want: `invalid argument "yaml" for "-o, --output" flag: unknown output format "yaml" (want text or json)`},
		{name: "arguments", args: []string{"auth", "whoami", "me"}, want: `unknown command "me"`},
		{name: "zero timeout", args: []string{"auth", "whoami", "--timeout", "0s"}, want: "sdinspect: --timeout must be positive\n"},
		{name: "group impersonation without user", args: []string{"auth", "whoami", "--server", "https://127.0.0.1:1", "--as-group", "ops"}, want: "sdinspect: --as-group and --as-uid need --as"},
		{name: "uid impersonation without user", args: []string{"auth", "whoami", "--as-uid", "1234"}, want: "sdinspect: --as-group and --as-uid need --as"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout, stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestAuthWhoamiConfigWithoutKubernetesSD(t *testing.T) {
	t.Parallel()
	config := t.TempDir() + "/prometheus.yml"
	writeFile(t, config, "scrape_configs:\n- job_name: static\n  static_configs: [{targets: [\"a:80\"]}]\n")
	code, stdout, stderr := runCLI(t, "auth", "whoami", "--config", config)
	want := "sdinspect: no job in \"" + config + "\" uses kubernetes_sd_configs, so none connects to an API server; leave out --config to use the kubeconfig\n"
	if code != exitFailed || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, want)
	}
}

// TestAuthWhoamiReadme holds the README's JSON example to what -o json
// writes: every field it shows exists, and written back it is the same
// document, so it shows no field that would be left out.
func TestAuthWhoamiReadme(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := bytes.Cut(readme, []byte("\n#### `auth whoami`\n"))
	if !ok {
		t.Fatal("README has no #### `auth whoami` section")
	}
	section, _, _ = bytes.Cut(section, []byte("\n## "))
	_, block, ok := bytes.Cut(section, []byte("\n```json\n"))
	if !ok {
		t.Fatal("the auth whoami section has no ```json block")
	}
	block, _, _ = bytes.Cut(block, []byte("\n```\n"))
	dec := json.NewDecoder(bytes.NewReader(block))
	dec.DisallowUnknownFields()
	var doc whoamiDocument
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("the README's example is not what -o json writes: %v", err)
	}
	again, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var shown, written any
	if err := json.Unmarshal(block, &shown); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &written); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(shown, written); diff != "" {
		t.Errorf("the README's example differs from itself written back (-readme +written):\n%s", diff)
	}
	if doc.APIVersion != "sdinspect/v1" || doc.Kind != whoamiKind {
		t.Errorf("apiVersion %q, kind %q; want sdinspect/v1 %s", doc.APIVersion, doc.Kind, whoamiKind)
	}
}
