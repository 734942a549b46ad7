package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/internal/testcluster"
)

// whoamiIsolate keeps the machine's kubeconfig and pod out of the tests.
func whoamiIsolate(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
}

// whoamiRow reports whether the text of auth whoami has the row key
// value, however wide the key column is.
func whoamiRow(text, key, value string) bool {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + ` {2,}` + regexp.QuoteMeta(value) + `$`).MatchString(text)
}

// whoamiJSON runs auth whoami -o json with args and returns its one
// connection; the run must succeed without a word on stderr.
func whoamiJSON(t *testing.T, args ...string) *cluster.WhoamiReport {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"auth", "whoami", "-o", "json"}, args...)...)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var doc whoamiDocument
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v in:\n%s", err, stdout)
	}
	if doc.APIVersion != "sdinspect/v1" || doc.Kind != "Whoami" || len(doc.Connections) != 1 {
		t.Fatalf("want one connection of a sdinspect/v1 Whoami, got:\n%s", stdout)
	}
	return doc.Connections[0]
}

// TestAuthWhoamiLive asks a real API server who each kind of credentials
// is: a client certificate, a service account token, a kubeconfig, the
// jobs of a config, and an impersonated identity.
func TestAuthWhoamiLive(t *testing.T) {
	c := testcluster.Start(t)
	// After Start: the API server's binaries are found through $HOME.
	whoamiIsolate(t)
	cert, key := c.ClientCert(t, "whoami-ci", "whoami:readers", "ops")
	conn := []string{"--server", c.URL, "--certificate-authority", c.CAFile, "--client-certificate", cert, "--client-key", key}

	t.Run("client certificate", func(t *testing.T) {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		leaf := pair.Leaf
		r := whoamiJSON(t, conn...)
		if want := (cluster.WhoamiUser{Username: "whoami-ci", Groups: []string{"ops", "system:authenticated", "whoami:readers"}}); r.User.Username != want.Username || !slices.Equal(r.User.Groups, want.Groups) {
			t.Errorf("user %+v, want %+v", r.User, want)
		}
		want := cluster.ClientCertInfo{File: cert, Subject: "CN=whoami-ci, O=whoami:readers, O=ops", CommonName: "whoami-ci",
			Organizations: []string{"whoami:readers", "ops"}, Issuer: "CN=sdinspect-test-ca", Serial: fmt.Sprintf("%X", leaf.SerialNumber),
			NotBefore: leaf.NotBefore.UTC(), NotAfter: leaf.NotAfter.UTC(), Verified: true}
		if len(want.Serial)%2 == 1 {
			want.Serial = "0" + want.Serial
		}
		if diff := cmp.Diff(&want, r.ClientCertificate); diff != "" {
			t.Errorf("client certificate (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(cluster.WhoamiCredentials{Kind: "client-certificate", ClientCertificate: cert, ClientKey: key, CA: c.CAFile}, r.Credentials); diff != "" {
			t.Errorf("credentials (-want +got):\n%s", diff)
		}
		if r.Source != "the connection flags" || r.Server != c.URL || len(r.Warnings) != 0 || r.Impersonate != nil || r.AuthenticatedAs != nil {
			t.Errorf("report %+v, want the flags' connection to %s, nothing impersonated, no warnings", r, c.URL)
		}

		code, stdout, _ := runCLI(t, append([]string{"auth", "whoami"}, conn...)...)
		for _, kv := range [][2]string{{"Username", "whoami-ci"}, {"Certificate subject", "CN=whoami-ci, O=whoami:readers, O=ops"},
			{"Certificate verified", "yes, by the server CA, for client authentication"}, {"Client certificate", fmt.Sprintf("%q", cert)}} {
			if code != exitOK || !whoamiRow(stdout, kv[0], kv[1]) {
				t.Errorf("exit %d, text lacks the row %q:\n%s", code, kv, stdout)
			}
		}
	})

	token := c.ServiceAccountToken(t, "monitoring", "prometheus")
	const saUser = "system:serviceaccount:monitoring:prometheus"
	noToken := func(t *testing.T, out string) {
		t.Helper()
		if strings.Contains(out, token) || strings.Contains(out, token[len(token)-16:]) {
			t.Errorf("the token is printed:\n%s", out)
		}
	}

	t.Run("service account token", func(t *testing.T) {
		args := []string{"--server", c.URL, "--certificate-authority", c.CAFile, "--token", token}
		r := whoamiJSON(t, args...)
		if r.User.Username != saUser || !slices.Contains(r.User.Groups, "system:serviceaccounts:monitoring") || r.User.UID == "" {
			t.Errorf("user %+v, want %s with a UID, in system:serviceaccounts:monitoring", r.User, saUser)
		}
		if r.Credentials.Kind != "token" || r.Credentials.Token != "the --token flag" || r.ClientCertificate != nil {
			t.Errorf("credentials %+v, want a token from the --token flag", r.Credentials)
		}
		for _, format := range []string{"json", "text"} {
			code, stdout, stderr := runCLI(t, append([]string{"auth", "whoami", "-v", "-o", format}, args...)...)
			if code != exitOK {
				t.Errorf("-o %s: exit %d; stderr:\n%s", format, code, stderr)
			}
			noToken(t, stdout+stderr)
		}
	})

	t.Run("kubeconfig", func(t *testing.T) {
		kubeconfig := filepath.Join(t.TempDir(), "config")
		writeFile(t, kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: %q, certificate-authority: %q}}]
users:
- {name: prom, user: {token: %q}}
- {name: ci, user: {client-certificate: %q, client-key: %q}}
contexts:
- {name: as-prom, context: {cluster: test, user: prom}}
- {name: as-ci, context: {cluster: test, user: ci}}
current-context: as-prom
`, c.URL, c.CAFile, token, cert, key))
		// From $KUBECONFIG without a flag, as kubectl reads it.
		t.Setenv("KUBECONFIG", kubeconfig)
		r := whoamiJSON(t)
		want := cluster.WhoamiCredentials{Kind: "token", Token: fmt.Sprintf("user %q in kubeconfig %q", "prom", kubeconfig),
			Kubeconfig: kubeconfig, KubeconfigUser: "prom", Context: "as-prom", CA: c.CAFile}
		if diff := cmp.Diff(want, r.Credentials); diff != "" || r.User.Username != saUser || r.Source != fmt.Sprintf("kubeconfig %q", kubeconfig) {
			t.Errorf("user %q from %s; credentials (-want +got):\n%s", r.User.Username, r.Source, diff)
		}
		code, stdout, stderr := runCLI(t, "auth", "whoami")
		if code != exitOK || !whoamiRow(stdout, "Kubeconfig context", "as-prom") {
			t.Errorf("exit %d, text lacks the context:\n%s%s", code, stdout, stderr)
		}
		noToken(t, stdout+stderr)

		// --kubeconfig and --context, a client certificate in it.
		t.Setenv("KUBECONFIG", "")
		r = whoamiJSON(t, "--kubeconfig", kubeconfig, "--context", "as-ci")
		if r.User.Username != "whoami-ci" || r.Credentials.Context != "as-ci" || r.Credentials.KubeconfigUser != "ci" || r.ClientCertificate == nil || !r.ClientCertificate.Verified {
			t.Errorf("got %+v, want whoami-ci by the verified certificate of user ci, context as-ci", r)
		}
	})

	t.Run("the jobs of a config", func(t *testing.T) {
		kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
		writeFile(t, kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, certificate-authority: %q}}]
users: [{name: u, user: {client-certificate: %q, client-key: %q}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`, c.URL, c.CAFile, cert, key))
		config := filepath.Join(t.TempDir(), "prometheus.yml")
		writeFile(t, config, fmt.Sprintf(`scrape_configs:
- job_name: nodes
  kubernetes_sd_configs:
  - {role: node, api_server: %q, tls_config: {ca_file: %q, cert_file: %q, key_file: %q}}
- job_name: pods
  kubernetes_sd_configs:
  - {role: pod, api_server: %q, tls_config: {ca_file: %q, cert_file: %q, key_file: %q}}
- job_name: services
  kubernetes_sd_configs:
  - {role: service, kubeconfig_file: %q}
`, c.URL, c.CAFile, cert, key, c.URL, c.CAFile, cert, key, kubeconfig))
		code, stdout, stderr := runCLI(t, "auth", "whoami", "--config", config, "-o", "json")
		var doc whoamiDocument
		if code != exitOK || json.Unmarshal([]byte(stdout), &doc) != nil || len(doc.Connections) != 2 {
			t.Fatalf("exit %d, want two connections; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		for i, jobs := range [][]string{{"nodes", "pods"}, {"services"}} {
			r := doc.Connections[i]
			if !slices.Equal(r.Jobs, jobs) || r.User.Username != "whoami-ci" || r.ClientCertificate == nil || !r.ClientCertificate.Verified {
				t.Errorf("connection %d: jobs %q, user %q, certificate %+v; want jobs %q of whoami-ci, verified", i, r.Jobs, r.User.Username, r.ClientCertificate, jobs)
			}
		}
		code, stdout, _ = runCLI(t, "auth", "whoami", "--config", config, "--job", "services")
		if code != exitOK || strings.Count(stdout, "Connection") != 1 || !whoamiRow(stdout, "Connection", fmt.Sprintf("kubeconfig_file %q of job \"services\"", kubeconfig)) {
			t.Errorf("--job services: exit %d, want one block for its kubeconfig_file:\n%s", code, stdout)
		}
	})

	t.Run("impersonation", func(t *testing.T) {
		impCert, impKey := c.ClientCert(t, "whoami-imp", "whoami:impersonators")
		c.Grant(t, "whoami:impersonators", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"users", "groups"}, Verbs: []string{"impersonate"}})
		args := []string{"--server", c.URL, "--certificate-authority", c.CAFile, "--client-certificate", impCert, "--client-key", impKey,
			"--as", "alice", "--as-group", "team-a"}
		r := whoamiJSON(t, args...)
		if r.User.Username != "alice" || !slices.Equal(r.User.Groups, []string{"system:authenticated", "team-a"}) {
			t.Errorf("user %+v, want the impersonated alice in team-a", r.User)
		}
		if r.Impersonate == nil || r.Impersonate.Username != "alice" || r.AuthenticatedAs == nil || r.AuthenticatedAs.Username != "whoami-imp" {
			t.Errorf("impersonate %+v, authenticated as %+v; want alice, by whoami-imp", r.Impersonate, r.AuthenticatedAs)
		}
		code, stdout, _ := runCLI(t, append([]string{"auth", "whoami"}, args...)...)
		for _, kv := range [][2]string{{"Impersonating", "alice (groups team-a)"}, {"Username", "alice (impersonated)"},
			{"Authenticated as", "whoami-imp (groups system:authenticated, whoami:impersonators)"}} {
			if code != exitOK || !whoamiRow(stdout, kv[0], kv[1]) {
				t.Errorf("exit %d, text lacks the row %q:\n%s", code, kv, stdout)
			}
		}
	})

	t.Run("certificate expiring within 30 days", func(t *testing.T) {
		soon, soonKey := c.ClientCertValidity(t, time.Now().Add(-time.Hour), time.Now().Add(10*24*time.Hour), "whoami-soon")
		args := []string{"--server", c.URL, "--certificate-authority", c.CAFile, "--client-certificate", soon, "--client-key", soonKey}
		r := whoamiJSON(t, args...)
		want := fmt.Sprintf("client certificate %q (CN=whoami-soon) expires in 10 days, at ", soon)
		if len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], want) {
			t.Errorf("warnings %q, want one starting %s", r.Warnings, want)
		}
		code, stdout, _ := runCLI(t, append([]string{"auth", "whoami"}, args...)...)
		if code != exitOK || !strings.Contains(stdout, "\nWarning: "+want) {
			t.Errorf("exit %d, text lacks the warning:\n%s", code, stdout)
		}
	})

	t.Run("refused credentials", func(t *testing.T) { whoamiRefused(t, c, cert, key) })

	t.Run("TLS verification off", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "auth", "whoami", "--server", c.URL, "--client-certificate", cert, "--client-key", key, "--insecure-skip-tls-verify")
		if code != exitOK || !strings.Contains(stderr, "sdinspect: note: TLS verification is off for "+c.URL+" (--insecure-skip-tls-verify)") {
			t.Errorf("exit %d, want a note on stderr:\n%s", code, stderr)
		}
		if !whoamiRow(stdout, "Server CA", "none: TLS verification is off, the server's identity is not checked") {
			t.Errorf("the text does not say that TLS verification is off:\n%s", stdout)
		}
	})
}

// whoamiRefused runs targets, snapshot, check and auth whoami with credentials the
// API server refuses, or that sdinspect refuses before it connects: each
// ends with one line on stderr that names the credential and why, and
// nothing on stdout. cert and key are a good pair of the cluster.
func whoamiRefused(t *testing.T, c *testcluster.Cluster, cert, key string) {
	now := time.Now()
	expired, expiredKey := c.ClientCertValidity(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), "whoami-old", "whoami:readers")
	future, futureKey := c.ClientCertValidity(t, now.Add(24*time.Hour), now.Add(48*time.Hour), "whoami-new")
	_, otherKey := c.ClientCert(t, "whoami-other")
	stranger, strangerKey := testcluster.NewCA(t, "stranger-ca").ClientCert(t, "intruder", "system:masters")
	const staleToken = "sdinspect-whoami-test-token-no-server-knows"
	kubeconfig := filepath.Join(t.TempDir(), "config")
	writeFile(t, kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: %q, certificate-authority: %q}}]
users: [{name: stale, user: {token: %q}}]
contexts: [{name: test, context: {cluster: test, user: stale}}]
current-context: test
`, c.URL, c.CAFile, staleToken))
	flags := func(cert, key string) []string {
		return []string{"--server", c.URL, "--certificate-authority", c.CAFile, "--client-certificate", cert, "--client-key", key}
	}

	tests := []struct {
		name string
		conn []string
		want []string // fragments of the one line on stderr
	}{
		{name: "expired certificate", conn: flags(expired, expiredKey),
			want: []string{fmt.Sprintf("client certificate %q (CN=whoami-old, O=whoami:readers) expired at %s, 1 day ago: the API server refuses it",
				expired, now.Add(-24*time.Hour).UTC().Format("2006-01-02 15:04:05 MST"))}},
		{name: "certificate not yet valid", conn: flags(future, futureKey),
			want: []string{fmt.Sprintf("client certificate %q (CN=whoami-new) is not yet valid: it is valid from %s, in 1 day",
				future, now.Add(24*time.Hour).UTC().Format("2006-01-02 15:04:05 MST"))}},
		{name: "key of another certificate", conn: flags(cert, otherKey),
			want: []string{fmt.Sprintf("client certificate %q (CN=whoami-ci, O=whoami:readers, O=ops) and client key %q do not belong together: the key is not the certificate's private key", cert, otherKey)}},
		{name: "certificate of another CA", conn: flags(stranger, strangerKey),
			want: []string{fmt.Sprintf(`the API server at %s rejected the credentials (401 Unauthorized): client certificate %q (CN=intruder, O=system:masters) is not signed by the cluster's client CA: its issuer is "CN=stranger-ca", and the CA in %q does not verify it either (x509: certificate signed by unknown authority)`,
				c.URL, stranger, c.CAFile)}},
		{name: "token of a flag", conn: []string{"--server", c.URL, "--certificate-authority", c.CAFile, "--token", staleToken},
			want: []string{"rejected the credentials (401 Unauthorized): the bearer token from the --token flag is invalid, expired, revoked or meant for another cluster"}},
		{name: "token of a kubeconfig", conn: []string{"--kubeconfig", kubeconfig},
			want: []string{fmt.Sprintf("rejected the credentials (401 Unauthorized): the bearer token from user \"stale\" in kubeconfig %q is invalid", kubeconfig)}},
	}
	for _, tt := range tests {
		for _, cmd := range []struct {
			name string
			args []string
		}{
			{"auth whoami", []string{"auth", "whoami"}},
			{"auth whoami -o json", []string{"auth", "whoami", "-o", "json"}},
			{"targets", []string{"targets", "--config", "../../testdata/examples/prometheus.yml"}},
			{"snapshot", []string{"snapshot", "--config", "../../testdata/examples/prometheus.yml", "-o", "-"}},
			{"check", []string{"check", "--config", "../../testdata/examples/prometheus.yml"}},
		} {
			t.Run(tt.name+"/"+cmd.name, func(t *testing.T) {
				code, stdout, stderr := runCLI(t, append(cmd.args, tt.conn...)...)
				if code != exitFailed || stdout != "" {
					t.Errorf("exit %d, stdout %q; want exit 1 and nothing", code, stdout)
				}
				if !strings.HasPrefix(stderr, "sdinspect: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
					t.Errorf("want one line starting \"sdinspect: \" on stderr, got:\n%s", stderr)
				}
				for _, want := range tt.want {
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr lacks %s:\n%s", want, stderr)
					}
				}
				if strings.Contains(stderr, staleToken) {
					t.Errorf("the token is on stderr:\n%s", stderr)
				}
			})
		}
	}
}
