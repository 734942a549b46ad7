package discovery_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sdinspect/sdinspect/discovery"
)

// TestAddAndObjects checks that every kind a Snapshot holds goes in with
// Add and comes out of Objects, in kind order, and that other kinds are
// refused.
func TestAddAndObjects(t *testing.T) {
	t.Parallel()
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }
	in := []runtime.Object{
		&batchv1.Job{ObjectMeta: meta("job")},
		&appsv1.ReplicaSet{ObjectMeta: meta("rs")},
		&networkingv1.Ingress{ObjectMeta: meta("ing")},
		&corev1.Namespace{ObjectMeta: meta("ns")},
		&corev1.Node{ObjectMeta: meta("node")},
		&discoveryv1.EndpointSlice{ObjectMeta: meta("slice")},
		&corev1.Endpoints{ObjectMeta: meta("eps")},
		&corev1.Service{ObjectMeta: meta("svc")},
		&corev1.Pod{ObjectMeta: meta("pod-1")},
		&corev1.Pod{ObjectMeta: meta("pod-2")},
	}
	var snap discovery.Snapshot
	for _, o := range in {
		if !snap.Add(o) {
			t.Fatalf("Add(%T) = false", o)
		}
	}
	if snap.Add(&corev1.ConfigMap{ObjectMeta: meta("cm")}) {
		t.Error("Add(ConfigMap) = true, want false")
	}
	var got []string
	for _, o := range snap.Objects() {
		got = append(got, o.GetName())
	}
	want := []string{"pod-1", "pod-2", "svc", "eps", "slice", "node", "ns", "ing", "rs", "job"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Objects (-want +got):\n%s", diff)
	}
}
