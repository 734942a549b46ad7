package fakeapi_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/fakeapi"
)

func meta(ns, name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}
}

func snapshot() *discovery.Snapshot {
	return &discovery.Snapshot{
		Pods: []*corev1.Pod{
			{ObjectMeta: meta("b", "p3", map[string]string{"app": "web"}),
				Spec:   corev1.PodSpec{NodeName: "n1", HostNetwork: true, RestartPolicy: corev1.RestartPolicyAlways},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.0.0.3"}}}},
			{ObjectMeta: meta("a", "p1", map[string]string{"app": "web", "tier": "front"}),
				Spec:   corev1.PodSpec{NodeName: "n1", ServiceAccountName: "sa"},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1"}},
			{ObjectMeta: meta("a", "p2", map[string]string{"app": "db"}),
				Spec:   corev1.PodSpec{NodeName: "n2", SchedulerName: "custom"},
				Status: corev1.PodStatus{Phase: corev1.PodPending, NominatedNodeName: "n3"}},
		},
		Services: []*corev1.Service{
			{ObjectMeta: meta("a", "s1", nil), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.1"}},
			{ObjectMeta: meta("a", "s2", nil), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "x.example"}},
		},
		Nodes: []*corev1.Node{
			{ObjectMeta: meta("", "n1", map[string]string{"zone": "z1"})},
			{ObjectMeta: meta("", "n2", nil), Spec: corev1.NodeSpec{Unschedulable: true}},
		},
		EndpointSlices: []*discoveryv1.EndpointSlice{{
			ObjectMeta:  meta("a", "s1-abc", map[string]string{"kubernetes.io/service-name": "s1"}),
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, Hostname: ptr.To("")}},
			Ports:       []discoveryv1.EndpointPort{{Port: nil, Name: ptr.To("")}},
		}},
	}
}

func client(t *testing.T, url string) *kubernetes.Clientset {
	t.Helper()
	c, err := kubernetes.NewForConfig(&rest.Config{Host: url, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func names[T any](items []T, name func(*T) string) []string {
	var out []string
	for i := range items {
		out = append(out, name(&items[i]))
	}
	sort.Strings(out)
	return out
}

func podName(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

func TestListPodsWithSelectors(t *testing.T) {
	t.Parallel()
	srv := fakeapi.Start(snapshot())
	defer srv.Close()
	c := client(t, srv.URL)

	tests := []struct {
		name, namespace, label, field string
		want                          []string
	}{
		{name: "all", want: []string{"a/p1", "a/p2", "b/p3"}},
		{name: "namespace path", namespace: "a", want: []string{"a/p1", "a/p2"}},
		{name: "label equality", label: "app=web", want: []string{"a/p1", "b/p3"}},
		{name: "label set and absence", label: "app in (web,db),!tier", want: []string{"a/p2", "b/p3"}},
		{name: "node name", field: "spec.nodeName=n1", want: []string{"a/p1", "b/p3"}},
		{name: "phase negated", field: "status.phase!=Running", want: []string{"a/p2"}},
		{name: "pod IP from podIP", field: "status.podIP=10.0.0.1", want: []string{"a/p1"}},
		{name: "pod IP from podIPs", field: "status.podIP=10.0.0.3", want: []string{"b/p3"}},
		{name: "host network", field: "spec.hostNetwork=true", want: []string{"b/p3"}},
		{name: "host network false", field: "spec.hostNetwork=false", want: []string{"a/p1", "a/p2"}},
		{name: "restart policy", field: "spec.restartPolicy=Always", want: []string{"b/p3"}},
		{name: "scheduler", field: "spec.schedulerName=custom", want: []string{"a/p2"}},
		{name: "service account", field: "spec.serviceAccountName=sa", want: []string{"a/p1"}},
		{name: "nominated node", field: "status.nominatedNodeName=n3", want: []string{"a/p2"}},
		{name: "metadata", field: "metadata.namespace=a,metadata.name!=p1", want: []string{"a/p2"}},
		{name: "both selectors", namespace: "a", label: "app", field: "spec.nodeName=n1", want: []string{"a/p1"}},
		{name: "no match", label: "app=none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := c.CoreV1().Pods(tt.namespace).List(context.Background(), metav1.ListOptions{LabelSelector: tt.label, FieldSelector: tt.field})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, names(l.Items, podName)); diff != "" {
				t.Errorf("pods (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListOtherKindsWithFieldSelectors(t *testing.T) {
	t.Parallel()
	srv := fakeapi.Start(snapshot())
	defer srv.Close()
	c := client(t, srv.URL)
	ctx := context.Background()

	svcs, err := c.CoreV1().Services("a").List(ctx, metav1.ListOptions{FieldSelector: "spec.type=ExternalName"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"s2"}, names(svcs.Items, func(s *corev1.Service) string { return s.Name })); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	svcs, err = c.CoreV1().Services("").List(ctx, metav1.ListOptions{FieldSelector: "spec.clusterIP=10.96.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"s1"}, names(svcs.Items, func(s *corev1.Service) string { return s.Name })); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{FieldSelector: "spec.unschedulable=false", LabelSelector: "zone"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"n1"}, names(nodes.Items, func(n *corev1.Node) string { return n.Name })); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
}

func TestServesObjectsUnchanged(t *testing.T) {
	t.Parallel()
	snap := snapshot()
	srv := fakeapi.Start(snap)
	defer srv.Close()
	l, err := client(t, srv.URL).DiscoveryV1().EndpointSlices("a").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 {
		t.Fatalf("got %d endpoint slices, want 1", len(l.Items))
	}
	// Nil ports and empty-but-set pointers must survive: discovery labels
	// depend on them, and a real server would not default them either.
	if diff := cmp.Diff(*snap.EndpointSlices[0], l.Items[0]); diff != "" {
		t.Errorf("served slice differs (-snapshot +served):\n%s", diff)
	}
	if l.ResourceVersion == "" {
		t.Error("list has no resourceVersion; informers need one to watch from")
	}
}

func TestRejectsBadRequests(t *testing.T) {
	t.Parallel()
	srv := fakeapi.Start(snapshot())
	defer srv.Close()
	c := client(t, srv.URL)
	ctx := context.Background()

	tests := []struct {
		name    string
		call    func() error
		wantMsg string
	}{
		{"unsupported field", func() error {
			_, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{FieldSelector: "metadata.namespace=a"})
			return err
		}, "field label not supported: metadata.namespace"},
		{"unsupported pod field", func() error {
			_, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.priority=1"})
			return err
		}, "field label not supported: spec.priority"},
		{"bad label selector", func() error {
			_, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: "a=b=c"})
			return err
		}, "unable to parse requirement"},
		{"watch-list", func() error {
			w, err := c.CoreV1().Pods("").Watch(ctx, metav1.ListOptions{SendInitialEvents: ptr.To(true),
				ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan, AllowWatchBookmarks: true})
			if err == nil {
				w.Stop()
			}
			return err
		}, "sendInitialEvents is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !apierrors.IsBadRequest(err) {
				t.Fatalf("got error %v, want a 400 BadRequest status", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}

	_, err := c.CoreV1().RESTClient().Get().AbsPath("/api/v1/namespaces/a/nodes").DoRaw(ctx)
	if !apierrors.IsNotFound(err) {
		t.Errorf("cluster-scoped resource under a namespace: got %v, want 404", err)
	}
}

func TestRefusesDuplicateNames(t *testing.T) {
	t.Parallel()
	snap := snapshot()
	snap.Pods = append(snap.Pods, snap.Pods[0].DeepCopy())
	srv := fakeapi.Start(snap)
	defer srv.Close()
	if err := srv.Err(); err == nil || !strings.Contains(err.Error(), `two pods named "b/p3"`) {
		t.Fatalf("Err() = %v, want two pods named b/p3", err)
	}
	_, err := client(t, srv.URL).CoreV1().Services("").List(context.Background(), metav1.ListOptions{})
	if !apierrors.IsInternalError(err) {
		t.Errorf("LIST: got %v, want 500", err)
	}
	if srv.Synced() {
		t.Error("Synced with an unservable snapshot")
	}
}

func TestPaging(t *testing.T) {
	t.Parallel()
	srv := fakeapi.Start(snapshot())
	defer srv.Close()
	c := client(t, srv.URL)
	var got []string
	opts := metav1.ListOptions{Limit: 2}
	for pages := 1; ; pages++ {
		l, err := c.CoreV1().Pods("").List(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range l.Items {
			got = append(got, podName(&p))
		}
		if l.Continue == "" {
			if pages != 2 {
				t.Errorf("got %d pages, want 2", pages)
			}
			break
		}
		opts.Continue = l.Continue
	}
	if got := srv.Listed("pods"); got != 3 {
		t.Errorf("Listed(pods) = %d over both pages, want 3", got)
	}
	if got := srv.Listed("nodes"); got != 0 {
		t.Errorf("Listed(nodes) = %d, want 0", got)
	}
	// Objects come in key order (namespace, then name), as from etcd.
	if diff := cmp.Diff([]string{"a/p1", "a/p2", "b/p3"}, got); diff != "" {
		t.Errorf("paged pods (-want +got):\n%s", diff)
	}
}

func TestWatchStaysOpenUntilClose(t *testing.T) {
	t.Parallel()
	srv := fakeapi.Start(snapshot())
	c := client(t, srv.URL)
	w, err := c.CoreV1().Pods("").Watch(context.Background(), metav1.ListOptions{ResourceVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	select {
	case ev, ok := <-w.ResultChan():
		t.Fatalf("watch ended or sent an event early: %v %v", ev, ok)
	case <-time.After(200 * time.Millisecond):
	}

	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on an open watch")
	}
	select {
	case _, ok := <-w.ResultChan():
		if ok {
			t.Error("watch sent an event instead of ending")
		}
	case <-time.After(5 * time.Second):
		t.Error("watch still open after Close")
	}
}

func TestSynced(t *testing.T) {
	t.Parallel()
	srv := fakeapi.Start(snapshot())
	defer srv.Close()
	c := client(t, srv.URL)
	ctx := context.Background()
	if srv.Synced() {
		t.Fatal("synced before any request")
	}
	// An informer: watch-list refused, LIST, then WATCH.
	sel := metav1.ListOptions{LabelSelector: "app=web"}
	wl := sel
	wl.SendInitialEvents = ptr.To(true)
	if _, err := c.CoreV1().Pods("a").Watch(ctx, wl); err == nil {
		t.Fatal("watch-list accepted")
	}
	if srv.Synced() {
		t.Fatal("synced after the watch-list attempt alone")
	}
	if _, err := c.CoreV1().Pods("a").List(ctx, sel); err != nil {
		t.Fatal(err)
	}
	if srv.Synced() {
		t.Fatal("synced before the watch")
	}
	w, err := c.CoreV1().Pods("a").Watch(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if !srv.Synced() {
		t.Fatalf("not synced after LIST and WATCH; requests: %+v", srv.Requests())
	}
	// A second informer that has only listed makes it unsynced again.
	if _, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if srv.Synced() {
		t.Fatal("synced while the node informer has no watch")
	}

	var kinds []fakeapi.RequestKind
	for _, r := range srv.Requests() {
		kinds = append(kinds, r.Kind)
	}
	want := []fakeapi.RequestKind{fakeapi.WatchList, fakeapi.List, fakeapi.Watch, fakeapi.List}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("recorded kinds (-want +got):\n%s", diff)
	}
}
