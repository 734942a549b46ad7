package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	promkubernetes "github.com/prometheus/prometheus/discovery/kubernetes"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

// permissionStrings formats permissions without their jobs.
func permissionStrings(perms []Permission) []string {
	var out []string
	for _, p := range perms {
		out = append(out, p.String())
	}
	return out
}

// listWatch returns the list and watch permissions of each scope, as
// Permission.String formats them.
func listWatch(scopes ...string) []string {
	var out []string
	for _, s := range scopes {
		out = append(out, "list "+s, "watch "+s)
	}
	return out
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sd   string
		own  string
		want []string
	}{
		{name: "node", sd: `{role: node}`, want: listWatch("nodes")},
		{name: "pod in all namespaces", sd: `{role: pod}`, want: listWatch("pods in all namespaces")},
		{
			name: "pod with every attachment in two namespaces",
			sd:   `{role: pod, namespaces: {names: [b, a]}, attach_metadata: {node: true, namespace: true, deployment: true, cronjob: true}}`,
			want: listWatch(
				`jobs.batch in namespace "a"`, `jobs.batch in namespace "b"`,
				"namespaces", "nodes",
				`pods in namespace "a"`, `pods in namespace "b"`,
				`replicasets.apps in namespace "a"`, `replicasets.apps in namespace "b"`),
		},
		{
			name: "pod with attach_metadata.job",
			sd:   `{role: pod, attach_metadata: {job: true}}`,
			want: listWatch("jobs.batch in all namespaces", "pods in all namespaces"),
		},
		{
			name: "endpoints in one namespace",
			sd:   `{role: endpoints, namespaces: {names: [monitoring]}}`,
			want: listWatch(`endpoints in namespace "monitoring"`, `pods in namespace "monitoring"`, `services in namespace "monitoring"`),
		},
		{
			name: "endpointslice with node metadata, selectors merged away",
			sd:   `{role: endpointslice, attach_metadata: {node: true}, selectors: [{role: endpointslice, label: a=b}, {role: pod, field: spec.nodeName=n}, {role: service, label: x}]}`,
			want: listWatch("endpointslices.discovery.k8s.io in all namespaces", "nodes", "pods in all namespaces", "services in all namespaces"),
		},
		{
			name: "endpointslice with deployment metadata in one namespace",
			sd:   `{role: endpointslice, namespaces: {names: [shop]}, attach_metadata: {deployment: true, namespace: true}}`,
			want: listWatch(`endpointslices.discovery.k8s.io in namespace "shop"`, "namespaces", `pods in namespace "shop"`,
				`replicasets.apps in namespace "shop"`, `services in namespace "shop"`),
		},
		{
			name: "service with namespace metadata",
			sd:   `{role: service, attach_metadata: {namespace: true}}`,
			want: listWatch("namespaces", "services in all namespaces"),
		},
		{
			name: "ingress in one namespace",
			sd:   `{role: ingress, namespaces: {names: [web]}}`,
			want: listWatch(`ingresses.networking.k8s.io in namespace "web"`),
		},
		{
			name: "own namespace known",
			sd:   `{role: service, namespaces: {own_namespace: true, names: [a]}}`,
			own:  "mon",
			want: listWatch(`services in namespace "a"`, `services in namespace "mon"`),
		},
		{
			name: "own namespace unknown lists nothing",
			sd:   `{role: service, namespaces: {own_namespace: true}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reqs := Requests([]JobSD{{Job: "j", SD: sdConfig(t, tt.sd), OwnNamespace: tt.own}})
			got := permissionStrings(Permissions(reqs))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("permissions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPermissionsNeededBy(t *testing.T) {
	t.Parallel()
	jobs := []JobSD{
		{Job: "z-pods", SD: sdConfig(t, `{role: pod, attach_metadata: {node: true}}`)},
		{Job: "a-slices", SD: sdConfig(t, `{role: endpointslice, namespaces: {names: [mon]}, attach_metadata: {node: true}, selectors: [{role: pod, label: x}]}`)},
		{Job: "a-slices", SD: sdConfig(t, `{role: endpointslice, namespaces: {names: [mon]}}`)},
		{Job: "nodes", SD: sdConfig(t, `{role: node, selectors: [{role: node, label: y}]}`)},
	}
	got := map[string][]Need{}
	for _, p := range Permissions(Requests(jobs)) {
		got[p.String()] = p.NeededBy
	}
	sliceJob := Need{"a-slices", promkubernetes.RoleEndpointSlice}
	pods := Need{"z-pods", promkubernetes.RolePod}
	nodes := Need{"nodes", promkubernetes.RoleNode}
	want := map[string][]Need{}
	for _, s := range listWatch("nodes") {
		want[s] = []Need{sliceJob, nodes, pods}
	}
	for _, s := range listWatch(`endpointslices.discovery.k8s.io in namespace "mon"`, `pods in namespace "mon"`, `services in namespace "mon"`) {
		want[s] = []Need{sliceJob}
	}
	for _, s := range listWatch("pods in all namespaces") {
		want[s] = []Need{pods}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("needed by (-want +got):\n%s", diff)
	}
}

func TestDeniedEffect(t *testing.T) {
	t.Parallel()
	perm := func(verb, resource, namespace string) Permission {
		return Permission{Verb: verb, Group: resourceType(resource).group, Resource: resource, Namespace: namespace}
	}
	need := func(role promkubernetes.Role) Need { return Need{Job: "j", Role: role} }
	tests := []struct {
		name         string
		perm         Permission
		need         Need
		otherAllowed bool
		want         string
	}{
		{
			name: "primary in a namespace",
			perm: perm(VerbList, "pods", "shop"), need: need(promkubernetes.RolePod),
			want: `no targets in namespace "shop": Prometheus waits forever for the pods informer to sync`,
		},
		{
			name: "primary in all namespaces",
			perm: perm(VerbList, "endpointslices", ""), need: need(promkubernetes.RoleEndpointSlice),
			want: `no targets at all: Prometheus waits forever for the endpointslices informer to sync`,
		},
		{
			name: "cluster-scoped primary",
			perm: perm(VerbList, "nodes", ""), need: need(promkubernetes.RoleNode),
			want: `no targets at all: Prometheus waits forever for the nodes informer to sync`,
		},
		{
			name: "secondary in a namespace",
			perm: perm(VerbList, "pods", "mon"), need: need(promkubernetes.RoleEndpoint),
			want: `role endpoints emits nothing in namespace "mon": Prometheus waits for the pods informer to sync`,
		},
		{
			name: "cluster-wide secondary",
			perm: perm(VerbList, "nodes", ""), need: need(promkubernetes.RolePod),
			want: `role pod emits nothing: Prometheus waits for the nodes informer to sync`,
		},
		{
			name: "namespaces for attach_metadata.namespace",
			perm: perm(VerbList, "namespaces", ""), need: need(promkubernetes.RoleService),
			want: `role service emits nothing: Prometheus waits for the namespaces informer to sync`,
		},
		{
			name: "replicasets waited for by the pod role",
			perm: perm(VerbList, "replicasets", "shop"), need: need(promkubernetes.RolePod),
			want: `role pod emits nothing in namespace "shop": Prometheus waits for the replicasets informer to sync`,
		},
		{
			name: "replicasets not waited for by endpointslice",
			perm: perm(VerbList, "replicasets", "shop"), need: need(promkubernetes.RoleEndpointSlice),
			want: `targets in namespace "shop" lack __meta_kubernetes_pod_deployment_name: the replicasets informer never fills, and role endpointslice does not wait for it`,
		},
		{
			name: "jobs not waited for by endpoints",
			perm: perm(VerbList, "jobs", ""), need: need(promkubernetes.RoleEndpoint),
			want: `targets lack __meta_kubernetes_pod_cronjob_name (with attach_metadata.cronjob): the jobs informer never fills, and role endpoints does not wait for it`,
		},
		{
			name: "watch denied, list allowed",
			perm: perm(VerbWatch, "pods", ""), need: need(promkubernetes.RoleEndpoint), otherAllowed: true,
			want: `list allowed but watch denied (Prometheus needs both): the pods informer lists, then every watch is refused and it lists everything again after a back-off of up to 30s; targets lag behind the cluster and Prometheus logs "forbidden" each time`,
		},
		{
			name: "list denied, watch allowed",
			perm: perm(VerbList, "services", "mon"), need: need(promkubernetes.RoleEndpointSlice), otherAllowed: true,
			want: `watch allowed but list denied (Prometheus needs both): the services informer fills from a streaming watch-list where the API server serves one; where it falls back to a plain LIST (older API servers, a failed watch-list), role endpointslice emits nothing in namespace "mon": Prometheus waits for the services informer to sync`,
		},
		{
			name: "watch denied with list",
			perm: perm(VerbWatch, "pods", "shop"), need: need(promkubernetes.RolePod),
			want: `no targets in namespace "shop": Prometheus waits forever for the pods informer to sync`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.perm.NeededBy = []Need{tt.need}
			got := blockedBy(tt.perm, tt.otherAllowed)
			want := []Blocked{{Need: tt.need, Effect: tt.want}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddBlocks(t *testing.T) {
	t.Parallel()
	n := []Need{{Job: "j", Role: promkubernetes.RoleNode}}
	access := []Access{
		{Permission: Permission{Verb: VerbList, Resource: "nodes", NeededBy: n}, Allowed: true},
		{Permission: Permission{Verb: VerbWatch, Resource: "nodes", NeededBy: n}},
		{Permission: Permission{Verb: VerbList, Resource: "pods", Namespace: "a", NeededBy: n}},
		{Permission: Permission{Verb: VerbWatch, Resource: "pods", Namespace: "a", NeededBy: n}},
		{Permission: Permission{Verb: VerbList, Resource: "pods", Namespace: "b", NeededBy: n}, Allowed: true},
		{Permission: Permission{Verb: VerbList, Resource: "services", NeededBy: n}},
		{Permission: Permission{Verb: VerbWatch, Resource: "services", NeededBy: n}, Allowed: true},
	}
	addBlocks(access)
	for i, wantBlocked := range []bool{false, true, true, true, false, true, false} {
		if got := access[i].Blocks != nil; got != wantBlocked {
			t.Errorf("%s: blocked %v, want %v", access[i].Permission, got, wantBlocked)
		}
	}
	if e := access[1].Blocks[0].Effect; !strings.HasPrefix(e, "list allowed but watch denied") {
		t.Errorf("watch nodes with list allowed: %s", e)
	}
	for _, i := range []int{2, 3} {
		if e := access[i].Blocks[0].Effect; strings.Contains(e, "allowed") {
			t.Errorf("%s, the other verb denied too: %s", access[i].Permission, e)
		}
	}
	if e := access[5].Blocks[0].Effect; !strings.HasPrefix(e, "watch allowed but list denied") {
		t.Errorf("list services with watch allowed: %s", e)
	}
}

func TestServiceAccountUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		user, ns, name string
		ok             bool
	}{
		{"system:serviceaccount:monitoring:prometheus", "monitoring", "prometheus", true},
		{"system:serviceaccount:monitoring", "", "", false},
		{"system:serviceaccount::x", "", "", false},
		{"system:serviceaccount:a:b:c", "", "", false},
		{"prometheus", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			t.Parallel()
			ns, name, ok := splitServiceAccountUser(tt.user)
			if ok != tt.ok || (ok && (ns != tt.ns || name != tt.name)) {
				t.Errorf("got %q, %q, %v; want %q, %q, %v", ns, name, ok, tt.ns, tt.name, tt.ok)
			}
		})
	}
}

// ssarReactor answers SelfSubjectAccessReviews: allowed are the
// permissions, as Permission.String formats them, that allow lists.
func ssarReactor(allow ...string) k8stesting.ReactionFunc {
	return func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		ra := r.Spec.ResourceAttributes
		p := Permission{Verb: ra.Verb, Group: ra.Group, Resource: ra.Resource, Namespace: ra.Namespace}
		r.Status.Allowed = slices.Contains(allow, p.String())
		return true, r, nil
	}
}

func TestReviewAccess(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	calls := 0
	cs.PrependReactor("create", "selfsubjectreviews", whoamiReactor("ci", []string{"system:ci", "system:authenticated"}, &calls))
	cs.PrependReactor("create", "selfsubjectaccessreviews", ssarReactor("list nodes", "watch nodes", "list pods in all namespaces"))
	jobs := []JobSD{{Job: "pods", SD: sdConfig(t, `{role: pod, attach_metadata: {node: true, namespace: true}}`)}}
	review, err := reviewAccessWith(context.Background(), cs, rest.ImpersonationConfig{}, Permissions(Requests(jobs)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if review.User != "ci" || !slices.Equal(review.Groups, []string{"system:ci", "system:authenticated"}) {
		t.Errorf("identity %q %q, want the SelfSubjectReview's", review.User, review.Groups)
	}
	got := map[string][]string{}
	for _, a := range review.Access {
		var effects []string
		for _, b := range a.Blocks {
			effects = append(effects, b.Need.String()+": "+b.Effect)
		}
		got[fmt.Sprintf("%s allowed=%v", a.Permission, a.Allowed)] = effects
	}
	want := map[string][]string{
		"list namespaces allowed=false":              {`job "pods" (role pod): role pod emits nothing: Prometheus waits for the namespaces informer to sync`},
		"watch namespaces allowed=false":             {`job "pods" (role pod): role pod emits nothing: Prometheus waits for the namespaces informer to sync`},
		"list nodes allowed=true":                    nil,
		"watch nodes allowed=true":                   nil,
		"list pods in all namespaces allowed=true":   nil,
		"watch pods in all namespaces allowed=false": {`job "pods" (role pod): list allowed but watch denied (Prometheus needs both): the pods informer lists, then every watch is refused and it lists everything again after a back-off of up to 30s; targets lag behind the cluster and Prometheus logs "forbidden" each time`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("review (-want +got):\n%s", diff)
	}
	if n := len(review.Denied()); n != 3 {
		t.Errorf("%d denied, want 3", n)
	}
}

func TestReviewAccessErrors(t *testing.T) {
	t.Parallel()
	refusedImpersonation := apierrors.NewForbidden(schema.GroupResource{Resource: "serviceaccounts"}, "prometheus",
		errors.New(`User "ci" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "monitoring"`))
	tests := []struct {
		name string
		im   rest.ImpersonationConfig
		err  error
		want string
	}{
		{
			name: "impersonating a service account",
			im:   rest.ImpersonationConfig{UserName: "system:serviceaccount:monitoring:prometheus"},
			err:  refusedImpersonation,
			want: `User "ci" may not impersonate user "system:serviceaccount:monitoring:prometheus" (--as): checking another identity takes the verb impersonate on serviceaccounts "prometheus" in namespace "monitoring", or run can-i with that identity's own credentials (the API server said: serviceaccounts "prometheus" is forbidden: User "ci" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "monitoring")`,
		},
		{
			name: "impersonating a user and a group",
			im:   rest.ImpersonationConfig{UserName: "bob", Groups: []string{"dev"}},
			err:  apierrors.NewForbidden(schema.GroupResource{Resource: "users"}, "bob", errors.New("no")),
			want: `the caller may not impersonate user "bob" (--as) and group "dev" (--as-group): checking another identity takes the verb impersonate on users "bob" and groups "dev", or run can-i with that identity's own credentials (the API server said: users "bob" is forbidden: no)`,
		},
		{
			name: "unauthorized",
			err:  apierrors.NewUnauthorized("Unauthorized"),
			want: "the API server at https://k rejected the credentials (401 Unauthorized)",
		},
		{
			name: "forbidden without impersonation",
			err:  apierrors.NewForbidden(schema.GroupResource{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}, "", errors.New("no")),
			want: "selfsubjectaccessreviews.authorization.k8s.io is forbidden: no",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset()
			cs.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, tt.err
			})
			perms := []Permission{{Verb: VerbList, Resource: "nodes"}}
			_, err := reviewAccessWith(context.Background(), cs, tt.im, perms, &Credentials{Server: "https://k"})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to start with\n%s", err, tt.want)
			}
		})
	}
}
