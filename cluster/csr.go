package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// CSRSignerName is the signer of the client certificates the API server
// accepts: kube-controller-manager signs for it with the cluster CA.
const CSRSignerName = certificatesv1.KubeAPIServerClientSignerName

// The lifetimes a CertificateSigningRequest may ask for in
// spec.expirationSeconds: the API refuses less than ten minutes, and the
// field is an int32 of seconds.
const (
	CSRMinDuration = 10 * time.Minute
	CSRMaxDuration = math.MaxInt32 * time.Second
)

// csrPoll is how often Wait looks at a request: approval by a person takes
// seconds at least, a signer's work milliseconds.
const csrPoll = 250 * time.Millisecond

// NewCSR returns the CertificateSigningRequest that asks CSRSignerName for
// a client certificate for request (a PEM PKCS #10 request), valid for d
// (whole seconds, from CSRMinDuration to CSRMaxDuration), usable for client
// auth only.
func NewCSR(name string, request []byte, d time.Duration) *certificatesv1.CertificateSigningRequest {
	seconds := int32(d / time.Second)
	return &certificatesv1.CertificateSigningRequest{
		TypeMeta:   metav1.TypeMeta{APIVersion: certificatesv1.SchemeGroupVersion.String(), Kind: "CertificateSigningRequest"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:           request,
			SignerName:        CSRSignerName,
			ExpirationSeconds: &seconds,
			Usages:            []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth},
		},
	}
}

// CSRName returns a name for a request of user: the user name made a DNS
// subdomain (lower case, other characters replaced by "-"), a dash, and
// eight hex digits of the request's SHA-256, so that a new key gets a new
// name and the same request the same one.
func CSRName(user string, request []byte) string {
	sum := sha256.Sum256(request)
	suffix := "-" + hex.EncodeToString(sum[:4])
	var b strings.Builder
	for _, r := range strings.ToLower(user) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	base := strings.Trim(b.String(), "-.")
	if max := 253 - len(suffix); len(base) > max {
		base = strings.TrimRight(base[:max], "-.")
	}
	// Every dot-separated part of a DNS subdomain must start and end
	// with a letter or digit, which "a..b" and "first.-x" break; without
	// dots, the trimmed name is one such part.
	if len(validation.IsDNS1123Subdomain(base+suffix)) > 0 {
		base = strings.Trim(strings.ReplaceAll(base, ".", "-"), "-")
	}
	if base == "" {
		base = "user"
	}
	return base + suffix
}

// CSRClient submits CertificateSigningRequests, approves them and waits
// for their certificates, explaining refusals in terms of the permission
// missing.
type CSRClient struct {
	cs    kubernetes.Interface
	creds *Credentials
}

// NewCSRClient returns a CSRClient for the API server of c.
func NewCSRClient(c *Conn) (*CSRClient, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, fmt.Errorf("creating a client for %s: %w", c.Source, err)
	}
	return &CSRClient{cs: cs, creds: c.Credentials}, nil
}

// Submit creates csr and returns it as the API server stored it.
func (c *CSRClient) Submit(ctx context.Context, csr *certificatesv1.CertificateSigningRequest) (*certificatesv1.CertificateSigningRequest, error) {
	created, err := c.cs.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("a CertificateSigningRequest named %q exists already: choose another name, or delete it with: kubectl delete csr %s", csr.Name, csr.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("creating CertificateSigningRequest %q: %w", csr.Name, Diagnose(err, c.creds))
	}
	return created, nil
}

// csrApproveReason is the reason an approval by sdinspect carries, as
// kubectl's carries KubectlApprove.
const csrApproveReason = "SdinspectApprove"

// Approve approves csr in the name of the client, as `kubectl certificate
// approve` does. When the API server refuses, the error names the
// permissions the client lacks, found with SelfSubjectAccessReviews, and
// the command an admin can run instead.
func (c *CSRClient) Approve(ctx context.Context, csr *certificatesv1.CertificateSigningRequest) error {
	csrs := c.cs.CertificatesV1().CertificateSigningRequests()
	current := csr
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		approved := current.DeepCopy()
		approved.Status.Conditions = append(approved.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type:           certificatesv1.CertificateApproved,
			Status:         corev1.ConditionTrue,
			Reason:         csrApproveReason,
			Message:        "approved by its requester with sdinspect auth csr --approve",
			LastUpdateTime: metav1.Now(),
		})
		_, err := csrs.UpdateApproval(ctx, csr.Name, approved, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			if latest, gerr := csrs.Get(ctx, csr.Name, metav1.GetOptions{}); gerr == nil {
				current = latest
			}
		}
		return err
	})
	if apierrors.IsForbidden(err) {
		return c.approvalRefused(ctx, csr, err)
	}
	if err != nil {
		return fmt.Errorf("approving CertificateSigningRequest %q: %w", csr.Name, Diagnose(err, c.creds))
	}
	return nil
}

// approvalRefused explains a refused approval of csr.
func (c *CSRClient) approvalRefused(ctx context.Context, csr *certificatesv1.CertificateSigningRequest, refusal error) error {
	who := "the client"
	if id := whoami(ctx, c.cs); id.user != "" {
		who = DescribeUser(id.user, id.groups)
	}
	admin := fmt.Sprintf("an admin must run: kubectl certificate approve %s", csr.Name)
	missing, err := c.missingApproval(ctx, csr)
	if err != nil || len(missing) == 0 {
		// The reviews failed or allow everything (RBAC changed since):
		// the API server's own words are all we know.
		return fmt.Errorf("approving CertificateSigningRequest %q: %s; %s", csr.Name, oneLine(refusal), admin)
	}
	return fmt.Errorf("approving CertificateSigningRequest %q: %s may not approve it: missing %s (API group certificates.k8s.io); %s",
		csr.Name, who, strings.Join(missing, " and "), admin)
}

// missingApproval returns the permissions, of the two an approval needs,
// that the client lacks: update on the approval subresource (RBAC), and
// approve on the signer (the CertificateApproval admission plugin, which
// also accepts the signer's domain wildcard, such as "kubernetes.io/*").
func (c *CSRClient) missingApproval(ctx context.Context, csr *certificatesv1.CertificateSigningRequest) ([]string, error) {
	signer := csr.Spec.SignerName
	domain, _, _ := strings.Cut(signer, "/")
	checks := []struct {
		missing string
		attrs   []authorizationv1.ResourceAttributes
	}{
		{
			missing: fmt.Sprintf("approve on signers %q", signer),
			attrs: []authorizationv1.ResourceAttributes{
				{Verb: "approve", Group: certificatesv1.GroupName, Resource: "signers", Name: signer},
				{Verb: "approve", Group: certificatesv1.GroupName, Resource: "signers", Name: domain + "/*"},
			},
		},
		{
			missing: "update on certificatesigningrequests/approval",
			attrs: []authorizationv1.ResourceAttributes{
				{Verb: "update", Group: certificatesv1.GroupName, Resource: "certificatesigningrequests", Subresource: "approval", Name: csr.Name},
			},
		},
	}
	var missing []string
	for _, check := range checks {
		allowed := false
		for _, a := range check.attrs {
			ok, err := c.allowed(ctx, a)
			if err != nil {
				return nil, err
			}
			allowed = allowed || ok
		}
		if !allowed {
			missing = append(missing, check.missing)
		}
	}
	return missing, nil
}

// allowed asks the API server whether the client may do what a describes.
func (c *CSRClient) allowed(ctx context.Context, a authorizationv1.ResourceAttributes) (bool, error) {
	review, err := c.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &a},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return review.Status.Allowed, nil
}

// Wait waits up to timeout for the certificate of the request name and
// returns it (PEM, as the signer wrote it). It fails at once when the
// request is denied or its signing failed, and when time is up says
// whether approval or the signer is missing. progress, if not nil, hears
// what the request waits for each time that changes.
func (c *CSRClient) Wait(ctx context.Context, name string, timeout time.Duration, progress func(string)) ([]byte, error) {
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	csrs := c.cs.CertificatesV1().CertificateSigningRequests()
	var approved, told bool
	signer := CSRSignerName
	for {
		csr, err := csrs.Get(waitCtx, name, metav1.GetOptions{})
		switch {
		case err != nil && ctx.Err() == nil && waitCtx.Err() != nil:
			return nil, csrTimeout(name, signer, approved, timeout)
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("CertificateSigningRequest %q was deleted before it was issued", name)
		case err != nil:
			return nil, fmt.Errorf("waiting for CertificateSigningRequest %q: %w", name, Diagnose(err, c.creds))
		}
		if cond := csrCondition(csr, certificatesv1.CertificateDenied); cond != nil {
			return nil, fmt.Errorf("CertificateSigningRequest %q was denied%s", name, csrWhy(cond))
		}
		if cond := csrCondition(csr, certificatesv1.CertificateFailed); cond != nil {
			return nil, fmt.Errorf("signing CertificateSigningRequest %q failed%s", name, csrWhy(cond))
		}
		if len(csr.Status.Certificate) > 0 {
			return csr.Status.Certificate, nil
		}
		signer = csr.Spec.SignerName
		nowApproved := csrCondition(csr, certificatesv1.CertificateApproved) != nil
		if progress != nil && (!told || nowApproved != approved) {
			progress(csrWaitingFor(name, signer, nowApproved))
		}
		approved, told = nowApproved, true
		select {
		case <-waitCtx.Done():
			if ctx.Err() != nil {
				return nil, fmt.Errorf("waiting for CertificateSigningRequest %q: %w", name, ctx.Err())
			}
			return nil, csrTimeout(name, signer, approved, timeout)
		case <-time.After(csrPoll):
		}
	}
}

// csrCondition returns the condition of type t of csr that is true, or nil.
func csrCondition(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) *certificatesv1.CertificateSigningRequestCondition {
	for i, c := range csr.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return &csr.Status.Conditions[i]
		}
	}
	return nil
}

// csrWhy formats the reason and message of a condition, as
// ` (reason Foo: message)`, on one line.
func csrWhy(c *certificatesv1.CertificateSigningRequestCondition) string {
	why := strings.Join(strings.Fields(strings.Join([]string{c.Reason, c.Message}, ": ")), " ")
	why = strings.Trim(why, ": ")
	if why == "" {
		return ""
	}
	return " (" + why + ")"
}

// csrWaitingFor says what the request name waits for.
func csrWaitingFor(name, signer string, approved bool) string {
	if approved {
		return fmt.Sprintf("CertificateSigningRequest %q is approved; waiting for the signer %q to issue the certificate", name, signer)
	}
	return fmt.Sprintf("waiting for CertificateSigningRequest %q to be approved; an admin can run: kubectl certificate approve %s", name, name)
}

// csrTimeout says why no certificate came within timeout. An approved
// request without certificate means that nothing signs for the signer, as
// on a cluster without kube-controller-manager or whose controller-manager
// has no signing CA.
func csrTimeout(name, signer string, approved bool, timeout time.Duration) error {
	if !approved {
		return fmt.Errorf("CertificateSigningRequest %q was not approved within %v; an admin can approve it with: kubectl certificate approve %s", name, timeout, name)
	}
	return fmt.Errorf("CertificateSigningRequest %q was approved but no certificate was issued within %v: nothing on this cluster signs for %q "+
		"(kube-controller-manager does, given --cluster-signing-cert-file and --cluster-signing-key-file)", name, timeout, signer)
}
