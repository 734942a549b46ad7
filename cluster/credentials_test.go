package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCredentialsCheck(t *testing.T) {
	t.Parallel()
	pki := newPKI(t, "ca")
	now := time.Now()
	good, goodKey := pki.validClient(t, "ci", "system:ci")
	_, otherKey := pki.validClient(t, "other")
	otherKeyPEM, err := os.ReadFile(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	expired, expiredKey := pki.clientFiles(t, "old", []string{"ops"}, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	future, futureKey := pki.clientFiles(t, "new", nil, now.Add(24*time.Hour), now.Add(48*time.Hour))
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.key")
	goodPEM, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	goodKeyPEM, err := os.ReadFile(goodKey)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		creds *Credentials
		want  string // "" means no error
	}{
		{name: "nil", creds: nil},
		{name: "no client certificate", creds: &Credentials{CAFile: pki.CAFile}},
		{name: "valid", creds: &Credentials{CAFile: pki.CAFile, CertFile: good, KeyFile: goodKey}},
		{name: "valid inline", creds: &Credentials{certData: goodPEM, keyData: goodKeyPEM}},
		{name: "expired", creds: &Credentials{CertFile: expired, KeyFile: expiredKey},
			want: fmt.Sprintf(`client certificate %q (CN=old, O=ops) expired at %s, 1 day ago: the API server refuses it; get a new one signed by the cluster's CA (sdinspect auth csr)`,
				expired, now.Add(-24*time.Hour).UTC().Format("2006-01-02 15:04:05 MST"))},
		{name: "not yet valid", creds: &Credentials{CertFile: future, KeyFile: futureKey},
			want: fmt.Sprintf(`client certificate %q (CN=new) is not yet valid: it is valid from %s, in 1 day; the API server refuses it until then (is this machine's clock right?)`,
				future, now.Add(24*time.Hour).UTC().Format("2006-01-02 15:04:05 MST"))},
		{name: "key of another certificate", creds: &Credentials{CertFile: good, KeyFile: otherKey},
			want: fmt.Sprintf(`client certificate %q (CN=ci, O=system:ci) and client key %q do not belong together: the key is not the certificate's private key`, good, otherKey)},
		{name: "inline key of another certificate from a kubeconfig", creds: &Credentials{certData: goodPEM, keyData: otherKeyPEM, kubeUser: "ci", kubeFile: "/home/me/.kube/config"},
			want: `the client certificate of user "ci" in kubeconfig "/home/me/.kube/config" (CN=ci, O=system:ci) and the client key of user "ci" in kubeconfig "/home/me/.kube/config" do not belong together: the key is not the certificate's private key`},
		{name: "missing key", creds: &Credentials{CertFile: good, KeyFile: missing},
			want: fmt.Sprintf(`reading client key %q: no such file or directory`, missing)},
		{name: "certificate file holds no certificate", creds: &Credentials{CertFile: garbage, KeyFile: goodKey},
			want: fmt.Sprintf(`client certificate %q holds no PEM certificate`, garbage)},
		{name: "key file holds no key", creds: &Credentials{CertFile: good, KeyFile: garbage},
			want: fmt.Sprintf(`client key %q holds no usable PEM private key: tls: failed to find any PEM data in key input`, garbage)},
		{name: "CA file holds no certificate", creds: &Credentials{CAFile: garbage},
			want: fmt.Sprintf(`CA file %q holds no PEM certificate`, garbage)},
		{name: "missing CA file", creds: &Credentials{CAFile: missing},
			want: fmt.Sprintf(`reading CA file %q: no such file or directory`, missing)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.creds.checkAt(now)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("check() = %v, want no error", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("check() = %v\nwant       %s", err, tt.want)
			}
			if err != nil && strings.ContainsAny(err.Error(), "\n") {
				t.Errorf("check() error spans lines: %q", err)
			}
		})
	}
}
