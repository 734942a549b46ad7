package cluster

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The verbs an informer needs: a LIST to fill its cache, then a WATCH to
// follow changes. Both are needed; nothing else is.
const (
	VerbList  = "list"
	VerbWatch = "watch"
)

// Permission is one verb on one resource, in one namespace or across all
// of them, that the informers of some jobs need.
type Permission struct {
	// Verb is VerbList or VerbWatch.
	Verb string
	// Group is the resource's API group, "" for the core group.
	Group string
	// Resource is the plural resource name, such as "pods".
	Resource string
	// Namespace is the namespace the informer lists; "" means all
	// namespaces, or a cluster-scoped resource (see Namespaced).
	Namespace string
	// NeededBy lists the jobs and roles that need the permission, sorted
	// by job and role.
	NeededBy []Need
}

// Namespaced reports whether p's resource lives in namespaces.
func (p Permission) Namespaced() bool {
	return resourceType(p.Resource).namespaced
}

// Scope names where p applies: `namespace "shop"`, "all namespaces", or
// "cluster" for a cluster-scoped resource.
func (p Permission) Scope() string {
	switch {
	case !p.Namespaced():
		return "cluster"
	case p.Namespace == metav1.NamespaceAll:
		return "all namespaces"
	}
	return fmt.Sprintf("namespace %q", p.Namespace)
}

// GroupResource names the resource as kubectl does: "pods",
// "endpointslices.discovery.k8s.io".
func (p Permission) GroupResource() string {
	if p.Group == "" {
		return p.Resource
	}
	return p.Resource + "." + p.Group
}

// String describes p for messages: `list pods in namespace "shop"`,
// "watch pods in all namespaces", "list nodes".
func (p Permission) String() string {
	s := p.Verb + " " + p.GroupResource()
	if p.Namespaced() {
		s += " in " + p.Scope()
	}
	return s
}

// Permissions returns the permissions reqs need: list and watch on the
// resource of every request, in its namespace or in all of them. Requests
// that differ only in their selectors need the same permissions, since
// RBAC cannot restrict selectors. The result is sorted by resource, API
// group, namespace and verb (list before watch).
func Permissions(reqs []Request) []Permission {
	type key struct{ resource, namespace string }
	index := map[key]int{}
	var scopes []Permission
	for _, r := range reqs {
		k := key{r.Resource, r.Namespace}
		i, ok := index[k]
		if !ok {
			i = len(scopes)
			index[k] = i
			scopes = append(scopes, Permission{Group: r.Group(), Resource: r.Resource, Namespace: r.Namespace})
		}
		for _, n := range r.NeededBy {
			if !slices.Contains(scopes[i].NeededBy, n) {
				scopes[i].NeededBy = append(scopes[i].NeededBy, n)
			}
		}
	}
	var perms []Permission
	for _, p := range scopes {
		sortNeeds(p.NeededBy)
		for _, verb := range []string{VerbList, VerbWatch} {
			q := p
			q.Verb = verb
			q.NeededBy = slices.Clone(p.NeededBy)
			perms = append(perms, q)
		}
	}
	slices.SortStableFunc(perms, comparePermissions)
	return perms
}

// comparePermissions orders permissions by resource, API group, namespace
// and verb.
func comparePermissions(a, b Permission) int {
	return cmp.Or(
		cmp.Compare(a.Resource, b.Resource),
		cmp.Compare(a.Group, b.Group),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(verbRank(a.Verb), verbRank(b.Verb)),
		cmp.Compare(a.Verb, b.Verb),
	)
}

// verbRank puts list before watch, the order an informer uses them in.
func verbRank(verb string) int {
	switch verb {
	case VerbList:
		return 0
	case VerbWatch:
		return 1
	}
	return 2
}

// sortNeeds orders needs by job, then role.
func sortNeeds(needs []Need) {
	slices.SortFunc(needs, func(a, b Need) int {
		return cmp.Or(cmp.Compare(a.Job, b.Job), cmp.Compare(a.Role, b.Role))
	})
}

// Access is a permission and the API server's answer about it.
type Access struct {
	Permission
	// Allowed is the authorizer's decision.
	Allowed bool
	// Reason is the authorizer's reason or evaluation error, when it
	// gives one.
	Reason string
	// Blocks says, for a denied permission, what it does to each job and
	// role that needs it; nil when allowed.
	Blocks []Blocked
}

// AccessReview is what an API server allows of the permissions some jobs
// need.
type AccessReview struct {
	// User and Groups are the identity the API server reviewed, as a
	// SelfSubjectReview tells it; empty when the server did not say.
	User   string
	Groups []string
	// Access has one entry per permission, in the order given.
	Access []Access
}

// Denied returns the accesses that are not allowed.
func (r *AccessReview) Denied() []Access {
	var out []Access
	for _, a := range r.Access {
		if !a.Allowed {
			out = append(out, a)
		}
	}
	return out
}

// ReviewAccess asks the API server of cfg whether the client may do each
// of perms, with one SelfSubjectAccessReview per permission (which every
// authenticated user may create). The review is of the identity the
// requests carry: with impersonation in cfg (kubectl's --as and
// --as-group), of the impersonated user and groups, so the caller needs
// the verb impersonate on them; a refused impersonation is an error that
// says so. creds, which may be nil, describes cfg's credentials for
// messages, as in ListOptions. Failures to talk to the server are
// explained by Diagnose.
func ReviewAccess(ctx context.Context, cfg *rest.Config, perms []Permission, creds *Credentials) (*AccessReview, error) {
	if creds == nil {
		creds = credentialsOf(cfg)
	}
	if err := creds.check(); err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", creds.Server, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", creds.Server, Diagnose(err, creds))
	}
	return reviewAccessWith(ctx, cs, cfg.Impersonate, perms, creds)
}

// reviewAccessWith is ReviewAccess over a clientset that impersonates as
// im says.
func reviewAccessWith(ctx context.Context, cs kubernetes.Interface, im rest.ImpersonationConfig, perms []Permission, creds *Credentials) (*AccessReview, error) {
	access, err := reviewEach(ctx, cs, perms)
	if err != nil {
		if apierrors.IsForbidden(err) && impersonates(im) {
			return nil, reviewImpersonationRefused(im, err)
		}
		return nil, Diagnose(err, creds)
	}
	addBlocks(access)
	who := whoami(ctx, cs)
	return &AccessReview{User: who.user, Groups: who.groups, Access: access}, nil
}

// reviewConcurrency bounds the access reviews in flight: each is one small
// request, and a config needs a few dozen at most.
const reviewConcurrency = 4

// reviewEach creates a SelfSubjectAccessReview for each permission.
func reviewEach(ctx context.Context, cs kubernetes.Interface, perms []Permission) ([]Access, error) {
	access := make([]Access, len(perms))
	// No context cancellation on the first error: client-go logs every
	// request cut off mid-response to stderr. Requests not yet sent are
	// skipped instead.
	var g errgroup.Group
	var failed atomic.Bool
	g.SetLimit(reviewConcurrency)
	reviews := cs.AuthorizationV1().SelfSubjectAccessReviews()
	for i, p := range perms {
		g.Go(func() error {
			if failed.Load() {
				return nil
			}
			r, err := reviews.Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: p.Namespace,
					Verb:      p.Verb,
					Group:     p.Group,
					Resource:  p.Resource,
				}},
			}, metav1.CreateOptions{})
			if err != nil {
				failed.Store(true)
				return err
			}
			access[i] = Access{Permission: p, Allowed: r.Status.Allowed, Reason: cmp.Or(r.Status.Reason, r.Status.EvaluationError)}
			return nil
		})
	}
	return access, g.Wait()
}

// addBlocks fills in what each denied access blocks.
func addBlocks(access []Access) {
	type key struct{ verb, group, resource, namespace string }
	allowed := map[key]bool{}
	for _, a := range access {
		allowed[key{a.Verb, a.Group, a.Resource, a.Namespace}] = a.Allowed
	}
	for i, a := range access {
		if a.Allowed {
			continue
		}
		other := VerbWatch
		if a.Verb == VerbWatch {
			other = VerbList
		}
		access[i].Blocks = blockedBy(a.Permission, allowed[key{other, a.Group, a.Resource, a.Namespace}])
	}
}

// impersonates reports whether im impersonates another identity.
func impersonates(im rest.ImpersonationConfig) bool {
	return im.UserName != "" || im.UID != "" || len(im.Groups) > 0 || len(im.Extra) > 0
}

// reviewImpersonationRefused explains a refused impersonation: who may not
// impersonate whom, and which permission that takes.
func reviewImpersonationRefused(im rest.ImpersonationConfig, err error) error {
	var target, needs []string
	if im.UserName != "" {
		target = append(target, fmt.Sprintf("user %q (--as)", im.UserName))
		if ns, name, ok := splitServiceAccountUser(im.UserName); ok {
			needs = append(needs, fmt.Sprintf("serviceaccounts %q in namespace %q", name, ns))
		} else {
			needs = append(needs, fmt.Sprintf("users %q", im.UserName))
		}
	}
	for _, g := range im.Groups {
		target = append(target, fmt.Sprintf("group %q (--as-group)", g))
		needs = append(needs, fmt.Sprintf("groups %q", g))
	}
	caller := "the caller"
	if u, ok := userFromMessage(err); ok {
		caller = fmt.Sprintf("User %q", u)
	}
	return &diagnosis{err: err, msg: fmt.Sprintf(
		"%s may not impersonate %s: checking another identity takes the verb impersonate on %s, or run can-i with that identity's own credentials (the API server said: %s)",
		caller, strings.Join(target, " and "), strings.Join(needs, " and "), statusMessage(err))}
}
