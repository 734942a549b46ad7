package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sdinspect/sdinspect/certreq"
	"github.com/sdinspect/sdinspect/internal/testcluster"
)

// The permissions of someone who asks for certificates and waits for them,
// and of someone who may also approve them.
var (
	csrRequesterRules = []rbacv1.PolicyRule{
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"create", "get"}},
	}
	csrApproverRules = []rbacv1.PolicyRule{
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests/approval"}, Verbs: []string{"update"}},
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"signers"}, ResourceNames: []string{"kubernetes.io/kube-apiserver-client"}, Verbs: []string{"approve"}},
	}
)

// csrClientAs returns a CSRClient authenticating as user in group, which
// is granted rules.
func csrClientAs(t *testing.T, c *testcluster.Cluster, user, group string, rules ...[]rbacv1.PolicyRule) *CSRClient {
	t.Helper()
	for _, r := range rules {
		c.Grant(t, group, r...)
	}
	cert, key := c.ClientCert(t, user, group)
	cfg := c.UserConfig(cert, key)
	client, err := NewCSRClient(&Conn{Config: cfg, Source: "test", Credentials: credentialsOf(cfg)})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// csrTestRequest returns a new request for user in groups, named name.
func csrTestRequest(t *testing.T, name, user string, groups ...string) *certificatesv1.CertificateSigningRequest {
	t.Helper()
	key, err := certreq.NewKey(certreq.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	request, err := certreq.New(key, user, groups)
	if err != nil {
		t.Fatal(err)
	}
	return NewCSR(name, request, time.Hour)
}

func csrAdmin(t *testing.T, c *testcluster.Cluster) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestCSRSubmitApproveWait goes the whole way on the real API server:
// submit, approve, the signer's certificate.
func TestCSRSubmitApproveWait(t *testing.T) {
	c := live.Get(t)
	client := csrClientAs(t, c, "csr-approver", "csr-approvers", csrRequesterRules, csrApproverRules)
	csr := csrTestRequest(t, "csr-live-approved", "csr-new-user", "csr-team")
	created, err := client.Submit(t.Context(), csr)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := csrAdmin(t, c).CertificatesV1().CertificateSigningRequests().Get(t.Context(), csr.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stored.Spec.SignerName != CSRSignerName || *stored.Spec.ExpirationSeconds != 3600 ||
		len(stored.Spec.Usages) != 1 || stored.Spec.Usages[0] != certificatesv1.UsageClientAuth || stored.Spec.Username != "csr-approver" {
		t.Errorf("stored spec: signer %q, expirationSeconds %d, usages %v, requested by %q", stored.Spec.SignerName, *stored.Spec.ExpirationSeconds, stored.Spec.Usages, stored.Spec.Username)
	}
	if _, err := client.Submit(t.Context(), csr); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("second submission: error %v, want one saying it exists", err)
	}
	if err := client.Approve(t.Context(), created); err != nil {
		t.Fatal(err)
	}
	var progress []string
	done := make(chan error, 1)
	var cert []byte
	go func() {
		var err error
		cert, err = client.Wait(t.Context(), csr.Name, time.Minute, func(msg string) { progress = append(progress, msg) })
		done <- err
	}()
	signed := c.SignCSR(t, csr.Name)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if string(cert) != string(signed) {
		t.Error("Wait returned another certificate than the signer issued")
	}
	stored, err = csrAdmin(t, c).CertificatesV1().CertificateSigningRequests().Get(t.Context(), csr.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cond := csrCondition(stored, certificatesv1.CertificateApproved); cond == nil || cond.Reason != csrApproveReason {
		t.Errorf("conditions %+v, want Approved with reason %s", stored.Status.Conditions, csrApproveReason)
	}
	for _, msg := range progress {
		if strings.Contains(msg, "to be approved") {
			t.Errorf("an approved request was reported waiting for approval: %q", msg)
		}
	}
}

// TestCSRApproveRefused names exactly the permissions missing.
func TestCSRApproveRefused(t *testing.T) {
	c := live.Get(t)
	tests := []struct {
		name        string
		rules       []rbacv1.PolicyRule
		wantMissing string
	}{
		{name: "create only", wantMissing: `missing approve on signers "kubernetes.io/kube-apiserver-client" and update on certificatesigningrequests/approval`},
		{name: "may update approvals but not for the signer", rules: csrApproverRules[:1], wantMissing: `missing approve on signers "kubernetes.io/kube-apiserver-client" (`},
		{name: "may approve for the signer but not update", rules: csrApproverRules[1:], wantMissing: "missing update on certificatesigningrequests/approval ("},
		{name: "the signer's domain wildcard is enough", rules: []rbacv1.PolicyRule{csrApproverRules[0],
			{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"signers"}, ResourceNames: []string{"kubernetes.io/*"}, Verbs: []string{"approve"}}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, group := "csr-refused-"+string(rune('a'+i)), "csr-refused-group-"+string(rune('a'+i))
			rules := [][]rbacv1.PolicyRule{{{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"create"}}}}
			if tt.rules != nil {
				rules = append(rules, tt.rules)
			}
			client := csrClientAs(t, c, user, group, rules...)
			created, err := client.Submit(t.Context(), csrTestRequest(t, "csr-live-"+user, user))
			if err != nil {
				t.Fatal(err)
			}
			err = client.Approve(t.Context(), created)
			if tt.wantMissing == "" {
				if err != nil {
					t.Fatalf("approval refused: %v", err)
				}
				return
			}
			t.Logf("refused: %v", err)
			for _, want := range []string{tt.wantMissing, `User "` + user + `" (groups ` + group + `)`, "kubectl certificate approve csr-live-" + user} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want one containing %q", err, want)
				}
			}
		})
	}
}

// TestCSRWaitEnds covers the ways a wait ends without a certificate.
func TestCSRWaitEnds(t *testing.T) {
	c := live.Get(t)
	client := csrClientAs(t, c, "csr-waiter", "csr-waiters", csrRequesterRules)
	admin := csrAdmin(t, c).CertificatesV1().CertificateSigningRequests()
	condition := func(typ certificatesv1.RequestConditionType, reason, message string) func(*testing.T, string) {
		return func(t *testing.T, name string) {
			csr, err := admin.Get(t.Context(), name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
				Type: typ, Status: corev1.ConditionTrue, Reason: reason, Message: message,
			})
			if typ == certificatesv1.CertificateFailed {
				_, err = admin.UpdateStatus(t.Context(), csr, metav1.UpdateOptions{})
			} else {
				_, err = admin.UpdateApproval(t.Context(), name, csr, metav1.UpdateOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name         string
		do           func(*testing.T, string)
		wantErr      string
		wantProgress []string
	}{
		{name: "denied", do: condition(certificatesv1.CertificateDenied, "NotAllowed", "ask the\nplatform team"), wantErr: `was denied (NotAllowed: ask the platform team)`},
		{name: "failed", do: func(t *testing.T, name string) {
			condition(certificatesv1.CertificateApproved, "Test", "")(t, name)
			condition(certificatesv1.CertificateFailed, "SignerValidationFailure", "invalid usage")(t, name)
		}, wantErr: `signing CertificateSigningRequest "csr-live-failed" failed (SignerValidationFailure: invalid usage)`},
		{name: "never approved", wantErr: `was not approved within 1s; an admin can approve it with: kubectl certificate approve csr-live-never-approved`,
			wantProgress: []string{"to be approved"}},
		{name: "approved, never signed", do: condition(certificatesv1.CertificateApproved, "Test", ""),
			wantErr:      `was approved but no certificate was issued within 1s: nothing on this cluster signs for "kubernetes.io/kube-apiserver-client"`,
			wantProgress: []string{"is approved; waiting for the signer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "csr-live-" + strings.ReplaceAll(strings.ReplaceAll(tt.name, " ", "-"), ",", "")
			if _, err := client.Submit(t.Context(), csrTestRequest(t, name, "csr-waited")); err != nil {
				t.Fatal(err)
			}
			if tt.do != nil {
				tt.do(t, name)
			}
			var progress []string
			_, err := client.Wait(t.Context(), name, time.Second, func(msg string) { progress = append(progress, msg) })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
			if len(progress) != len(tt.wantProgress) {
				t.Fatalf("progress %q, want %d messages", progress, len(tt.wantProgress))
			}
			for i, want := range tt.wantProgress {
				if !strings.Contains(progress[i], want) {
					t.Errorf("progress %q, want %q", progress[i], want)
				}
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := client.Wait(ctx, "csr-live-never-approved", time.Minute, nil); err == nil || strings.Contains(err.Error(), "within") {
			t.Errorf("error %v, want a cancellation, not a timeout", err)
		}
	})
}
