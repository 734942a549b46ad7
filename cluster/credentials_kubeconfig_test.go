package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// TestKubeconfigCredentials names the context, the user and where a token
// comes from, for every way a kubeconfig and the flags give one.
func TestKubeconfigCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pki := newPKI(t, "kube")
	cert, key := pki.validClient(t, "ci")
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("file-token-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "config")
	if err := os.WriteFile(kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443", certificate-authority: %q}}]
users:
- {name: inline, user: {token: inline-token-secret}}
- {name: filed, user: {tokenFile: %q}}
- {name: cert, user: {client-certificate: %q, client-key: %q}}
- {name: plugin, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: aws-iam-authenticator, interactiveMode: Never}}}
contexts:
- {name: inline, context: {cluster: c, user: inline}}
- {name: filed, context: {cluster: c, user: filed}}
- {name: cert, context: {cluster: c, user: cert}}
- {name: plugin, context: {cluster: c, user: plugin}}
current-context: inline
`, pki.CAFile, tokenFile, cert, key)), 0o600); err != nil {
		t.Fatal(err)
	}
	inKubeconfig := func(user string) string { return fmt.Sprintf("user %q in kubeconfig %q", user, kubeconfig) }

	tests := []struct {
		name      string
		overrides clientcmd.ConfigOverrides
		want      Credentials
	}{
		{name: "current context, inline token",
			want: Credentials{Server: "https://10.0.0.1:6443", CAFile: pki.CAFile, Token: true, Context: "inline",
				TokenSource: inKubeconfig("inline")}},
		{name: "token file",
			overrides: clientcmd.ConfigOverrides{CurrentContext: "filed"},
			want: Credentials{Server: "https://10.0.0.1:6443", CAFile: pki.CAFile, Token: true, Context: "filed", TokenFile: tokenFile,
				TokenSource: fmt.Sprintf("token file %q of %s", tokenFile, inKubeconfig("filed"))}},
		{name: "client certificate",
			overrides: clientcmd.ConfigOverrides{CurrentContext: "cert"},
			want:      Credentials{Server: "https://10.0.0.1:6443", CAFile: pki.CAFile, Context: "cert", CertFile: cert, KeyFile: key}},
		{name: "exec plugin",
			overrides: clientcmd.ConfigOverrides{CurrentContext: "plugin"},
			want: Credentials{Server: "https://10.0.0.1:6443", CAFile: pki.CAFile, Token: true, Context: "plugin",
				TokenSource: fmt.Sprintf(`the exec plugin "aws-iam-authenticator" of %s`, inKubeconfig("plugin"))}},
		{name: "--token flag",
			overrides: clientcmd.ConfigOverrides{AuthInfo: clientcmdapi.AuthInfo{Token: "flag-token-secret"}},
			want: Credentials{Server: "https://10.0.0.1:6443", CAFile: pki.CAFile, Token: true, Context: "inline",
				TokenSource: "the --token flag"}},
		{name: "--user flag",
			overrides: clientcmd.ConfigOverrides{Context: clientcmdapi.Context{AuthInfo: "filed"}},
			want: Credentials{Server: "https://10.0.0.1:6443", CAFile: pki.CAFile, Token: true, Context: "inline", TokenFile: tokenFile,
				TokenSource: fmt.Sprintf("token file %q of %s", tokenFile, inKubeconfig("filed"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}, &tt.overrides)
			cfg, err := loader.ClientConfig()
			if err != nil {
				t.Fatal(err)
			}
			got := kubeconfigCredentials(cfg, loader, &tt.overrides)
			if diff := cmp.Diff(tt.want, *got, cmp.FilterPath(func(p cmp.Path) bool {
				return strings.Contains(p.String(), "Data") || strings.HasPrefix(p.String(), "kube")
			}, cmp.Ignore()), cmp.AllowUnexported(Credentials{})); diff != "" {
				t.Errorf("kubeconfigCredentials() (-want +got):\n%s", diff)
			}
			if strings.Contains(fmt.Sprintf("%+v", *got), "-secret") {
				t.Errorf("the credentials hold a token: %+v", *got)
			}
		})
	}

	t.Run("kubeconfig_file", func(t *testing.T) {
		t.Parallel()
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		got := kubeconfigFileCredentials(cfg, kubeconfig)
		if got.Context != "inline" || got.TokenSource != inKubeconfig("inline") || got.kubeUser != "inline" || got.kubeFile != kubeconfig {
			t.Errorf("kubeconfigFileCredentials() = %+v, want context, user and file named", *got)
		}
	})
}
