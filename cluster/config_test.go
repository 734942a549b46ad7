package cluster

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/fakeapi"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

func TestBindFlags(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.Bool("other", false, "a flag of the command")
	f := BindFlags(fs)
	for _, name := range []string{"kubeconfig", "context", "cluster", "user", "server", "client-certificate", "client-key",
		"certificate-authority", "token", "insecure-skip-tls-verify", "tls-server-name", "as", "as-group", "request-timeout"} {
		if fs.Lookup(name) == nil {
			t.Errorf("flag --%s is not bound", name)
		}
	}
	if fs.Lookup("namespace") != nil || fs.ShorthandLookup("n") != nil {
		t.Errorf("--namespace/-n is bound; namespaces come from the scrape configuration")
	}
	if err := fs.Parse([]string{"--other"}); err != nil {
		t.Fatal(err)
	}
	if f.Given() {
		t.Errorf("Given() after only a command flag")
	}
	if err := fs.Parse([]string{"--context", "prod", "--as-group", "a", "--as-group", "b"}); err != nil {
		t.Fatal(err)
	}
	if !f.Given() || f.Overrides.CurrentContext != "prod" || !cmp.Equal(f.Overrides.AuthInfo.ImpersonateGroups, []string{"a", "b"}) {
		t.Errorf("after --context prod --as-group a --as-group b: Given %v, overrides %+v", f.Given(), f.Overrides)
	}
	var nilFlags *ConnFlags
	if nilFlags.Given() {
		t.Errorf("nil ConnFlags are given")
	}
}

// isolate makes the tests independent of the machine's kubeconfig and of
// running in a pod.
func isolate(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
}

// mtlsAPI serves snap over TLS, requiring a client certificate of pki.
func mtlsAPI(t *testing.T, pki *testPKI, snap *discovery.Snapshot) *httptest.Server {
	backend := fakeapi.Start(snap)
	t.Cleanup(backend.Close)
	return pki.tlsServer(t, backend.Config.Handler, true)
}

// parseFlags binds the connection flags and parses args.
func parseFlags(t *testing.T, args ...string) *ConnFlags {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f := BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f
}

// listPods connects with conn and lists the pods of all namespaces.
func listPods(conn *Conn) (*discovery.Snapshot, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	snap, _, err := List(ctx, conn.Config, []Request{{Resource: "pods"}}, ListOptions{Credentials: conn.Credentials})
	return snap, err
}

func TestConnectWithFlags(t *testing.T) {
	isolate(t)
	pki, other := newPKI(t, "cluster-ca"), newPKI(t, "other-ca")
	snap := gencluster.Generate(1, gencluster.Size{Namespaces: 1, Nodes: 1, Apps: 2})
	srv := mtlsAPI(t, pki, snap)
	cert, key := pki.validClient(t, "ci", "system:ci")
	expired, expiredKey := pki.clientFiles(t, "ci", nil, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	stranger, strangerKey := other.validClient(t, "ci")
	jobs := []JobSD{{Job: "a", SD: sdConfig(t, `role: pod`)}, {Job: "b", SD: sdConfig(t, `role: node`)}}

	kubeconfig := filepath.Join(t.TempDir(), "config")
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: srv.URL, CertificateAuthority: pki.CAFile}
	kc.AuthInfos["ci"] = &clientcmdapi.AuthInfo{ClientCertificate: cert, ClientKey: key}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "ci"}
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		args       []string
		wantSource string
		wantNote   string
		wantErr    string // of Connect, or else of List
	}{
		{
			name:       "server and certificate files without a kubeconfig",
			args:       []string{"--server", srv.URL, "--certificate-authority", pki.CAFile, "--client-certificate", cert, "--client-key", key},
			wantSource: "the connection flags",
		},
		{
			name:       "kubeconfig and context",
			args:       []string{"--kubeconfig", kubeconfig, "--context", "test"},
			wantSource: fmt.Sprintf("kubeconfig %q and the connection flags", kubeconfig),
		},
		{
			name:       "insecure",
			args:       []string{"--server", srv.URL, "--insecure-skip-tls-verify", "--client-certificate", cert, "--client-key", key},
			wantSource: "the connection flags",
			wantNote:   fmt.Sprintf("TLS verification is off for %s (--insecure-skip-tls-verify): the API server's identity is not checked", srv.URL),
		},
		{
			name:    "expired certificate",
			args:    []string{"--server", srv.URL, "--certificate-authority", pki.CAFile, "--client-certificate", expired, "--client-key", expiredKey},
			wantErr: fmt.Sprintf(`configuring the API client from the connection flags: client certificate %q (CN=ci) expired at`, expired),
		},
		{
			name:    "unknown CA",
			args:    []string{"--server", srv.URL, "--certificate-authority", other.CAFile, "--client-certificate", cert, "--client-key", key},
			wantErr: fmt.Sprintf(`listing pods in all namespaces: the certificate of the API server at %s (issued by "CN=cluster-ca") is not signed by the CA in %q`, srv.URL, other.CAFile),
		},
		{
			name:    "client certificate of another CA",
			args:    []string{"--server", srv.URL, "--certificate-authority", pki.CAFile, "--client-certificate", stranger, "--client-key", strangerKey},
			wantErr: fmt.Sprintf(`listing pods in all namespaces: the API server at %s refused client certificate %q during the TLS handshake (tls: unknown certificate authority): it is not signed by a CA the server trusts for clients`, srv.URL, stranger),
		},
		{
			name:    "missing key file",
			args:    []string{"--server", srv.URL, "--client-certificate", cert, "--client-key", cert + ".missing"},
			wantErr: fmt.Sprintf(`configuring the API client from the connection flags: reading client key %q: no such file or directory`, cert+".missing"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns, err := Connect(context.Background(), parseFlags(t, tt.args...), jobs)
			if err == nil && len(conns) == 1 {
				_, err = listPods(conns[0])
			}
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("error = %v\nwant prefix %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(conns) != 1 {
				t.Fatalf("%d connections for flags, want 1", len(conns))
			}
			c := conns[0]
			if c.Source != tt.wantSource {
				t.Errorf("Source = %q, want %q", c.Source, tt.wantSource)
			}
			if len(c.Jobs) != 2 {
				t.Errorf("connection serves %d jobs, want 2", len(c.Jobs))
			}
			var wantNotes []string
			if tt.wantNote != "" {
				wantNotes = []string{tt.wantNote}
			}
			if diff := cmp.Diff(wantNotes, c.Notes); diff != "" {
				t.Errorf("Notes (-want +got):\n%s", diff)
			}
			if c.Config.ContentType != contentTypeProtobuf || c.Config.QPS != clientQPS || c.Config.UserAgent != userAgent {
				t.Errorf("Config lacks the client settings: %+v", c.Config)
			}
		})
	}
}

func TestConnectWithSDConfig(t *testing.T) {
	isolate(t)
	pki, other := newPKI(t, "cluster-ca"), newPKI(t, "other-ca")
	snap := gencluster.Generate(2, gencluster.Size{Namespaces: 1, Nodes: 1, Apps: 2})
	srv := mtlsAPI(t, pki, snap)
	cert, key := pki.validClient(t, "ci", "system:ci")
	_, otherKey := pki.validClient(t, "other")
	expired, expiredKey := pki.clientFiles(t, "ci", nil, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))

	kubeconfig := filepath.Join(t.TempDir(), "prometheus.kubeconfig")
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: srv.URL, CertificateAuthority: pki.CAFile}
	kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{ClientCertificate: cert, ClientKey: key}
	kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	kc.CurrentContext = "c"
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		t.Fatal(err)
	}
	tlsConfig := func(ca, cert, key string) string {
		return fmt.Sprintf(`{role: pod, api_server: %q, tls_config: {ca_file: %q, cert_file: %q, key_file: %q}}`, srv.URL, ca, cert, key)
	}

	tests := []struct {
		name       string
		sd         string
		wantSource string
		wantNote   string
		wantErr    string // of Connect, or else of List
	}{
		{
			name:       "api_server with tls_config",
			sd:         tlsConfig(pki.CAFile, cert, key),
			wantSource: fmt.Sprintf("api_server %q of job \"j\"", srv.URL),
		},
		{
			name: "api_server without verification",
			sd: fmt.Sprintf(`{role: pod, api_server: %q, tls_config: {insecure_skip_verify: true, cert_file: %q, key_file: %q}}`,
				srv.URL, cert, key),
			wantSource: fmt.Sprintf("api_server %q of job \"j\"", srv.URL),
			wantNote:   fmt.Sprintf("TLS verification is off for %s (tls_config.insecure_skip_verify): the API server's identity is not checked", srv.URL),
		},
		{
			name:       "kubeconfig_file",
			sd:         fmt.Sprintf(`{role: pod, kubeconfig_file: %q}`, kubeconfig),
			wantSource: fmt.Sprintf("kubeconfig_file %q of job \"j\"", kubeconfig),
		},
		{
			name:    "key of another certificate",
			sd:      tlsConfig(pki.CAFile, cert, otherKey),
			wantErr: fmt.Sprintf(`configuring the API client from api_server %q of job "j": client certificate %q (CN=ci, O=system:ci) and client key %q do not belong together`, srv.URL, cert, otherKey),
		},
		{
			name:    "expired certificate",
			sd:      tlsConfig(pki.CAFile, expired, expiredKey),
			wantErr: fmt.Sprintf(`configuring the API client from api_server %q of job "j": client certificate %q (CN=ci) expired at`, srv.URL, expired),
		},
		{
			name:    "unknown CA",
			sd:      tlsConfig(other.CAFile, cert, key),
			wantErr: fmt.Sprintf(`listing pods in all namespaces: the certificate of the API server at %s (issued by "CN=cluster-ca") is not signed by the CA in %q`, srv.URL, other.CAFile),
		},
		{
			name:    "no client certificate",
			sd:      fmt.Sprintf(`{role: pod, api_server: %q, tls_config: {ca_file: %q}}`, srv.URL, pki.CAFile),
			wantErr: fmt.Sprintf(`listing pods in all namespaces: the API server at %s requires a client certificate and none was given`, srv.URL),
		},
		{
			name:    "in-cluster config outside a pod",
			sd:      `role: pod`,
			wantErr: `configuring the API client for job "j": the kubernetes_sd_config has neither api_server nor kubeconfig_file`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns, err := Connect(context.Background(), parseFlags(t), []JobSD{{Job: "j", SD: sdConfig(t, tt.sd)}})
			var listed *discovery.Snapshot
			if err == nil && len(conns) == 1 {
				listed, err = listPods(conns[0])
			}
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Errorf("error = %v\nwant one line starting %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(listed.Pods) != len(snap.Pods) {
				t.Errorf("listed %d pods, want %d", len(listed.Pods), len(snap.Pods))
			}
			c := conns[0]
			if c.Source != tt.wantSource {
				t.Errorf("Source = %q, want %q", c.Source, tt.wantSource)
			}
			var wantNotes []string
			if tt.wantNote != "" {
				wantNotes = []string{tt.wantNote}
			}
			if diff := cmp.Diff(wantNotes, c.Notes); diff != "" {
				t.Errorf("Notes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConnectGroupsJobs(t *testing.T) {
	isolate(t)
	kubeconfig := filepath.Join(t.TempDir(), "config")
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://10.0.0.1:6443"}
	kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	kc.CurrentContext = "c"
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kubeconfig)
	jobs := []JobSD{
		{Job: "a", SD: sdConfig(t, `{role: pod, api_server: "https://one:6443"}`)},
		{Job: "b", SD: sdConfig(t, `role: node`)},
		{Job: "c", SD: sdConfig(t, `{role: service, api_server: "https://one:6443"}`)},
		{Job: "d", SD: sdConfig(t, `{role: service, api_server: "https://one:6443", bearer_token: secret}`)},
		{Job: "e", SD: sdConfig(t, `role: endpoints`)},
	}
	conns, err := Connect(context.Background(), parseFlags(t), jobs)
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Host, Source string
		Jobs         []string
	}
	var got []summary
	for _, c := range conns {
		s := summary{Host: c.Config.Host, Source: c.Source}
		for _, j := range c.Jobs {
			s.Jobs = append(s.Jobs, j.Job)
		}
		got = append(got, s)
	}
	want := []summary{
		{Host: "https://one:6443", Source: `api_server "https://one:6443" of job "a"`, Jobs: []string{"a", "c"}},
		{Host: "https://10.0.0.1:6443", Source: fmt.Sprintf("kubeconfig %q", kubeconfig), Jobs: []string{"b", "e"}},
		{Host: "https://one:6443", Source: `api_server "https://one:6443" of job "d"`, Jobs: []string{"d"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connections (-want +got):\n%s", diff)
	}

	// Flags decide for every job.
	conns, err = Connect(context.Background(), parseFlags(t, "--server", "https://flag:6443"), jobs)
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 1 || conns[0].Config.Host != "https://flag:6443" || len(conns[0].Jobs) != len(jobs) {
		t.Errorf("with --server: %d connections, want one for all jobs", len(conns))
	}
}
