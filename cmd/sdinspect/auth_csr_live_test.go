package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/sdinspect/sdinspect/certreq"
	"github.com/sdinspect/sdinspect/internal/testcluster"
)

// The permissions to ask for certificates and wait for them, and to
// approve them for the API server's client signer.
var (
	csrRequestRules = []rbacv1.PolicyRule{
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"create", "get"}},
	}
	csrApproveRules = []rbacv1.PolicyRule{
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests/approval"}, Verbs: []string{"update"}},
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"signers"}, ResourceNames: []string{"kubernetes.io/kube-apiserver-client"}, Verbs: []string{"approve"}},
	}
)

// csrLive is the real API server of TestAuthCSRLive and its admin client.
type csrLive struct {
	c     *testcluster.Cluster
	admin kubernetes.Interface
}

// connAs returns connection flags authenticating as user in group, which
// is granted rules.
func (l csrLive) connAs(t *testing.T, user, group string, rules ...[]rbacv1.PolicyRule) []string {
	t.Helper()
	for _, r := range rules {
		l.c.Grant(t, group, r...)
	}
	cert, key := l.c.ClientCert(t, user, group)
	return []string{"--server", l.c.URL, "--certificate-authority", l.c.CAFile, "--client-certificate", cert, "--client-key", key}
}

// csrRun is a run of the CLI in the background, while the test plays the
// cluster's approver or signer.
type csrRun struct {
	done                 chan struct{}
	code                 int
	stdout, stderr, name string
}

func startCSRRun(t *testing.T, args ...string) *csrRun {
	r := &csrRun{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.code, r.stdout, r.stderr = runCLI(t, args...)
	}()
	return r
}

func (r *csrRun) wait() *csrRun { <-r.done; return r }

// TestAuthCSRLive runs auth csr --submit against a real kube-apiserver.
// No kube-controller-manager runs there, so the test signs approved
// requests with testcluster's SignCSR, which issues them as the
// kube-apiserver-client signer does.
func TestAuthCSRLive(t *testing.T) {
	c := testcluster.Start(t)
	admin, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	l := csrLive{c: c, admin: admin}

	t.Run("submit, approve, signed, kubeconfig", func(t *testing.T) {
		conn := l.connAs(t, "csr-admin", "csr-admins", csrRequestRules, csrApproveRules)
		dir := t.TempDir()
		run := startCSRRun(t, append([]string{"auth", "csr", "--user", "alice", "--group", "team-b", "--group", "a",
			"--out", dir, "--submit", "--approve", "--name", "alice-live", "--duration", "1h", "--timeout", "30s"}, conn...)...)
		signed := c.SignCSR(t, "alice-live")
		if run.wait().code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", run.code, run.stderr)
		}
		t.Logf("stdout:\n%s", run.stdout)
		csr, err := admin.CertificatesV1().CertificateSigningRequests().Get(t.Context(), "alice-live", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		request, _ := os.ReadFile(filepath.Join(dir, "alice.csr"))
		if csr.Spec.SignerName != "kubernetes.io/kube-apiserver-client" || *csr.Spec.ExpirationSeconds != 3600 ||
			!slices.Equal(csr.Spec.Usages, []certificatesv1.KeyUsage{"client auth"}) || string(csr.Spec.Request) != string(request) {
			t.Errorf("submitted spec: signer %q, expirationSeconds %d, usages %v, request from the file %v",
				csr.Spec.SignerName, *csr.Spec.ExpirationSeconds, csr.Spec.Usages, string(csr.Spec.Request) == string(request))
		}
		if i := slices.IndexFunc(csr.Status.Conditions, func(c certificatesv1.CertificateSigningRequestCondition) bool {
			return c.Type == certificatesv1.CertificateApproved && c.Reason == "SdinspectApprove"
		}); i < 0 {
			t.Errorf("not approved by sdinspect: %+v", csr.Status.Conditions)
		}
		crt, err := os.ReadFile(filepath.Join(dir, "alice.crt"))
		if err != nil || string(crt) != string(signed) {
			t.Fatalf("alice.crt is not the issued certificate (%v)", err)
		}
		f := readCSRFiles(t, dir, "alice")
		cert, err := certreq.Check(crt, f.key, "alice", []string{"team-b", "a"})
		if err != nil {
			t.Fatal(err)
		}
		if lifetime := time.Until(cert.NotAfter); lifetime < 55*time.Minute || lifetime > time.Hour {
			t.Errorf("lifetime %v, want the hour asked for", lifetime)
		}
		kubeconfig := filepath.Join(dir, "alice.kubeconfig")
		for _, file := range []string{"alice.crt", "alice.kubeconfig"} {
			checkCSRMode(t, filepath.Join(dir, file))
		}
		checkKubeconfigIdentity(t, kubeconfig, "alice", "team-b", "a")
		checkNoKeyMaterial(t, f.keyPEM, run.stdout, run.stderr)
		// Progress goes to stderr; stdout has only what a finished run made.
		for _, want := range []string{`submitted CertificateSigningRequest "alice-live"`, `approved CertificateSigningRequest "alice-live"`} {
			if !strings.Contains(run.stderr, want) || strings.Contains(run.stdout, want) {
				t.Errorf("%q is not on stderr only", want)
			}
		}
		for _, want := range []string{"wrote " + kubeconfig, "next: sdinspect auth whoami --kubeconfig " + kubeconfig} {
			if !strings.Contains(run.stdout, want) {
				t.Errorf("stdout lacks %q", want)
			}
		}
	})

	t.Run("an admin approves", func(t *testing.T) {
		conn := l.connAs(t, "csr-requester", "csr-requesters", csrRequestRules)
		dir := t.TempDir()
		run := startCSRRun(t, append([]string{"auth", "csr", "--user", "bob", "--group", "ops", "--out", dir, "--submit", "--key-type", "rsa", "--timeout", "30s"}, conn...)...)
		name := l.approveFirst(t, "bob-")
		c.SignCSR(t, name)
		if run.wait().code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", run.code, run.stderr)
		}
		f := readCSRFiles(t, dir, "bob")
		if !regexp.MustCompile(`^bob-[0-9a-f]{8}$`).MatchString(name) {
			t.Errorf("default name %q, want bob-<hash>", name)
		}
		if !strings.Contains(run.stderr, "waiting for CertificateSigningRequest "+`"`+name+`" to be approved; an admin can run: kubectl certificate approve `+name) {
			t.Errorf("stderr does not say what it waits for:\n%s", run.stderr)
		}
		checkKubeconfigIdentity(t, filepath.Join(dir, "bob.kubeconfig"), "bob", "ops")
		checkNoKeyMaterial(t, f.keyPEM, run.stdout, run.stderr)
	})

	t.Run("approve refused", func(t *testing.T) {
		create := []rbacv1.PolicyRule{{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"create"}}}
		conn := l.connAs(t, "csr-create-only", "csr-creators", create)
		dir := t.TempDir()
		code, stdout, stderr := runCLI(t, append([]string{"auth", "csr", "--user", "carol", "--out", dir, "--submit", "--approve", "--name", "carol-live"}, conn...)...)
		t.Logf("refused: %s", stderr)
		want := `sdinspect: approving CertificateSigningRequest "carol-live": User "csr-create-only" (groups csr-creators) may not approve it: ` +
			`missing approve on signers "kubernetes.io/kube-apiserver-client" and update on certificatesigningrequests/approval (API group certificates.k8s.io); ` +
			"an admin must run: kubectl certificate approve carol-live\n"
		if code != exitFailed || !strings.HasSuffix(stderr, "\n"+want) || stdout != "" {
			t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 1, no stdout, and stderr ending in:\n%s", code, stdout, stderr, want)
		}
		checkCSRDir(t, dir, "carol")
		checkNoKeyMaterial(t, readCSRFiles(t, dir, "carol").keyPEM, stdout, stderr)
	})

	t.Run("nothing signs", func(t *testing.T) {
		conn := l.connAs(t, "csr-admin-2", "csr-admins-2", csrRequestRules, csrApproveRules)
		dir := t.TempDir()
		code, _, stderr := runCLI(t, append([]string{"auth", "csr", "--user", "dave", "--out", dir, "--submit", "--approve", "--name", "dave-live", "--timeout", "2s"}, conn...)...)
		want := `CertificateSigningRequest "dave-live" was approved but no certificate was issued within 2s: nothing on this cluster signs for "kubernetes.io/kube-apiserver-client"`
		if code != exitFailed || !strings.Contains(stderr, want) || strings.Count(stderr, "sdinspect: ") != 2 {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 1, one progress note and an error containing:\n%s", code, stderr, want)
		}
		checkCSRDir(t, dir, "dave")
	})

	t.Run("denied", func(t *testing.T) {
		conn := l.connAs(t, "csr-requester-2", "csr-requesters-2", csrRequestRules)
		dir := t.TempDir()
		run := startCSRRun(t, append([]string{"auth", "csr", "--user", "erin", "--out", dir, "--submit", "--name", "erin-live", "--timeout", "30s"}, conn...)...)
		l.decide(t, "erin-live", certificatesv1.CertificateDenied)
		run.wait()
		if want := `sdinspect: CertificateSigningRequest "erin-live" was denied (NotForYou: ask the platform team)` + "\n"; run.code != exitFailed || !strings.HasSuffix(run.stderr, want) {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and, last:\n%s", run.code, run.stderr, want)
		}
		checkCSRDir(t, dir, "erin")
	})

	t.Run("the printed request is what --submit sends", func(t *testing.T) {
		dir := t.TempDir()
		code, stdout, stderr := runCLI(t, "auth", "csr", "--user", "frank", "--group", "ops", "--out", dir, "--name", "frank-live", "--duration", "2h")
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		// What kubectl apply -f - would do with it.
		var obj certificatesv1.CertificateSigningRequest
		if err := yaml.UnmarshalStrict([]byte(stdout), &obj); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CertificatesV1().CertificateSigningRequests().Create(t.Context(), &obj, metav1.CreateOptions{}); err != nil {
			t.Fatalf("the API server refuses the printed request: %v", err)
		}
		l.decide(t, "frank-live", certificatesv1.CertificateApproved)
		crt := c.SignCSR(t, "frank-live")
		if _, err := certreq.Check(crt, readCSRFiles(t, dir, "frank").key, "frank", []string{"ops"}); err != nil {
			t.Error(err)
		}
	})
}

// approveFirst waits for a request whose name starts with prefix, approves
// it as an admin and returns its name.
func (l csrLive) approveFirst(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		list, err := l.admin.CertificatesV1().CertificateSigningRequests().List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, csr := range list.Items {
			if strings.HasPrefix(csr.Name, prefix) {
				l.decide(t, csr.Name, certificatesv1.CertificateApproved)
				return csr.Name
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no CertificateSigningRequest %s... was submitted", prefix)
	return ""
}

// decide approves or denies the request name as an admin, once it exists.
func (l csrLive) decide(t *testing.T, name string, decision certificatesv1.RequestConditionType) {
	t.Helper()
	csrs := l.admin.CertificatesV1().CertificateSigningRequests()
	deadline := time.Now().Add(30 * time.Second)
	for {
		csr, err := csrs.Get(t.Context(), name, metav1.GetOptions{})
		if err == nil {
			csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
				Type: decision, Status: corev1.ConditionTrue, Reason: "NotForYou", Message: "ask the platform team",
			})
			if _, err := csrs.UpdateApproval(t.Context(), name, csr, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CertificateSigningRequest %q: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkCSRDir fails t unless dir holds the key and request of user and
// nothing else: no certificate, kubeconfig or temporary file.
func checkCSRDir(t *testing.T, dir, user string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{user + ".csr", user + ".key"}; !slices.Equal(names, want) {
		t.Errorf("directory holds %q, want %q", names, want)
	}
}

// checkKubeconfigIdentity authenticates with kubeconfig and checks that the
// API server sees user in groups. Their order is not compared: the signer
// re-encodes the subject with crypto/x509, which sorts several O values,
// as kube-controller-manager's does.
func checkKubeconfigIdentity(t *testing.T, kubeconfig, user string, groups ...string) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(t.Context(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("authenticating with %s: %v", kubeconfig, err)
	}
	info := review.Status.UserInfo
	want := append(slices.Sorted(slices.Values(groups)), "system:authenticated")
	if info.Username != user || !slices.Equal(slices.Sorted(slices.Values(info.Groups)), slices.Sorted(slices.Values(want))) {
		t.Errorf("the kubeconfig authenticates as %q in %q, want %q in %q", info.Username, info.Groups, user, want)
	}
}
