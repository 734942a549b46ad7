package cluster

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v2"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/internal/fakeapi"
	"github.com/sdinspect/sdinspect/internal/gencluster"
	"github.com/sdinspect/sdinspect/internal/oracle"
)

// sdConfig parses a kubernetes_sd_config as Prometheus does.
func sdConfig(t *testing.T, text string) *kubernetes.SDConfig {
	t.Helper()
	sd := &kubernetes.SDConfig{}
	if err := yaml.UnmarshalStrict([]byte(text), sd); err != nil {
		t.Fatalf("parsing %s: %v", text, err)
	}
	return sd
}

// req abbreviates a Request without NeededBy.
func req(resource, namespace, label, field string) Request {
	return Request{Resource: resource, Namespace: namespace, LabelSelector: label, FieldSelector: field}
}

// withoutNeeds drops NeededBy, for tests about the requests alone.
func withoutNeeds(reqs []Request) []Request {
	if len(reqs) == 0 {
		return nil
	}
	out := make([]Request, len(reqs))
	for i, r := range reqs {
		r.NeededBy = nil
		out[i] = r
	}
	return out
}

func TestRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sd   string
		own  string
		want []Request
	}{
		{
			name: "node",
			sd:   `{role: node, selectors: [{role: node, label: "a=b", field: "spec.unschedulable=false"}]}`,
			want: []Request{req("nodes", "", "a=b", "spec.unschedulable=false")},
		},
		{
			name: "pod with every attachment in two namespaces",
			sd: `{role: pod, namespaces: {names: [b, a]}, attach_metadata: {node: true, namespace: true, deployment: true, cronjob: true},
				selectors: [{role: pod, label: app}, {role: node, field: "metadata.name=n1"}]}`,
			want: []Request{
				req("jobs", "a", "", ""), req("jobs", "b", "", ""),
				req("namespaces", "", "", ""),
				req("nodes", "", "", "metadata.name=n1"),
				req("pods", "a", "app", ""), req("pods", "b", "app", ""),
				req("replicasets", "a", "", ""), req("replicasets", "b", "", ""),
			},
		},
		{
			name: "attach_metadata.job starts the job informer too",
			sd:   `{role: pod, attach_metadata: {job: true}}`,
			want: []Request{req("jobs", "", "", ""), req("pods", "", "", "")},
		},
		{
			name: "endpoints",
			sd:   `{role: endpoints, selectors: [{role: endpoints, label: x}, {role: service, field: "spec.type=ClusterIP"}, {role: pod, label: "app!=db"}]}`,
			want: []Request{
				req("endpoints", "", "x", ""),
				req("pods", "", "app!=db", ""),
				req("services", "", "", "spec.type=ClusterIP"),
			},
		},
		{
			name: "endpointslice lists cluster-wide metadata once for all namespaces",
			sd:   `{role: endpointslice, namespaces: {names: [x, y]}, attach_metadata: {node: true, namespace: true}}`,
			want: []Request{
				req("endpointslices", "x", "", ""), req("endpointslices", "y", "", ""),
				req("namespaces", "", "", ""), req("nodes", "", "", ""),
				req("pods", "x", "", ""), req("pods", "y", "", ""),
				req("services", "x", "", ""), req("services", "y", "", ""),
			},
		},
		{
			name: "service ignores node metadata",
			sd:   `{role: service, attach_metadata: {node: true, namespace: true}, selectors: [{role: service, label: "!tier"}]}`,
			want: []Request{req("namespaces", "", "", ""), req("services", "", "!tier", "")},
		},
		{
			name: "ingress",
			sd:   `{role: ingress, namespaces: {names: [web]}, selectors: [{role: ingress, field: "metadata.name!=x"}]}`,
			want: []Request{req("ingresses", "web", "", "metadata.name!=x")},
		},
		{
			name: "own namespace known",
			sd:   `{role: service, namespaces: {own_namespace: true, names: [a]}}`,
			own:  "monitoring",
			want: []Request{req("services", "a", "", ""), req("services", "monitoring", "", "")},
		},
		{
			name: "own namespace unknown leaves no namespace but keeps the pod role's node informer",
			sd:   `{role: pod, namespaces: {own_namespace: true}, attach_metadata: {node: true}}`,
			want: []Request{req("nodes", "", "", "")},
		},
		{
			name: "own namespace unknown leaves no endpoints informer at all",
			sd:   `{role: endpoints, namespaces: {own_namespace: true}, attach_metadata: {node: true}}`,
			want: nil,
		},
		{
			name: "a name listed twice is listed once",
			sd:   `{role: pod, namespaces: {names: [a, a]}}`,
			want: []Request{req("pods", "a", "", "")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sd := sdConfig(t, tt.sd)
			got := Requests([]JobSD{{Job: "j", SD: sd, OwnNamespace: tt.own}})
			if diff := cmp.Diff(tt.want, withoutNeeds(got)); diff != "" {
				t.Errorf("Requests (-want +got):\n%s", diff)
			}
			for _, r := range got {
				if diff := cmp.Diff([]Need{{Job: "j", Role: sd.Role}}, r.NeededBy); diff != "" {
					t.Errorf("%s: NeededBy (-want +got):\n%s", r, diff)
				}
			}
		})
	}
}

func TestRequestsMergesJobs(t *testing.T) {
	t.Parallel()
	jobs := []JobSD{
		{Job: "pods", SD: sdConfig(t, `{role: pod, attach_metadata: {node: true}}`)},
		{Job: "eps", SD: sdConfig(t, `{role: endpoints, attach_metadata: {node: true}}`)},
		{Job: "eps", SD: sdConfig(t, `{role: endpoints, namespaces: {names: [shop]}}`)},
		{Job: "none"},
	}
	got := Requests(jobs)
	pods, eps := Need{"pods", kubernetes.RolePod}, Need{"eps", kubernetes.RoleEndpoint}
	want := []Request{
		{Resource: "endpoints", NeededBy: []Need{eps}},
		{Resource: "endpoints", Namespace: "shop", NeededBy: []Need{eps}},
		{Resource: "nodes", NeededBy: []Need{pods, eps}},
		{Resource: "pods", NeededBy: []Need{pods, eps}},
		{Resource: "pods", Namespace: "shop", NeededBy: []Need{eps}},
		{Resource: "services", NeededBy: []Need{eps}},
		{Resource: "services", Namespace: "shop", NeededBy: []Need{eps}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Requests (-want +got):\n%s", diff)
	}
}

func TestRequestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    Request
		want string
	}{
		{"core in namespace", req("pods", "shop", "", ""), `pods in namespace "shop"`},
		{"all namespaces", req("services", "", "", ""), `services in all namespaces`},
		{"cluster scoped", req("nodes", "", "a=b", ""), `nodes with label selector "a=b"`},
		{"group and both selectors", req("endpointslices", "x", "a", "metadata.name=b"),
			`endpointslices.discovery.k8s.io in namespace "x" with label selector "a" and field selector "metadata.name=b"`},
		{"field selector only", req("jobs", "", "", "metadata.name=j"), `jobs.batch in all namespaces with field selector "metadata.name=j"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.r.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRequestsMatchPrometheus runs Prometheus's own discovery against a
// fake API server and compares the LISTs its informers send with Requests.
func TestRequestsMatchPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Prometheus's discovery; skipped with -short")
	}
	t.Parallel()
	snap := gencluster.Generate(1, gencluster.Size{Namespaces: 2, Nodes: 2, Apps: 2})
	variants := map[string]string{
		"node":    `{role: node, selectors: [{role: node, label: "kubernetes.io/os"}]}`,
		"pod":     `{role: pod, namespaces: {names: [default, shop]}, attach_metadata: {node: true, namespace: true, deployment: true, job: true}, selectors: [{role: pod, label: app}, {role: node, field: "spec.unschedulable=false"}]}`,
		"service": `{role: service, attach_metadata: {namespace: true}, selectors: [{role: service, field: "spec.type!=ExternalName"}]}`,
		"endpoints": `{role: endpoints, namespaces: {names: [default, shop]}, attach_metadata: {node: true, namespace: true, deployment: true, cronjob: true},
			selectors: [{role: endpoints, label: app}, {role: service, label: "!tier"}, {role: pod, field: "status.phase=Running"}]}`,
		"endpointslice": `{role: endpointslice, attach_metadata: {node: true, job: true},
			selectors: [{role: endpointslice, label: kubernetes.io/service-name}, {role: pod, label: app}]}`,
		"ingress": `{role: ingress, namespaces: {names: [shop]}, attach_metadata: {namespace: true}, selectors: [{role: ingress, label: app}]}`,
	}
	for name, text := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sd := sdConfig(t, text)
			srv := fakeapi.Start(snap)
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			want := withoutNeeds(Requests([]JobSD{{Job: name, SD: sd}}))
			// Informers Prometheus does not wait for may list late; the
			// run settles only once as many streams as expected listed.
			ready := func() bool { return srv.Synced() && len(listed(srv)) >= len(want) }
			_, err := oracle.DiscoverWithOptions(ctx, srv.URL, sd, oracle.Options{
				Ready: ready, Listed: srv.Listed, MinWait: 500 * time.Millisecond,
			})
			if err != nil {
				t.Errorf("Prometheus's discovery did not settle: %v", err)
			}
			seen := listed(srv)
			if diff := cmp.Diff(want, seen); diff != "" {
				t.Errorf("Requests differs from what Prometheus listed (-Requests +Prometheus):\n%s", diff)
			}
		})
	}
}

// listed returns the distinct first-page LISTs srv answered, sorted.
func listed(srv *fakeapi.Server) []Request {
	var seen []Request
	for _, r := range srv.Requests() {
		if r.Kind != fakeapi.List {
			continue
		}
		got := req(r.Resource, namespaceOfPath(r.Path), r.LabelSelector, r.FieldSelector)
		if !slices.ContainsFunc(seen, func(r Request) bool { return r.key() == got.key() }) {
			seen = append(seen, got)
		}
	}
	sortRequests(seen)
	return seen
}

// namespaceOfPath returns the namespace of a collection path such as
// /api/v1/namespaces/shop/pods.
func namespaceOfPath(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+2 < len(parts); i++ {
		if parts[i] == "namespaces" {
			return parts[i+1]
		}
	}
	return ""
}
