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

	promkubernetes "github.com/prometheus/prometheus/discovery/kubernetes"
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

// primaryResource is the resource whose objects role turns into targets.
func primaryResource(role promkubernetes.Role) string {
	switch role {
	case promkubernetes.RoleNode:
		return resourceNodes
	case promkubernetes.RolePod:
		return resourcePods
	case promkubernetes.RoleService:
		return resourceServices
	case promkubernetes.RoleEndpoint:
		return resourceEndpoints
	case promkubernetes.RoleEndpointSlice:
		return resourceEndpointSlices
	case promkubernetes.RoleIngress:
		return resourceIngresses
	}
	return ""
}

// Blocked is what a denied permission does to one job and role.
type Blocked struct {
	Need Need
	// Effect says what the user sees, such as `role endpoints emits
	// nothing: Prometheus waits for the pods informer to sync`.
	Effect string
}

// blockedBy returns what denying p does to each job and role needing it;
// otherAllowed says whether the other verb (watch for a list, list for a
// watch) on the same resource and namespace is allowed.
func blockedBy(p Permission, otherAllowed bool) []Blocked {
	out := make([]Blocked, len(p.NeededBy))
	for i, n := range p.NeededBy {
		out[i] = Blocked{Need: n, Effect: deniedEffect(p, n, otherAllowed)}
	}
	return out
}

// deniedEffect says what denying p does to the job and role of n, for a
// line that names them first. It follows the Run methods of
// discovery/kubernetes and the reflector of the client-go it is built
// with (v0.37, watch-list on by default):
//
//   - each role waits for the caches of its own informer and of the
//     secondary informers it reads (WaitForCacheSync), except the
//     replicaset and job informers of the endpoints and endpointslice
//     roles, which nothing waits for;
//   - an informer allowed neither verb never syncs, and its role in that
//     namespace (every namespace, for the cluster-wide node and namespace
//     informers) sends no target group at all;
//   - allowed only watch, it syncs through a streaming watch-list where the
//     API server serves one, and never where it falls back to LIST;
//   - allowed only list, it syncs from the LIST, then every watch fails
//     and it lists again after a back-off.
func deniedEffect(p Permission, n Need, otherAllowed bool) string {
	where := ""
	if p.Namespaced() && p.Namespace != metav1.NamespaceAll {
		where = fmt.Sprintf(" in namespace %q", p.Namespace)
	}
	var effect string
	switch {
	case p.Verb == VerbWatch && otherAllowed:
		return fmt.Sprintf("list allowed but watch denied (Prometheus needs both): the %s informer lists, then every watch is refused and it lists everything again after a back-off of up to 30s; targets lag behind the cluster and Prometheus logs \"forbidden\" each time", p.Resource)
	case p.Resource == primaryResource(n.Role) && where == "":
		effect = fmt.Sprintf("no targets at all: Prometheus waits forever for the %s informer to sync", p.Resource)
	case p.Resource == primaryResource(n.Role):
		effect = fmt.Sprintf("no targets%s: Prometheus waits forever for the %s informer to sync", where, p.Resource)
	case unwaited(p.Resource, n.Role):
		effect = fmt.Sprintf("targets%s lack %s: the %s informer never fills, and role %s does not wait for it",
			where, ownerLabel(p.Resource), p.Resource, n.Role)
	default:
		effect = fmt.Sprintf("role %s emits nothing%s: Prometheus waits for the %s informer to sync", n.Role, where, p.Resource)
	}
	if p.Verb == VerbList && otherAllowed {
		return fmt.Sprintf("watch allowed but list denied (Prometheus needs both): the %s informer fills from a streaming watch-list where the API server serves one; where it falls back to a plain LIST (older API servers, a failed watch-list), %s", p.Resource, effect)
	}
	return effect
}

// unwaited reports whether role reads resource without waiting for its
// informer to sync: the replicaset and job informers of attach_metadata
// in the endpoints and endpointslice roles.
func unwaited(resource string, role promkubernetes.Role) bool {
	return (role == promkubernetes.RoleEndpoint || role == promkubernetes.RoleEndpointSlice) &&
		(resource == resourceReplicaSets || resource == resourceJobs)
}

// ownerLabel is the label an owner lookup through resource provides.
func ownerLabel(resource string) string {
	if resource == resourceReplicaSets {
		return "__meta_kubernetes_pod_deployment_name"
	}
	return "__meta_kubernetes_pod_cronjob_name (with attach_metadata.cronjob)"
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
		if apierrors.IsForbidden(err) && reviewImpersonates(im) {
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

// reviewImpersonates reports whether im impersonates another identity.
func reviewImpersonates(im rest.ImpersonationConfig) bool {
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
