package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func TestWhoamiCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   rest.Config
		creds Credentials
		want  WhoamiCredentials
	}{
		{name: "nothing", want: WhoamiCredentials{Kind: "none"}},
		{name: "certificate files",
			creds: Credentials{CAFile: "/ca.crt", CertFile: "/ci.crt", KeyFile: "/ci.key"},
			want:  WhoamiCredentials{Kind: "client-certificate", ClientCertificate: "/ci.crt", ClientKey: "/ci.key", CA: "/ca.crt"}},
		{name: "inline certificate of a kubeconfig user",
			creds: Credentials{caData: []byte("ca"), certData: []byte("cert"), keyData: []byte("key"), kubeUser: "admin", kubeFile: "/kc", Context: "prod"},
			want: WhoamiCredentials{Kind: "client-certificate", ClientCertificate: "inline", ClientKey: "inline", CA: "inline",
				Kubeconfig: "/kc", KubeconfigUser: "admin", Context: "prod"}},
		{name: "token of a flag",
			cfg:   rest.Config{BearerToken: "secret"},
			creds: Credentials{Token: true, TokenSource: "the --token flag", Insecure: true},
			want:  WhoamiCredentials{Kind: "token", Token: "the --token flag", InsecureSkipTLSVerify: true}},
		{name: "token of unknown origin",
			creds: Credentials{Token: true},
			want:  WhoamiCredentials{Kind: "token", Token: "the client configuration"}},
		{name: "certificate and token",
			creds: Credentials{CertFile: "/ci.crt", KeyFile: "/ci.key", Token: true, TokenSource: `token file "/t"`, TokenFile: "/t"},
			want:  WhoamiCredentials{Kind: "client-certificate+token", ClientCertificate: "/ci.crt", ClientKey: "/ci.key", Token: `token file "/t"`}},
		{name: "exec plugin",
			cfg:   rest.Config{ExecProvider: &clientcmdapi.ExecConfig{Command: "aws"}},
			creds: Credentials{Token: true, TokenSource: `the exec plugin "aws" of user "u"`},
			want:  WhoamiCredentials{Kind: "exec", Token: `the exec plugin "aws" of user "u"`}},
		{name: "basic auth",
			cfg:  rest.Config{Username: "admin", Password: "secret"},
			want: WhoamiCredentials{Kind: "basic"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, whoamiCredentials(&tt.cfg, &tt.creds)); diff != "" {
				t.Errorf("whoamiCredentials() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientCertInfo(t *testing.T) {
	t.Parallel()
	ours, theirs := newPKI(t, "ours"), newPKI(t, "theirs")
	now := time.Now().Truncate(time.Second)
	valid, _ := ours.clientFiles(t, "ci", []string{"ops", "system:ci"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	soon, _ := ours.clientFiles(t, "soon", nil, now.Add(-time.Hour), now.Add(12*24*time.Hour))
	expired, _ := ours.clientFiles(t, "old", nil, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	at := func(t time.Time) string { return t.UTC().Format(certTimeLayout) }

	tests := []struct {
		name         string
		creds        Credentials
		wantVerified bool
		wantReason   string
		wantWarnings []string
	}{
		{name: "verified by the CA given", creds: Credentials{CAFile: ours.CAFile, CertFile: valid}, wantVerified: true},
		{name: "another CA given", creds: Credentials{CAFile: theirs.CAFile, CertFile: valid},
			wantReason: fmt.Sprintf(`the CA in %q does not verify it: x509: certificate signed by unknown authority`, theirs.CAFile)},
		{name: "no CA given", creds: Credentials{CertFile: valid},
			wantReason: "no CA was given (--certificate-authority, the kubeconfig's certificate-authority, tls_config.ca_file) to check it against"},
		{name: "expires within 30 days", creds: Credentials{CAFile: ours.CAFile, CertFile: soon}, wantVerified: true,
			wantWarnings: []string{fmt.Sprintf(`client certificate %q (CN=soon) expires in 12 days, at %s: get a new one before then (sdinspect auth csr)`, soon, at(now.Add(12*24*time.Hour)))}},
		{name: "expired", creds: Credentials{CAFile: ours.CAFile, CertFile: expired},
			wantReason: fmt.Sprintf(`the CA in %q does not verify it: x509: certificate has expired or is not yet valid: current time %s is after %s`,
				ours.CAFile, now.UTC().Format(time.RFC3339), now.Add(-24*time.Hour).UTC().Format(time.RFC3339)),
			wantWarnings: []string{fmt.Sprintf(`client certificate %q (CN=old) expired at %s, 1 day ago: the API server refuses it; get a new one signed by the cluster's CA (sdinspect auth csr)`, expired, at(now.Add(-24*time.Hour)))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			info, warnings, err := tt.creds.clientCertInfo(now)
			if err != nil {
				t.Fatal(err)
			}
			if info.Verified != tt.wantVerified || info.Reason != tt.wantReason {
				t.Errorf("verified %v, reason %q\nwant     %v, reason %q", info.Verified, info.Reason, tt.wantVerified, tt.wantReason)
			}
			if diff := cmp.Diff(tt.wantWarnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if info.File != tt.creds.CertFile || info.Issuer != "CN=ours" || info.Serial == "" || info.NotBefore.Location() != time.UTC {
				t.Errorf("info = %+v, want the file, issuer CN=ours, a serial and UTC times", info)
			}
		})
	}

	t.Run("subject", func(t *testing.T) {
		t.Parallel()
		info, _, err := (&Credentials{CertFile: valid}).clientCertInfo(now)
		if err != nil {
			t.Fatal(err)
		}
		want := ClientCertInfo{File: valid, Subject: "CN=ci, O=ops, O=system:ci", CommonName: "ci", Organizations: []string{"ops", "system:ci"},
			Issuer: "CN=ours", Serial: info.Serial, NotBefore: now.Add(-time.Hour).UTC(), NotAfter: now.Add(90 * 24 * time.Hour).UTC(), Reason: info.Reason}
		if diff := cmp.Diff(want, *info); diff != "" {
			t.Errorf("clientCertInfo() (-want +got):\n%s", diff)
		}
	})
}

func TestDescribeImpersonation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		user WhoamiUser
		want string
	}{
		{name: "user", user: WhoamiUser{Username: "alice"}, want: `user "alice"`},
		{name: "user and groups", user: WhoamiUser{Username: "alice", Groups: []string{"a", "b"}}, want: `user "alice", groups a, b`},
		{name: "uid", user: WhoamiUser{Username: "alice", UID: "42"}, want: `user "alice", uid "42"`},
		{name: "extra only", user: WhoamiUser{Extra: map[string][]string{"k": {"v"}}}, want: "extra attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := describeImpersonation(&tt.user); got != tt.want {
				t.Errorf("describeImpersonation() = %q, want %q", got, tt.want)
			}
		})
	}
}
