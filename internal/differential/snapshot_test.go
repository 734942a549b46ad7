package differential

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sdinspect/sdinspect/discovery"
)

// forEachObject calls f with the metadata of every object of snap.
func forEachObject(snap *discovery.Snapshot, f func(metav1.Object)) {
	for _, o := range snap.Objects() {
		f(o)
	}
}

// countObjects counts the objects of snap.
func countObjects(s *discovery.Snapshot) int {
	return len(s.Objects())
}
