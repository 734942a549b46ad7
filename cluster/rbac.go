package cluster

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// GroupSubject, UserSubject and ServiceAccountSubject name whom RBAC
// binds: a group or a user (as a client certificate's O and CN, or a token
// authenticator, name them), or a service account.
func GroupSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

// UserSubject is a user subject; see GroupSubject.
func UserSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

// ServiceAccountSubject parses NAMESPACE/NAME, or a service account's user
// name system:serviceaccount:NAMESPACE:NAME, into a service account
// subject.
func ServiceAccountSubject(s string) (rbacv1.Subject, error) {
	ns, name, ok := splitServiceAccountUser(s)
	if !ok {
		ns, name, ok = strings.Cut(s, "/")
	}
	if !ok || strings.Contains(name, "/") {
		return rbacv1.Subject{}, fmt.Errorf("service account %q: want NAMESPACE/NAME", s)
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return rbacv1.Subject{}, fmt.Errorf("service account %q: namespace %q: %s", s, ns, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return rbacv1.Subject{}, fmt.Errorf("service account %q: name %q: %s", s, name, strings.Join(errs, "; "))
	}
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}, nil
}

// splitServiceAccountUser splits a service account's user name,
// system:serviceaccount:NAMESPACE:NAME.
func splitServiceAccountUser(user string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, serviceAccountUserPrefix)
	if !ok {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	return namespace, name, ok && namespace != "" && name != "" && !strings.Contains(name, ":")
}

// serviceAccountUserPrefix starts the user name of every service account.
const serviceAccountUserPrefix = "system:serviceaccount:"

// rbacGrant is a resource a role allows verbs on.
type rbacGrant struct{ group, resource string }

// RBAC returns the least-privilege RBAC that allows subject exactly perms:
// a ClusterRole and its ClusterRoleBinding for what is needed across all
// namespaces or on cluster-scoped resources, and, in each namespace that
// needs more, a Role and its RoleBinding for the rest. When every job
// names its namespaces, only cluster-scoped resources (nodes, namespaces)
// go to the ClusterRole. Rules hold one API group each, resources and
// verbs sorted; every object is called name. The objects come in a stable
// order: the ClusterRole and its binding, then Role and RoleBinding by
// namespace.
//
// Only the resources and verbs Kubernetes discovery needs (list and watch
// on pods, services, endpoints, endpointslices, nodes, namespaces,
// ingresses, replicasets and jobs) are granted; any other permission is
// an error, so the result never holds a wildcard or secrets.
func RBAC(perms []Permission, name string, subject rbacv1.Subject) ([]runtime.Object, error) {
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return nil, fmt.Errorf("RBAC object name %q: %s", name, strings.Join(errs, "; "))
	}
	clusterWide := map[rbacGrant]map[string]bool{}
	namespaced := map[string]map[rbacGrant]map[string]bool{}
	for _, p := range perms {
		if err := rbacGrantable(p); err != nil {
			return nil, err
		}
		if p.Namespace == metav1.NamespaceAll || !p.Namespaced() {
			addRBACVerb(clusterWide, rbacGrant{p.Group, p.Resource}, p.Verb)
		}
	}
	for _, p := range perms {
		g := rbacGrant{p.Group, p.Resource}
		if p.Namespace == metav1.NamespaceAll || !p.Namespaced() || clusterWide[g][p.Verb] {
			continue
		}
		if namespaced[p.Namespace] == nil {
			namespaced[p.Namespace] = map[rbacGrant]map[string]bool{}
		}
		addRBACVerb(namespaced[p.Namespace], g, p.Verb)
	}

	var objs []runtime.Object
	subjects := []rbacv1.Subject{subject}
	if len(clusterWide) > 0 {
		objs = append(objs,
			&rbacv1.ClusterRole{TypeMeta: rbacType("ClusterRole"), ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rbacRules(clusterWide)},
			&rbacv1.ClusterRoleBinding{
				TypeMeta:   rbacType("ClusterRoleBinding"),
				ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
				Subjects:   subjects,
			})
	}
	for _, ns := range slices.Sorted(maps.Keys(namespaced)) {
		meta := metav1.ObjectMeta{Name: name, Namespace: ns}
		objs = append(objs,
			&rbacv1.Role{TypeMeta: rbacType("Role"), ObjectMeta: meta, Rules: rbacRules(namespaced[ns])},
			&rbacv1.RoleBinding{
				TypeMeta:   rbacType("RoleBinding"),
				ObjectMeta: meta,
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
				Subjects:   subjects,
			})
	}
	return objs, nil
}

// rbacGrantable refuses a permission that RBAC must not grant: anything but
// list or watch on a resource Kubernetes discovery reads.
func rbacGrantable(p Permission) error {
	info := resourceType(p.Resource)
	switch {
	case info.kind == "":
		return fmt.Errorf("refusing to grant %s: discovery never reads %q", p, p.Resource)
	case info.group != p.Group:
		return fmt.Errorf("refusing to grant %s: %q is in API group %q", p, p.Resource, info.group)
	case p.Verb != VerbList && p.Verb != VerbWatch:
		return fmt.Errorf("refusing to grant %s: discovery only lists and watches", p)
	}
	return nil
}

func addRBACVerb(m map[rbacGrant]map[string]bool, g rbacGrant, verb string) {
	if m[g] == nil {
		m[g] = map[string]bool{}
	}
	m[g][verb] = true
}

// rbacRules merges grants into one rule per API group and set of verbs,
// sorted by API group (the core group first), resources and verbs sorted.
func rbacRules(grants map[rbacGrant]map[string]bool) []rbacv1.PolicyRule {
	type ruleKey struct{ group, verbs string }
	merged := map[ruleKey][]string{}
	for g, verbs := range grants {
		k := ruleKey{g.group, strings.Join(sortedRBACVerbs(verbs), ",")}
		merged[k] = append(merged[k], g.resource)
	}
	keys := slices.SortedFunc(maps.Keys(merged), func(a, b ruleKey) int {
		return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.verbs, b.verbs))
	})
	out := make([]rbacv1.PolicyRule, len(keys))
	for i, k := range keys {
		out[i] = rbacv1.PolicyRule{
			APIGroups: []string{k.group},
			Resources: slices.Sorted(slices.Values(merged[k])),
			Verbs:     strings.Split(k.verbs, ","),
		}
	}
	return out
}

// sortedRBACVerbs returns the verbs of set, list before watch.
func sortedRBACVerbs(set map[string]bool) []string {
	return slices.SortedFunc(maps.Keys(set), func(a, b string) int {
		return cmp.Or(cmp.Compare(verbRank(a), verbRank(b)), cmp.Compare(a, b))
	})
}

func rbacType(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: kind}
}

// WriteRBAC writes objs as YAML documents, each after a "---" line, in the
// form kubectl apply -f - reads: fields sorted by name, no empty creation
// timestamp.
func WriteRBAC(w io.Writer, objs []runtime.Object) error {
	var buf bytes.Buffer
	for _, o := range objs {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", o.GetObjectKind().GroupVersionKind().Kind, err)
		}
		if meta, ok := m["metadata"].(map[string]any); ok && meta["creationTimestamp"] == nil {
			delete(meta, "creationTimestamp")
		}
		y, err := yaml.Marshal(m)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", o.GetObjectKind().GroupVersionKind().Kind, err)
		}
		buf.WriteString("---\n")
		buf.Write(y)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// IdentitySubject returns the subject a binding would name to grant the
// identity the API server reported (user and groups): the service account
// of a service account user; else the first group that says who the user
// is (not system:authenticated or the service-account groups), since
// certificate identities are usually bound by their O; else the user. It
// returns false for an unknown identity.
func IdentitySubject(user string, groups []string) (rbacv1.Subject, bool) {
	if ns, name, ok := splitServiceAccountUser(user); ok {
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}, true
	}
	for _, g := range telling(groups) {
		if !strings.HasPrefix(g, "system:serviceaccounts") {
			return GroupSubject(g), true
		}
	}
	if user != "" {
		return UserSubject(user), true
	}
	return rbacv1.Subject{}, false
}

// Identity returns the user and groups of the client whose lists were
// refused for lack of permission, as a SelfSubjectReview told them; empty
// when no list was refused for that or the server did not say.
func (p *Partial) Identity() (user string, groups []string) {
	return p.who.user, p.who.groups
}
