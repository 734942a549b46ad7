package discovery

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Object is a Kubernetes object of a kind a Snapshot holds.
type Object interface {
	runtime.Object
	metav1.Object
}

// Objects returns every object of the snapshot, kind by kind (pods,
// services, endpoints, endpoint slices, nodes, namespaces, ingresses,
// replica sets, jobs), each kind in the snapshot's order.
func (s *Snapshot) Objects() []Object {
	out := make([]Object, 0, len(s.Pods)+len(s.Services)+len(s.Endpoints)+len(s.EndpointSlices)+
		len(s.Nodes)+len(s.Namespaces)+len(s.Ingresses)+len(s.ReplicaSets)+len(s.Jobs))
	out = appendObjects(out, s.Pods)
	out = appendObjects(out, s.Services)
	out = appendObjects(out, s.Endpoints)
	out = appendObjects(out, s.EndpointSlices)
	out = appendObjects(out, s.Nodes)
	out = appendObjects(out, s.Namespaces)
	out = appendObjects(out, s.Ingresses)
	out = appendObjects(out, s.ReplicaSets)
	return appendObjects(out, s.Jobs)
}

func appendObjects[T Object](out []Object, objs []T) []Object {
	for _, o := range objs {
		out = append(out, o)
	}
	return out
}

// Add appends obj to the objects of its kind. It reports false, and adds
// nothing, for a kind discovery does not read.
func (s *Snapshot) Add(obj runtime.Object) bool {
	switch o := obj.(type) {
	case *corev1.Pod:
		s.Pods = append(s.Pods, o)
	case *corev1.Service:
		s.Services = append(s.Services, o)
	case *corev1.Endpoints:
		s.Endpoints = append(s.Endpoints, o)
	case *discoveryv1.EndpointSlice:
		s.EndpointSlices = append(s.EndpointSlices, o)
	case *corev1.Node:
		s.Nodes = append(s.Nodes, o)
	case *corev1.Namespace:
		s.Namespaces = append(s.Namespaces, o)
	case *networkingv1.Ingress:
		s.Ingresses = append(s.Ingresses, o)
	case *appsv1.ReplicaSet:
		s.ReplicaSets = append(s.ReplicaSets, o)
	case *batchv1.Job:
		s.Jobs = append(s.Jobs, o)
	default:
		return false
	}
	return true
}
