package oracle_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/fakeapi"
	"github.com/sdinspect/sdinspect/internal/oracle"
)

func pod(ns, name, ip, phase string, lbls map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name), Labels: lbls},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{
			Name: "app", Image: "example/app:1",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
		}}},
		Status: corev1.PodStatus{PodIP: ip, Phase: corev1.PodPhase(phase)},
	}
}

func testSnapshot() *discovery.Snapshot {
	return &discovery.Snapshot{Pods: []*corev1.Pod{
		pod("shop", "web-1", "10.1.2.3", "Running", map[string]string{"app": "web", "app.kubernetes.io/part-of": "shop"}),
		pod("shop", "web-2", "10.1.2.4", "Pending", map[string]string{"app": "web"}),
		pod("shop", "db-1", "10.1.2.5", "Running", map[string]string{"app": "db"}),
		pod("shop", "no-ip", "", "Pending", nil),
		pod("other", "web-1", "fd00::1", "Running", map[string]string{"app": "web"}),
	}}
}

// runOracle serves snap and runs Prometheus's discovery for sd against it.
func runOracle(t *testing.T, snap *discovery.Snapshot, sd *kubernetes.SDConfig) ([]*targetgroup.Group, *fakeapi.Server) {
	t.Helper()
	srv := fakeapi.Start(snap)
	t.Cleanup(srv.Close)
	groups, err := oracle.DiscoverWithOptions(context.Background(), srv.URL, sd, oracle.Options{Ready: srv.Synced, Listed: srv.Listed})
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	return groups, srv
}

func sources(groups []*targetgroup.Group) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g.Source)
	}
	return out
}

func TestDiscoverPodRole(t *testing.T) {
	t.Parallel()
	sd := &kubernetes.SDConfig{Role: kubernetes.RolePod, NamespaceDiscovery: kubernetes.NamespaceDiscovery{Names: []string{"shop"}}}
	groups, srv := runOracle(t, testSnapshot(), sd)

	// no-ip has no address, so its group is empty and left out; the pod in
	// "other" is outside the namespaces asked for.
	if diff := cmp.Diff([]string{"pod/shop/db-1", "pod/shop/web-1", "pod/shop/web-2"}, sources(groups)); diff != "" {
		t.Fatalf("sources (-want +got):\n%s", diff)
	}
	g := groups[1]
	for name, want := range map[model.LabelName]model.LabelValue{
		"__meta_kubernetes_pod_name":                                   "web-1",
		"__meta_kubernetes_namespace":                                  "shop",
		"__meta_kubernetes_pod_ip":                                     "10.1.2.3",
		"__meta_kubernetes_pod_phase":                                  "Running",
		"__meta_kubernetes_pod_ready":                                  "unknown",
		"__meta_kubernetes_pod_label_app_kubernetes_io_part_of":        "shop",
		"__meta_kubernetes_pod_labelpresent_app_kubernetes_io_part_of": "true",
	} {
		if got := g.Labels[name]; got != want {
			t.Errorf("group label %s = %q, want %q", name, got, want)
		}
	}
	if len(g.Targets) != 1 {
		t.Fatalf("got %d targets, want 1: %v", len(g.Targets), g.Targets)
	}
	if got := g.Targets[0]["__address__"]; got != "10.1.2.3:8080" {
		t.Errorf("__address__ = %q, want 10.1.2.3:8080", got)
	}
	if got := g.Targets[0]["__meta_kubernetes_pod_container_port_name"]; got != "http" {
		t.Errorf("container port name = %q, want http", got)
	}

	var lists []string
	for _, r := range srv.Requests() {
		if r.Kind == fakeapi.List {
			lists = append(lists, r.Path)
		}
	}
	if diff := cmp.Diff([]string{"/api/v1/namespaces/shop/pods"}, lists); diff != "" {
		t.Errorf("LIST requests (-want +got):\n%s", diff)
	}
}

func TestDiscoverSelectors(t *testing.T) {
	t.Parallel()
	sd := &kubernetes.SDConfig{Role: kubernetes.RolePod, Selectors: []kubernetes.SelectorConfig{
		{Role: kubernetes.RolePod, Label: "app in (web)", Field: "status.phase=Running"},
	}}
	groups, _ := runOracle(t, testSnapshot(), sd)
	if diff := cmp.Diff([]string{"pod/other/web-1", "pod/shop/web-1"}, sources(groups)); diff != "" {
		t.Fatalf("sources (-want +got):\n%s", diff)
	}
	// An IPv6 pod IP gets brackets in the address.
	if got := groups[0].Targets[0]["__address__"]; got != "[fd00::1]:8080" {
		t.Errorf("__address__ = %q, want [fd00::1]:8080", got)
	}
}

func TestDiscoverNodeWithoutAddress(t *testing.T) {
	t.Parallel()
	// Prometheus sends nothing at all for a node without an address; the
	// run must still settle, well before its maximum wait.
	snap := &discovery.Snapshot{Nodes: []*corev1.Node{
		{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Status: corev1.NodeStatus{
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "n1"}, {Type: corev1.NodeExternalIP, Address: "192.0.2.1"}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "n2"}},
	}}
	srv := fakeapi.Start(snap)
	defer srv.Close()
	start := time.Now()
	groups, err := oracle.DiscoverWithOptions(context.Background(), srv.URL, &kubernetes.SDConfig{Role: kubernetes.RoleNode},
		oracle.Options{Ready: srv.Synced, Listed: srv.Listed, MaxWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %v to settle", elapsed)
	}
	if diff := cmp.Diff([]string{"node/n1"}, sources(groups)); diff != "" {
		t.Fatalf("sources (-want +got):\n%s", diff)
	}
	// ExternalIP comes before Hostname in Prometheus's address order.
	if got := groups[0].Targets[0]["__address__"]; got != "192.0.2.1:10250" {
		t.Errorf("__address__ = %q, want 192.0.2.1:10250", got)
	}
}

func TestDiscoverFailsWhenListRefused(t *testing.T) {
	t.Parallel()
	// The API server does not accept metadata.namespace for nodes, so the
	// node informer never syncs and Prometheus emits nothing at all.
	sd := &kubernetes.SDConfig{Role: kubernetes.RoleNode, Selectors: []kubernetes.SelectorConfig{
		{Role: kubernetes.RoleNode, Field: "metadata.namespace=x"},
	}}
	srv := fakeapi.Start(testSnapshot())
	defer srv.Close()
	_, err := oracle.DiscoverWithOptions(context.Background(), srv.URL, sd,
		oracle.Options{Ready: srv.Synced, Listed: srv.Listed, MaxWait: 1500 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "not synced") {
		t.Fatalf("got error %v, want informers not synced", err)
	}
}

func TestDiscoverRefusesOwnNamespace(t *testing.T) {
	t.Parallel()
	sd := &kubernetes.SDConfig{Role: kubernetes.RolePod, NamespaceDiscovery: kubernetes.NamespaceDiscovery{IncludeOwnNamespace: true}}
	if _, err := oracle.Discover(context.Background(), "http://127.0.0.1:1", sd); err == nil {
		t.Fatal("got no error for own_namespace")
	}
}
