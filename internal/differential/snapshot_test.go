package differential

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sdinspect/sdinspect/discovery"
)

// forEachObject calls f with the metadata of every object of snap.
func forEachObject(snap *discovery.Snapshot, f func(metav1.Object)) {
	for _, o := range snap.Pods {
		f(o)
	}
	for _, o := range snap.Services {
		f(o)
	}
	for _, o := range snap.Endpoints {
		f(o)
	}
	for _, o := range snap.EndpointSlices {
		f(o)
	}
	for _, o := range snap.Nodes {
		f(o)
	}
	for _, o := range snap.Namespaces {
		f(o)
	}
	for _, o := range snap.Ingresses {
		f(o)
	}
	for _, o := range snap.ReplicaSets {
		f(o)
	}
	for _, o := range snap.Jobs {
		f(o)
	}
}

// countObjects counts the objects of snap.
func countObjects(s *discovery.Snapshot) int {
	return len(s.Pods) + len(s.Services) + len(s.Endpoints) + len(s.EndpointSlices) + len(s.Nodes) +
		len(s.Namespaces) + len(s.Ingresses) + len(s.ReplicaSets) + len(s.Jobs)
}
