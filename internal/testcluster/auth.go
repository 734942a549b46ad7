package testcluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// grantTimeout bounds the wait for RBAC to see a new binding. The authorizer
// learns bindings from an informer, usually within milliseconds.
const grantTimeout = 10 * time.Second

// ClientCert issues a client certificate for user in groups, signed by the
// cluster CA: a new RSA 2048 key and a certificate with CN=user, one O= per
// group, and extended key usage clientAuth, as `openssl genrsa`, a CSR and
// `openssl x509 -req -CA` make them. The API server authenticates it as
// user, in groups plus system:authenticated. Both files are PEM in a new
// temporary directory of t; the key is readable by its owner only.
func (c *Cluster) ClientCert(t testing.TB, user string, groups ...string) (certFile, keyFile string) {
	t.Helper()
	kp, err := c.ca.newClientKeyPair(user, groups)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err = writeKeyPair(t.TempDir(), "client", kp)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// UserConfig returns a client configuration for the cluster that
// authenticates with the given certificate and key files, for example
// those of ClientCert.
func (c *Cluster) UserConfig(certFile, keyFile string) *rest.Config {
	return &rest.Config{
		Host: c.URL,
		TLSClientConfig: rest.TLSClientConfig{
			CAFile:   c.CAFile,
			CertFile: certFile,
			KeyFile:  keyFile,
		},
		QPS:            -1,
		WarningHandler: rest.NoWarnings{},
	}
}

// Grant allows group everything rules allow, in every namespace: it creates
// a ClusterRole with rules and a ClusterRoleBinding of it to group, then
// waits until the API server's authorizer allows the first verb, resource
// and API group of every rule. Each call makes a new role and binding.
func (c *Cluster) Grant(t testing.TB, group string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	if err := c.grant(t.Context(), "", group, rules); err != nil {
		t.Fatal(err)
	}
}

// GrantInNamespace is Grant limited to namespace, with a Role and a
// RoleBinding. It creates the namespace if it does not exist.
func (c *Cluster) GrantInNamespace(t testing.TB, namespace, group string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	if err := c.grant(t.Context(), namespace, group, rules); err != nil {
		t.Fatal(err)
	}
}

func (c *Cluster) grant(ctx context.Context, namespace, group string, rules []rbacv1.PolicyRule) error {
	if len(rules) == 0 {
		return fmt.Errorf("granting group %q: no rules", group)
	}
	rbac := c.client.RbacV1()
	meta := metav1.ObjectMeta{GenerateName: "testcluster-grant-", Namespace: namespace}
	subjects := []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: group}}
	where := "in every namespace"
	if namespace == "" {
		role, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: meta, Rules: rules}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating a cluster role for group %q: %w", group, err)
		}
		_, err = rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: meta,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects:   subjects,
		}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("binding cluster role %q to group %q: %w", role.Name, group, err)
		}
	} else {
		where = fmt.Sprintf("in namespace %q", namespace)
		_, err := c.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %q: %w", namespace, err)
		}
		role, err := rbac.Roles(namespace).Create(ctx, &rbacv1.Role{ObjectMeta: meta, Rules: rules}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating a role for group %q in namespace %q: %w", group, namespace, err)
		}
		_, err = rbac.RoleBindings(namespace).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: meta,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
			Subjects:   subjects,
		}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("binding role %q to group %q in namespace %q: %w", role.Name, group, namespace, err)
		}
	}
	if err := c.waitAllowed(ctx, namespace, group, rules); err != nil {
		return fmt.Errorf("granting group %q %s: %w", group, where, err)
	}
	return nil
}

// waitAllowed asks the authorizer, with SubjectAccessReviews, whether group
// may do one request of every rule, until it may.
func (c *Cluster) waitAllowed(ctx context.Context, namespace, group string, rules []rbacv1.PolicyRule) error {
	ctx, cancel := context.WithTimeout(ctx, grantTimeout)
	defer cancel()
	reviews := c.client.AuthorizationV1().SubjectAccessReviews()
	for _, rule := range rules {
		spec := reviewSpec(namespace, group, rule)
		for {
			review, err := reviews.Create(ctx, &authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
			if err == nil && review.Status.Allowed {
				break
			}
			if err == nil {
				err = errors.New("not allowed yet")
				if review.Status.EvaluationError != "" {
					err = errors.New(review.Status.EvaluationError)
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting until RBAC allows %s: %w", describeReview(spec), err)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return nil
}

// reviewSpec is a request that rule allows: its first verb on its first
// resource (or URL) in its first API group, wildcards made concrete.
func reviewSpec(namespace, group string, rule rbacv1.PolicyRule) authorizationv1.SubjectAccessReviewSpec {
	spec := authorizationv1.SubjectAccessReviewSpec{Groups: []string{group}}
	verb := first(rule.Verbs, "get")
	if len(rule.NonResourceURLs) > 0 {
		path := rule.NonResourceURLs[0]
		if strings.HasSuffix(path, "*") {
			path = strings.TrimSuffix(path, "*") + "x"
		}
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: path, Verb: verb}
		return spec
	}
	resource, subresource, _ := strings.Cut(first(rule.Resources, "pods"), "/")
	if subresource == "*" {
		subresource = "status"
	}
	spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
		Namespace:   namespace,
		Verb:        verb,
		Group:       first(rule.APIGroups, ""),
		Resource:    resource,
		Subresource: subresource,
		Name:        first(rule.ResourceNames, ""),
	}
	return spec
}

// first returns the first element of list, or def if there is none or it
// is the wildcard.
func first(list []string, def string) string {
	if len(list) == 0 || list[0] == rbacv1.ResourceAll {
		return def
	}
	return list[0]
}

func describeReview(spec authorizationv1.SubjectAccessReviewSpec) string {
	if a := spec.NonResourceAttributes; a != nil {
		return fmt.Sprintf("%s %s", a.Verb, a.Path)
	}
	a := spec.ResourceAttributes
	s := fmt.Sprintf("%s %s", a.Verb, a.Resource)
	if a.Subresource != "" {
		s += "/" + a.Subresource
	}
	if a.Group != "" {
		s += "." + a.Group
	}
	if a.Namespace != "" {
		s += fmt.Sprintf(" in namespace %q", a.Namespace)
	}
	return s
}
