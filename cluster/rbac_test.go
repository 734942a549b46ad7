package cluster

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sdinspect/sdinspect/internal/testcluster"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// describeRBAC summarizes RBAC objects, one line per rule or binding.
func describeRBAC(objs []runtime.Object) []string {
	var out []string
	rule := func(prefix string, rs []rbacv1.PolicyRule) {
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s: %q %s: %s", prefix, r.APIGroups, strings.Join(r.Resources, ","), strings.Join(r.Verbs, ",")))
		}
	}
	subjects := func(ss []rbacv1.Subject) string {
		var s []string
		for _, x := range ss {
			name := x.Name
			if x.Namespace != "" {
				name = x.Namespace + "/" + x.Name
			}
			s = append(s, x.Kind+" "+name)
		}
		return strings.Join(s, ",")
	}
	for _, o := range objs {
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			rule("ClusterRole "+o.Name, o.Rules)
		case *rbacv1.Role:
			rule("Role "+o.Namespace+"/"+o.Name, o.Rules)
		case *rbacv1.ClusterRoleBinding:
			out = append(out, fmt.Sprintf("ClusterRoleBinding %s: %s %s to %s", o.Name, o.RoleRef.Kind, o.RoleRef.Name, subjects(o.Subjects)))
		case *rbacv1.RoleBinding:
			out = append(out, fmt.Sprintf("RoleBinding %s/%s: %s %s to %s", o.Namespace, o.Name, o.RoleRef.Kind, o.RoleRef.Name, subjects(o.Subjects)))
		default:
			out = append(out, fmt.Sprintf("unexpected %T", o))
		}
	}
	return out
}

// rbacFor returns the RBAC for kubernetes_sd_configs, one job each.
func rbacFor(t *testing.T, subject rbacv1.Subject, sds ...string) []runtime.Object {
	t.Helper()
	var jobs []JobSD
	for i, sd := range sds {
		jobs = append(jobs, JobSD{Job: fmt.Sprintf("job%d", i), SD: sdConfig(t, sd)})
	}
	objs, err := RBAC(Permissions(Requests(jobs)), "prometheus-sd", subject)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestRBAC(t *testing.T) {
	t.Parallel()
	group := GroupSubject("monitoring")
	tests := []struct {
		name    string
		subject rbacv1.Subject
		sds     []string
		want    []string
	}{
		{
			name:    "every job cluster-wide",
			subject: group,
			sds:     []string{`{role: pod, attach_metadata: {node: true, deployment: true}}`, `{role: ingress}`, `{role: endpointslice}`},
			want: []string{
				`ClusterRole prometheus-sd: [""] nodes,pods,services: list,watch`,
				`ClusterRole prometheus-sd: ["apps"] replicasets: list,watch`,
				`ClusterRole prometheus-sd: ["discovery.k8s.io"] endpointslices: list,watch`,
				`ClusterRole prometheus-sd: ["networking.k8s.io"] ingresses: list,watch`,
				`ClusterRoleBinding prometheus-sd: ClusterRole prometheus-sd to Group monitoring`,
			},
		},
		{
			name:    "every job names its namespaces, nothing cluster-scoped",
			subject: UserSubject("ci"),
			sds:     []string{`{role: endpoints, namespaces: {names: [shop, mon]}}`, `{role: pod, namespaces: {names: [mon]}, attach_metadata: {cronjob: true}}`},
			want: []string{
				`Role mon/prometheus-sd: [""] endpoints,pods,services: list,watch`,
				`Role mon/prometheus-sd: ["batch"] jobs: list,watch`,
				`RoleBinding mon/prometheus-sd: Role prometheus-sd to User ci`,
				`Role shop/prometheus-sd: [""] endpoints,pods,services: list,watch`,
				`RoleBinding shop/prometheus-sd: Role prometheus-sd to User ci`,
			},
		},
		{
			name:    "namespaced jobs with node and namespace metadata",
			subject: rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "monitoring", Name: "prometheus"},
			sds:     []string{`{role: endpointslice, namespaces: {names: [mon]}, attach_metadata: {node: true, namespace: true}}`},
			want: []string{
				`ClusterRole prometheus-sd: [""] namespaces,nodes: list,watch`,
				`ClusterRoleBinding prometheus-sd: ClusterRole prometheus-sd to ServiceAccount monitoring/prometheus`,
				`Role mon/prometheus-sd: [""] pods,services: list,watch`,
				`Role mon/prometheus-sd: ["discovery.k8s.io"] endpointslices: list,watch`,
				`RoleBinding mon/prometheus-sd: Role prometheus-sd to ServiceAccount monitoring/prometheus`,
			},
		},
		{
			name:    "a namespace covered by a cluster-wide need keeps only the rest",
			subject: group,
			sds:     []string{`{role: pod}`, `{role: endpointslice, namespaces: {names: [mon]}}`, `{role: node}`},
			want: []string{
				`ClusterRole prometheus-sd: [""] nodes,pods: list,watch`,
				`ClusterRoleBinding prometheus-sd: ClusterRole prometheus-sd to Group monitoring`,
				`Role mon/prometheus-sd: [""] services: list,watch`,
				`Role mon/prometheus-sd: ["discovery.k8s.io"] endpointslices: list,watch`,
				`RoleBinding mon/prometheus-sd: Role prometheus-sd to Group monitoring`,
			},
		},
		{
			name:    "no jobs",
			subject: group,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := describeRBAC(rbacFor(t, tt.subject, tt.sds...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RBAC (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRBACRefuses(t *testing.T) {
	t.Parallel()
	subject := GroupSubject("g")
	tests := []struct {
		name string
		perm Permission
		obj  string
		want string
	}{
		{name: "secrets", perm: Permission{Verb: VerbList, Resource: "secrets"}, want: `discovery never reads "secrets"`},
		{name: "wildcard resource", perm: Permission{Verb: VerbList, Resource: "*"}, want: `discovery never reads "*"`},
		{name: "wildcard verb", perm: Permission{Verb: "*", Resource: "pods"}, want: "discovery only lists and watches"},
		{name: "get", perm: Permission{Verb: "get", Resource: "pods"}, want: "discovery only lists and watches"},
		{name: "wrong group", perm: Permission{Verb: VerbList, Group: "*", Resource: "pods"}, want: `"pods" is in API group ""`},
		{name: "bad name", perm: Permission{Verb: VerbList, Resource: "pods"}, obj: "Prometheus SD", want: `RBAC object name "Prometheus SD"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := tt.obj
			if name == "" {
				name = "prometheus-sd"
			}
			objs, err := RBAC([]Permission{tt.perm}, name, subject)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, %v; want an error containing %q", describeRBAC(objs), err, tt.want)
			}
		})
	}
}

func TestServiceAccountSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    rbacv1.Subject
		wantErr string
	}{
		{in: "monitoring/prometheus", want: rbacv1.Subject{Kind: "ServiceAccount", Namespace: "monitoring", Name: "prometheus"}},
		{in: "system:serviceaccount:monitoring:prometheus", want: rbacv1.Subject{Kind: "ServiceAccount", Namespace: "monitoring", Name: "prometheus"}},
		{in: "prometheus", wantErr: "want NAMESPACE/NAME"},
		{in: "a/b/c", wantErr: "want NAMESPACE/NAME"},
		{in: "/prometheus", wantErr: `namespace ""`},
		{in: "Mon/prometheus", wantErr: `namespace "Mon"`},
		{in: "mon/", wantErr: `name ""`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ServiceAccountSubject(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %v, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteRBAC checks that the YAML decodes, strictly, to the objects
// written; the golden file guards the form against unnoticed changes.
func TestWriteRBAC(t *testing.T) {
	t.Parallel()
	objs := rbacFor(t, GroupSubject("system:monitoring"),
		`{role: pod}`, `{role: endpointslice, namespaces: {names: [monitoring]}, attach_metadata: {node: true}}`, `{role: service}`, `{role: node}`)
	var buf bytes.Buffer
	if err := WriteRBAC(&buf, objs); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("creationTimestamp")) || bytes.Contains(buf.Bytes(), []byte("*")) {
		t.Errorf("output has a creation timestamp or a wildcard:\n%s", buf.Bytes())
	}
	decoded := testcluster.DecodeStrict(t, buf.Bytes())
	if diff := cmp.Diff(objs, decoded); diff != "" {
		t.Errorf("decoded objects differ (-written +decoded):\n%s", diff)
	}
	golden := filepath.Join("testdata", "rbac", "example.yaml")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("%s (-want +got):\n%s", golden, diff)
	}
}

func TestIdentitySubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		user   string
		groups []string
		want   rbacv1.Subject
		ok     bool
	}{
		{name: "certificate with a group", user: "ci", groups: []string{"system:authenticated", "system:ci", "other"}, want: GroupSubject("system:ci"), ok: true},
		{name: "certificate without a group", user: "ci", groups: []string{"system:authenticated"}, want: UserSubject("ci"), ok: true},
		{
			name: "service account", user: "system:serviceaccount:monitoring:prometheus",
			groups: []string{"system:serviceaccounts", "system:serviceaccounts:monitoring", "system:authenticated"},
			want:   rbacv1.Subject{Kind: "ServiceAccount", Namespace: "monitoring", Name: "prometheus"}, ok: true,
		},
		{name: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := IdentitySubject(tt.user, tt.groups)
			if ok != tt.ok || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPartialIdentity(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	calls := 0
	cs.PrependReactor("create", "selfsubjectreviews", whoamiReactor("ci", []string{"system:ci", "system:authenticated"}, &calls))
	cs.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, forbidden("ci", "pods", "")
	})
	reqs := []Request{{Resource: "pods"}, {Resource: "nodes"}}
	_, partial, err := listWith(context.Background(), cs, reqs, ListOptions{AllowPartial: true}, nil)
	if err != nil || partial == nil {
		t.Fatalf("got partial %v, error %v; want pods refused", partial, err)
	}
	user, groups := partial.Identity()
	if user != "ci" || !slices.Equal(groups, []string{"system:ci", "system:authenticated"}) {
		t.Errorf("Identity() = %q, %q", user, groups)
	}
}
