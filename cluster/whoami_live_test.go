package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// TestWhoamiLive asks the real API server who connections made every way
// Connect makes them authenticate as.
func TestWhoamiLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a kube-apiserver; skipped with -short")
	}
	c := live.Get(t)
	isolate(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	token := c.ServiceAccountToken(t, "whoami", "prometheus")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	const saUser = "system:serviceaccount:whoami:prometheus"

	// noToken fails the test if r, as its JSON form, holds the token.
	noToken := func(t *testing.T, r *WhoamiReport) {
		t.Helper()
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), token) || strings.Contains(string(b), token[len(token)-16:]) {
			t.Errorf("the report holds the token: %s", b)
		}
	}

	t.Run("service account token, as in a pod", func(t *testing.T) {
		// What rest.InClusterConfig returns in a pod, but for this server:
		// the token read from its file, which is named too.
		cfg := &rest.Config{Host: c.URL, BearerToken: token, BearerTokenFile: tokenFile, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CAFile}}
		conn, err := finish(&Conn{Config: cfg, Source: "the pod's service account", Credentials: defaultCredentials(cfg)}, "")
		if err != nil {
			t.Fatal(err)
		}
		r, err := Whoami(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		if r.User.Username != saUser || !slices.Contains(r.User.Groups, "system:serviceaccounts:whoami") {
			t.Errorf("user %+v, want %s in system:serviceaccounts:whoami", r.User, saUser)
		}
		if want := fmt.Sprintf("token file %q", tokenFile); r.Credentials.Token != want || r.Credentials.Kind != "token" {
			t.Errorf("credentials %+v, want kind token from %s", r.Credentials, want)
		}
		if r.User.Extra["authentication.kubernetes.io/credential-id"] == nil {
			t.Errorf("extra %v, want the token's credential-id", r.User.Extra)
		}
		noToken(t, r)
	})

	t.Run("api_server with authorization.credentials_file", func(t *testing.T) {
		sd := sdConfig(t, fmt.Sprintf(`{role: node, api_server: %q, tls_config: {ca_file: %q}, authorization: {credentials_file: %q}}`, c.URL, c.CAFile, tokenFile))
		conns, err := Connect(ctx, parseFlags(t), []JobSD{{Job: "nodes", SD: sd}, {Job: "nodes-again", SD: sd}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Whoami(ctx, conns[0])
		if err != nil {
			t.Fatal(err)
		}
		if r.User.Username != saUser || !slices.Equal(r.Jobs, []string{"nodes", "nodes-again"}) {
			t.Errorf("user %q, jobs %q; want %s for both jobs", r.User.Username, r.Jobs, saUser)
		}
		if want := fmt.Sprintf("authorization.credentials_file %q", tokenFile); r.Credentials.Token != want {
			t.Errorf("token from %q, want %q", r.Credentials.Token, want)
		}
		noToken(t, r)
	})

	t.Run("impersonation without the permission", func(t *testing.T) {
		cert, key := c.ClientCert(t, "whoami-noimp", "whoami:noimp")
		conns, err := Connect(ctx, parseFlags(t, "--server", c.URL, "--certificate-authority", c.CAFile,
			"--client-certificate", cert, "--client-key", key, "--as", "alice"), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Whoami(ctx, conns[0])
		// The server's own words sit in the middle; they differ between
		// Kubernetes versions and impersonation modes.
		for _, want := range []string{
			`asking who we are, with the connection flags: impersonating user "alice": `,
			`User "whoami-noimp" cannot impersonate`,
			`(impersonation needs the impersonate verb on users and groups, which User "whoami-noimp" lacks)`,
		} {
			if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error = %v\nwant one line containing %s", err, want)
			}
		}
	})
}
