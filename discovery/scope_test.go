package discovery_test

import (
	"strings"
	"testing"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/discovery"
)

func TestNamespaces(t *testing.T) {
	svc := func(ns string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: " + ns + "}\nspec: {ports: [{port: 80}]}\n"
	}
	objects := []string{svc("a"), svc("b"), svc("own")}
	tests := []struct {
		name    string
		ns      kubernetes.NamespaceDiscovery
		own     string
		sources []string
	}{
		{name: "all namespaces", sources: []string{"svc/a/s", "svc/b/s", "svc/own/s"}},
		{name: "names", ns: kubernetes.NamespaceDiscovery{Names: []string{"b"}}, sources: []string{"svc/b/s"}},
		{name: "duplicate names", ns: kubernetes.NamespaceDiscovery{Names: []string{"b", "b"}}, sources: []string{"svc/b/s"}},
		{name: "own namespace alone", ns: kubernetes.NamespaceDiscovery{IncludeOwnNamespace: true}, own: "own", sources: []string{"svc/own/s"}},
		{name: "own namespace added to names", ns: kubernetes.NamespaceDiscovery{IncludeOwnNamespace: true, Names: []string{"a"}}, own: "own", sources: []string{"svc/a/s", "svc/own/s"}},
		{name: "own namespace already listed", ns: kubernetes.NamespaceDiscovery{IncludeOwnNamespace: true, Names: []string{"own"}}, own: "own", sources: []string{"svc/own/s"}},
		// getNamespaces returns no namespace at all here, so no discoverer runs.
		{name: "own namespace unknown", ns: kubernetes.NamespaceDiscovery{IncludeOwnNamespace: true}, sources: []string{}},
		{name: "own namespace unknown with names", ns: kubernetes.NamespaceDiscovery{IncludeOwnNamespace: true, Names: []string{"a"}}, sources: []string{"svc/a/s"}},
		{name: "own namespace ignored without own_namespace", ns: kubernetes.NamespaceDiscovery{Names: []string{"a"}}, own: "own", sources: []string{"svc/a/s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := kubernetes.DefaultSDConfig
			cfg.Role = kubernetes.RoleService
			cfg.NamespaceDiscovery = tt.ns
			groups, err := discovery.Discover(snapshot(t, objects...), &cfg, discovery.Options{OwnNamespace: tt.own})
			if err != nil {
				t.Fatal(err)
			}
			checkSources(t, groups, tt.sources)
		})
	}
}

func TestPodFieldSelectors(t *testing.T) {
	pod := func(name, spec, status string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: ns, labels: {app: " + name + "}}\n" +
			"spec: {containers: [{name: c, image: i}]" + spec + "}\nstatus: {podIP: 10.0.0.1" + status + "}\n"
	}
	objects := []string{
		pod("a", ", nodeName: n1, hostNetwork: true, restartPolicy: Always, schedulerName: default-scheduler, serviceAccountName: sa1", ", phase: Running, nominatedNodeName: n9"),
		pod("b", ", nodeName: n2, restartPolicy: Never", ", phase: Succeeded"),
	}
	tests := []struct {
		field   string
		label   string
		sources []string
	}{
		{field: "spec.nodeName=n1", sources: []string{"pod/ns/a"}},
		{field: "spec.host=n2", sources: []string{"pod/ns/b"}}, // legacy alias of spec.nodeName
		{field: "spec.hostNetwork=false", sources: []string{"pod/ns/b"}},
		{field: "spec.restartPolicy!=Always", sources: []string{"pod/ns/b"}},
		{field: "spec.schedulerName=default-scheduler", sources: []string{"pod/ns/a"}},
		{field: "spec.serviceAccountName=sa1", sources: []string{"pod/ns/a"}},
		{field: "status.phase==Running", sources: []string{"pod/ns/a"}},
		{field: "status.podIP=10.0.0.1,metadata.name=b", sources: []string{"pod/ns/b"}},
		{field: "status.nominatedNodeName=n9", sources: []string{"pod/ns/a"}},
		{field: "metadata.namespace=other", sources: []string{}},
		// Accepted by the API server but not selectable: compares against "".
		{field: "status.podIPs=10.0.0.1", sources: []string{}},
		{field: "status.podIPs=", sources: []string{"pod/ns/a", "pod/ns/b"}},
		{label: "app notin (a)", sources: []string{"pod/ns/b"}},
		{label: "app", field: "spec.nodeName=n2", sources: []string{"pod/ns/b"}},
		{label: "!app", sources: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.label+"|"+tt.field, func(t *testing.T) {
			cfg := kubernetes.DefaultSDConfig
			cfg.Role = kubernetes.RolePod
			cfg.Selectors = []kubernetes.SelectorConfig{{Role: kubernetes.RolePod, Label: tt.label, Field: tt.field}}
			groups, err := discovery.Discover(snapshot(t, objects...), &cfg, discovery.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkSources(t, groups, tt.sources)
		})
	}
}

func TestSelectorErrors(t *testing.T) {
	tests := []struct {
		name    string
		role    kubernetes.Role
		sel     kubernetes.SelectorConfig
		wantErr string
	}{
		{name: "unknown pod field", role: kubernetes.RolePod, sel: kubernetes.SelectorConfig{Role: kubernetes.RolePod, Field: "spec.priority=1"}, wantErr: "field label not supported: spec.priority"},
		{name: "node namespace field", role: kubernetes.RoleNode, sel: kubernetes.SelectorConfig{Role: kubernetes.RoleNode, Field: "metadata.namespace=x"}, wantErr: "field label not supported: metadata.namespace"},
		{name: "service field", role: kubernetes.RoleService, sel: kubernetes.SelectorConfig{Role: kubernetes.RoleService, Field: "spec.externalName=x"}, wantErr: "field label not supported: spec.externalName"},
		{name: "endpoints field", role: kubernetes.RoleEndpoint, sel: kubernetes.SelectorConfig{Role: kubernetes.RoleEndpoint, Field: "subsets=x"}, wantErr: `"subsets" is not a known field selector: only "metadata.name", "metadata.namespace"`},
		{name: "endpointslice field", role: kubernetes.RoleEndpointSlice, sel: kubernetes.SelectorConfig{Role: kubernetes.RoleEndpointSlice, Field: "addressType=IPv4"}, wantErr: `"addressType" is not a known field selector`},
		{name: "ingress field", role: kubernetes.RoleIngress, sel: kubernetes.SelectorConfig{Role: kubernetes.RoleIngress, Field: "spec.ingressClassName=nginx"}, wantErr: `"spec.ingressClassName" is not a known field selector`},
		{name: "bad label selector", role: kubernetes.RolePod, sel: kubernetes.SelectorConfig{Role: kubernetes.RolePod, Label: "a=b=c"}, wantErr: "parsing label selector"},
		{name: "bad field selector", role: kubernetes.RolePod, sel: kubernetes.SelectorConfig{Role: kubernetes.RolePod, Field: "foo"}, wantErr: "invalid selector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := kubernetes.DefaultSDConfig
			cfg.Role = tt.role
			cfg.Selectors = []kubernetes.SelectorConfig{tt.sel}
			_, err := discovery.Discover(&discovery.Snapshot{}, &cfg, discovery.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDiscoverArguments(t *testing.T) {
	cfg := kubernetes.DefaultSDConfig
	cfg.Role = "pods"
	if _, err := discovery.Discover(nil, &cfg, discovery.Options{}); err == nil || !strings.Contains(err.Error(), `unknown Kubernetes SD role "pods"`) {
		t.Errorf("unknown role: err = %v", err)
	}
	if _, err := discovery.Discover(nil, nil, discovery.Options{}); err == nil {
		t.Error("nil config: want an error")
	}
	cfg.Role = kubernetes.RoleEndpointSlice
	groups, err := discovery.Discover(nil, &cfg, discovery.Options{})
	if err != nil || len(groups) != 0 {
		t.Errorf("nil snapshot: groups %v, err %v; want none and no error", groups, err)
	}
}

func TestDuplicateObjectsLastWins(t *testing.T) {
	svc := func(port string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\nspec: {ports: [{port: " + port + "}]}\n"
	}
	groups := run(t, "role: service", discovery.Options{}, svc("80"), svc("81"))
	checkSources(t, groups, []string{"svc/ns/s"})
	checkLabels(t, groups, []labelWant{{source: "svc/ns/s", target: 0, name: "__address__", value: "s.ns.svc:81"}})
}
