package testcluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	clusterfiles "github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/discovery"
)

// snapshotOf sorts objects into a snapshot by kind.
func snapshotOf(objs ...runtime.Object) *discovery.Snapshot {
	snap := &discovery.Snapshot{}
	for _, o := range objs {
		if !snap.Add(o) {
			panic(fmt.Sprintf("snapshotOf: unexpected %T", o))
		}
	}
	return snap
}

func meta(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name}
}

func container(name string) corev1.Container {
	return corev1.Container{Name: name, Image: "example.invalid/" + name + ":1"}
}

// since is a time the API server stores unchanged (it keeps seconds).
var since = metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

func runningPod() *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "store", Name: "web-0", Labels: map[string]string{"app": "web"},
			// A snapshot of a real cluster carries these; Load drops them.
			UID: "5b0c6d1e-0000-4000-8000-000000000001", ResourceVersion: "2756745", CreationTimestamp: since},
		Spec: corev1.PodSpec{
			NodeName:       "store-node",
			InitContainers: []corev1.Container{container("init")},
			Containers:     []corev1.Container{container("app")},
		},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			HostIP:     "10.1.0.1",
			HostIPs:    []corev1.HostIP{{IP: "10.1.0.1"}},
			PodIP:      "10.244.1.5",
			PodIPs:     []corev1.PodIP{{IP: "10.244.1.5"}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: since}},
			InitContainerStatuses: []corev1.ContainerStatus{{
				Name: "init", Image: "example.invalid/init:1", ContainerID: "containerd://1111",
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: since, FinishedAt: since}},
			}},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "app", Image: "example.invalid/app:1", ContainerID: "containerd://2222", Ready: true,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: since}},
			}},
		},
	}
	pod.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	return pod
}

func TestLoad(t *testing.T) {
	t.Parallel()
	c := cluster.Get(t)
	pod := runningPod()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "store-node", Labels: map[string]string{"topology.kubernetes.io/zone": "z1"}},
		Status: corev1.NodeStatus{
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.1.0.1"}, {Type: corev1.NodeHostName, Address: "store-node"}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
		},
	}
	svc := &corev1.Service{
		ObjectMeta: meta("store", "web"),
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.12.34", Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
		},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "192.0.2.10"}}}},
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "store", Name: "web-abc12", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
		Endpoints: []discoveryv1.Endpoint{{
			Addresses: []string{"10.244.1.5"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			NodeName: ptr.To("store-node"), TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "store", Name: "web-0"},
		}},
	}
	ingress := &networkingv1.Ingress{
		ObjectMeta: meta("store", "web"),
		Spec:       networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "web.example.test"}}},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{
			Ingress: []networkingv1.IngressLoadBalancerIngress{{Hostname: "lb.example.test"}},
		}},
	}
	// A job exported from another cluster: its selector names that
	// cluster's UID for it.
	job := &batchv1.Job{
		ObjectMeta: meta("store", "nightly-123"),
		Spec: batchv1.JobSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: "0ld"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{batchv1.ControllerUidLabel: "0ld", "controller-uid": "0ld", batchv1.JobNameLabel: "nightly-123"}},
				Spec:       corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{container("job")}},
			},
		},
	}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: meta("store", "web-5d8f"),
		Spec: appsv1.ReplicaSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: corev1.PodSpec{Containers: []corev1.Container{container("app")}}},
		},
	}
	// The server keeps podIP and replaces a podIPs that disagrees.
	mismatch := runningPod()
	mismatch.Name = "mismatch"
	mismatch.Status.PodIPs = []corev1.PodIP{{IP: "10.244.9.9"}}
	snap := snapshotOf(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "store", Labels: map[string]string{"team": "a"}}},
		// kube-public exists on every server: Load updates it.
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-public", Labels: map[string]string{"loaded": "yes"}}},
		node, svc, slice, ingress, job, rs, pod,
		&corev1.Endpoints{ObjectMeta: meta("store", "web"), Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "10.244.1.5"}}, Ports: []corev1.EndpointPort{{Name: "http", Port: 8080}},
		}}},
		mismatch,
		// In a namespace the snapshot does not list.
		&corev1.Pod{ObjectMeta: meta("implied", "lonely"), Spec: corev1.PodSpec{Containers: []corev1.Container{container("app")}}},
	)
	c.Load(t, snap)
	stored := c.Snapshot(t)

	if got := find(t, stored.Namespaces, "store").Labels; got["team"] != "a" {
		t.Errorf("namespace store labels = %v, want team=a", got)
	}
	if got := find(t, stored.Namespaces, "kube-public").Labels; got["loaded"] != "yes" {
		t.Errorf("namespace kube-public labels = %v, want loaded=yes", got)
	}
	find(t, stored.Namespaces, "implied")
	find(t, stored.Pods, "lonely")

	gotPod := find(t, stored.Pods, "web-0")
	if gotPod.UID == pod.UID || gotPod.ResourceVersion == pod.ResourceVersion {
		t.Errorf("pod kept the snapshot's uid %q or resourceVersion %q", gotPod.UID, gotPod.ResourceVersion)
	}
	wantStatus := pod.Status.DeepCopy()
	wantStatus.QOSClass = corev1.PodQOSBestEffort
	if diff := cmp.Diff(wantStatus, &gotPod.Status); diff != "" {
		t.Errorf("pod status (-want +got):\n%s", diff)
	}
	if got := find(t, stored.Pods, "mismatch").Status.PodIPs; len(got) != 1 || got[0].IP != "10.244.1.5" {
		t.Errorf("pod with disagreeing podIPs stored podIPs %v, want the server to replace them by podIP 10.244.1.5", got)
	}
	gotNode := find(t, stored.Nodes, "store-node")
	if diff := cmp.Diff(node.Status.Addresses, gotNode.Status.Addresses); diff != "" {
		t.Errorf("node addresses (-want +got):\n%s", diff)
	}
	if got := gotNode.Status.DaemonEndpoints.KubeletEndpoint.Port; got != 10250 {
		t.Errorf("node kubelet port = %d, want 10250", got)
	}
	gotSvc := find(t, stored.Services, "web")
	wantLB := svc.Status.LoadBalancer.DeepCopy()
	wantLB.Ingress[0].IPMode = ptr.To(corev1.LoadBalancerIPModeVIP) // the server's default
	if diff := cmp.Diff(wantLB, &gotSvc.Status.LoadBalancer); diff != "" {
		t.Errorf("service load balancer status (-want +got):\n%s", diff)
	}
	if got := gotSvc.Spec.Ports[0].Protocol; got != corev1.ProtocolTCP {
		t.Errorf("service port protocol = %q, want the server's default TCP", got)
	}
	gotSlice := find(t, stored.EndpointSlices, "web-abc12")
	if diff := cmp.Diff(slice.Endpoints, gotSlice.Endpoints); diff != "" {
		t.Errorf("endpointslice endpoints (-want +got):\n%s", diff)
	}
	if got := gotSlice.Ports[0].Protocol; got == nil || *got != corev1.ProtocolTCP {
		t.Errorf("endpointslice port protocol = %v, want the server's default TCP", got)
	}
	find(t, stored.Endpoints, "web")
	if diff := cmp.Diff(ingress.Status, find(t, stored.Ingresses, "web").Status); diff != "" {
		t.Errorf("ingress status (-want +got):\n%s", diff)
	}
	find(t, stored.ReplicaSets, "web-5d8f")
	if got := find(t, stored.Jobs, "nightly-123").Spec.Selector.MatchLabels[batchv1.ControllerUidLabel]; got == "0ld" || got == "" {
		t.Errorf("job selector controller-uid = %q, want the server's new UID", got)
	}
	// The snapshot itself is left as it was.
	if pod.UID == "" || job.Spec.Selector == nil {
		t.Error("Load modified the snapshot it was given")
	}
}

func TestLoadReportsEveryRejectedObject(t *testing.T) {
	t.Parallel()
	c := cluster.Get(t)
	badIP := runningPod()
	badIP.Namespace, badIP.Name = "rejects", "bad-ip"
	badIP.Status.PodIP = "10.244.1.300"
	badIP.Status.PodIPs = nil
	fine := runningPod()
	fine.Namespace, fine.Name = "rejects", "fine"
	outside := &corev1.Service{
		ObjectMeta: meta("rejects", "outside"),
		Spec:       corev1.ServiceSpec{ClusterIP: "192.168.0.10", Ports: []corev1.ServicePort{{Port: 80}}},
	}
	err := c.load(t.Context(), snapshotOf(outside, badIP, fine))
	if err == nil {
		t.Fatal("Load accepted a pod with podIP 10.244.1.300 and a service outside the service range")
	}
	for _, want := range []string{
		`loading pod "rejects/bad-ip": setting its status: `,
		`10.244.1.300`,
		`loading service "rejects/outside": `,
		`192.168.0.10`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `"rejects/fine"`) {
		t.Errorf("error names the valid pod:\n%v", err)
	}
	if got := find(t, c.Snapshot(t).Pods, "fine"); got.Status.PodIP != "10.244.1.5" {
		t.Errorf("the valid pod next to rejected ones has podIP %q, want 10.244.1.5", got.Status.PodIP)
	}
}

// names lists every object of snap as kind/namespace/name.
func names(snap *discovery.Snapshot) []string {
	var out []string
	add := func(kind string) func(metav1.Object) {
		return func(o metav1.Object) { out = append(out, kind+"/"+objectName(o)) }
	}
	forEach(snap.Namespaces, add("namespace"))
	forEach(snap.Nodes, add("node"))
	forEach(snap.Pods, add("pod"))
	forEach(snap.Services, add("service"))
	forEach(snap.Endpoints, add("endpoints"))
	forEach(snap.EndpointSlices, add("endpointslice"))
	forEach(snap.Ingresses, add("ingress"))
	forEach(snap.ReplicaSets, add("replicaset"))
	forEach(snap.Jobs, add("job"))
	return out
}

// TestLoadExample loads the bundled example, a snapshot of a real cluster
// with the server-set fields a `kubectl get -o yaml` carries, including
// service default/kubernetes, which every API server makes itself.
func TestLoadExample(t *testing.T) {
	t.Parallel()
	c := cluster.Get(t)
	snap, err := clusterfiles.Read([]string{"../../testdata/examples/cluster.yaml"}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	c.Load(t, snap)
	stored := c.Snapshot(t)
	have := map[string]bool{}
	for _, n := range names(stored) {
		have[n] = true
	}
	want := names(snap)
	if len(want) < 30 {
		t.Fatalf("the example holds %d objects, want at least 30", len(want))
	}
	for _, n := range want {
		if !have[n] {
			t.Errorf("%s not stored", n)
		}
	}
	var k8s *corev1.Service
	for _, svc := range stored.Services {
		if svc.Namespace == "default" && svc.Name == "kubernetes" {
			k8s = svc
		}
	}
	if k8s == nil || len(k8s.Spec.Ports) != 1 || k8s.Spec.Ports[0].TargetPort.IntValue() != 6443 {
		t.Errorf("service default/kubernetes = %v, want the example's, with targetPort 6443", k8s)
	}
}

func forEach[T metav1.Object](objs []T, f func(metav1.Object)) {
	for _, o := range objs {
		f(o)
	}
}
