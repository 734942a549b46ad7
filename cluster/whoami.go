package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authenticationv1alpha1 "k8s.io/api/authentication/v1alpha1"
	authenticationv1beta1 "k8s.io/api/authentication/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// WhoamiReport is who one connection authenticates as: what the API server
// says (a SelfSubjectReview) and what the client's own credentials say.
// Its JSON form is part of sdinspect's output contract and documented in
// the README. It never holds a token or a key.
type WhoamiReport struct {
	// Source says where the connection settings came from.
	Source string `json:"source"`
	// Server is the API server's URL, credentials redacted.
	Server string `json:"server"`
	// Jobs are the jobs that use the connection, with --config.
	Jobs        []string          `json:"jobs,omitempty"`
	Credentials WhoamiCredentials `json:"credentials"`
	// Impersonate is what --as, --as-group and friends asked for; User is
	// then the impersonated identity and AuthenticatedAs the one behind it.
	Impersonate     *WhoamiUser `json:"impersonate,omitempty"`
	User            WhoamiUser  `json:"user"`
	AuthenticatedAs *WhoamiUser `json:"authenticatedAs,omitempty"`
	// ClientCertificate describes the client certificate, if one is sent.
	ClientCertificate *ClientCertInfo `json:"clientCertificate,omitempty"`
	// Warnings are things to act on, such as a certificate about to expire.
	Warnings []string `json:"warnings,omitempty"`
}

// WhoamiUser is a Kubernetes user: a name, a UID, groups (sorted) and
// extra attributes, as authenticators fill them.
type WhoamiUser struct {
	Username string              `json:"username"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// WhoamiCredentials says what a connection authenticates with, by name
// and place: files, the kubeconfig user and context, where a token comes
// from. Kind is client-certificate, token, exec, auth-provider, basic or
// none, joined with "+" when several are sent.
type WhoamiCredentials struct {
	Kind              string `json:"kind"`
	ClientCertificate string `json:"clientCertificate,omitempty"`
	ClientKey         string `json:"clientKey,omitempty"`
	// Token says where the bearer token comes from, never what it is.
	Token          string `json:"token,omitempty"`
	Kubeconfig     string `json:"kubeconfig,omitempty"`
	KubeconfigUser string `json:"kubeconfigUser,omitempty"`
	Context        string `json:"context,omitempty"`
	// CA is the file the server's certificate is checked against,
	// "inline" for CA data, "" for the system's roots.
	CA                    string `json:"ca,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecureSkipTLSVerify,omitempty"`
}

// Whoami asks the API server of c who c authenticates as, and describes
// c's credentials and client certificate. With impersonation it asks twice:
// who the credentials are, then whom they act as. Errors are one line, the
// credential at fault named.
func Whoami(ctx context.Context, c *Conn) (*WhoamiReport, error) {
	creds := c.Credentials
	if creds == nil {
		creds = credentialsOf(c.Config)
	}
	r, err := whoamiReportOf(ctx, c, creds)
	if err != nil {
		return nil, fmt.Errorf("asking who we are, with %s: %w", c.Source, err)
	}
	return r, nil
}

// whoamiReportOf is Whoami without the context in errors.
func whoamiReportOf(ctx context.Context, c *Conn, creds *Credentials) (*WhoamiReport, error) {
	r := &WhoamiReport{Source: c.Source, Server: creds.Server, Credentials: whoamiCredentials(c.Config, creds)}
	for _, j := range c.Jobs {
		if !slices.Contains(r.Jobs, j.Job) {
			r.Jobs = append(r.Jobs, j.Job)
		}
	}
	if creds.hasCert() {
		info, warnings, err := creds.clientCertInfo(time.Now())
		if err != nil {
			return nil, err
		}
		r.ClientCertificate, r.Warnings = info, warnings
	}
	imp := c.Config.Impersonate
	if !impersonates(imp) {
		u, err := whoamiReview(ctx, c.Config, creds)
		if err != nil {
			return nil, err
		}
		r.User = u
		return r, nil
	}
	r.Impersonate = &WhoamiUser{Username: imp.UserName, UID: imp.UID, Groups: sortedCopy(imp.Groups), Extra: imp.Extra}
	plain := rest.CopyConfig(c.Config)
	plain.Impersonate = rest.ImpersonationConfig{}
	behind, err := whoamiReview(ctx, plain, creds)
	if err != nil {
		return nil, err
	}
	r.AuthenticatedAs = &behind
	if r.User, err = whoamiReview(ctx, c.Config, creds); err != nil {
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("impersonating %s: %w (impersonation needs the impersonate verb on users and groups, which User %q lacks)", describeImpersonation(r.Impersonate), err, behind.Username)
		}
		return nil, fmt.Errorf("impersonating %s: %w", describeImpersonation(r.Impersonate), err)
	}
	return r, nil
}

// whoamiReview asks the API server who cfg authenticates as, with the
// newest SelfSubjectReview version it serves (v1 since Kubernetes 1.28).
func whoamiReview(ctx context.Context, cfg *rest.Config, creds *Credentials) (WhoamiUser, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return WhoamiUser{}, Diagnose(err, creds)
	}
	var info authenticationv1.UserInfo
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err == nil {
		info = r.Status.UserInfo
	}
	if apierrors.IsNotFound(err) {
		var rb *authenticationv1beta1.SelfSubjectReview
		rb, err = cs.AuthenticationV1beta1().SelfSubjectReviews().Create(ctx, &authenticationv1beta1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err == nil {
			info = rb.Status.UserInfo
		}
	}
	if apierrors.IsNotFound(err) {
		var ra *authenticationv1alpha1.SelfSubjectReview
		ra, err = cs.AuthenticationV1alpha1().SelfSubjectReviews().Create(ctx, &authenticationv1alpha1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err == nil {
			info = ra.Status.UserInfo
		}
	}
	switch {
	case apierrors.IsNotFound(err):
		return WhoamiUser{}, fmt.Errorf("%s serves no SelfSubjectReview API (Kubernetes 1.28 serves it, 1.26 and 1.27 with the APISelfSubjectReview feature gate)", creds.serverName())
	case err != nil && apierrors.IsForbidden(err):
		return WhoamiUser{}, &diagnosis{msg: statusMessage(err), err: err}
	case err != nil:
		return WhoamiUser{}, Diagnose(err, creds)
	}
	extra := map[string][]string{}
	for k, v := range info.Extra {
		extra[k] = []string(v)
	}
	if len(extra) == 0 {
		extra = nil
	}
	return WhoamiUser{Username: info.Username, UID: info.UID, Groups: sortedCopy(info.Groups), Extra: extra}, nil
}

// whoamiCredentials names what cfg and creds authenticate with.
func whoamiCredentials(cfg *rest.Config, creds *Credentials) WhoamiCredentials {
	w := WhoamiCredentials{
		ClientCertificate:     creds.CertFile,
		ClientKey:             creds.KeyFile,
		Token:                 creds.TokenSource,
		Kubeconfig:            creds.kubeFile,
		KubeconfigUser:        creds.kubeUser,
		Context:               creds.Context,
		CA:                    creds.CAFile,
		InsecureSkipTLSVerify: creds.Insecure,
	}
	if w.CA == "" && len(creds.caData) > 0 {
		w.CA = "inline"
	}
	var kinds []string
	if creds.hasCert() {
		kinds = append(kinds, "client-certificate")
		if w.ClientCertificate == "" {
			w.ClientCertificate, w.ClientKey = "inline", "inline"
		}
	}
	switch {
	case cfg.ExecProvider != nil:
		kinds = append(kinds, "exec")
	case cfg.AuthProvider != nil:
		kinds = append(kinds, "auth-provider")
	case creds.Token:
		kinds = append(kinds, "token")
		if w.Token == "" {
			w.Token = "the client configuration"
		}
	case cfg.Username != "":
		kinds = append(kinds, "basic")
	}
	if len(kinds) == 0 {
		kinds = append(kinds, "none")
	}
	w.Kind = strings.Join(kinds, "+")
	return w
}

// describeImpersonation formats what is impersonated, for messages.
func describeImpersonation(u *WhoamiUser) string {
	var parts []string
	if u.Username != "" {
		parts = append(parts, fmt.Sprintf("user %q", u.Username))
	}
	if len(u.Groups) > 0 {
		parts = append(parts, "groups "+strings.Join(u.Groups, ", "))
	}
	if u.UID != "" {
		parts = append(parts, fmt.Sprintf("uid %q", u.UID))
	}
	if len(parts) == 0 {
		return "extra attributes"
	}
	return strings.Join(parts, ", ")
}

func sortedCopy(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
