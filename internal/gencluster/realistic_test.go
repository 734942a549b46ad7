package gencluster_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/internal/gencluster"
)

func TestRealisticIsReproducible(t *testing.T) {
	t.Parallel()
	scale := gencluster.Scale{Pods: 500, Nodes: 20, Services: 40}
	a, b := gencluster.Realistic(3, scale), gencluster.Realistic(3, scale)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different snapshots:\n%s", diff)
	}
	if cmp.Equal(a, gencluster.Realistic(4, scale)) {
		t.Fatal("seeds 3 and 4 gave the same snapshot")
	}
}

func TestRealisticCounts(t *testing.T) {
	t.Parallel()
	tests := map[string]gencluster.Scale{
		"empty":              {},
		"pods only":          {Pods: 37},
		"no services":        {Pods: 100, Nodes: 5},
		"more services":      {Pods: 10, Nodes: 2, Services: 30},
		"daemon sets fill":   {Pods: 400, Nodes: 50, Services: 10},
		"namespaces given":   {Pods: 300, Nodes: 10, Services: 20, Namespaces: 7},
		"many pods per node": {Pods: 3000, Nodes: 3, Services: 5},
	}
	for name, scale := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := gencluster.Realistic(1, scale)
			got := gencluster.Scale{Pods: len(s.Pods), Nodes: len(s.Nodes), Services: len(s.Services), Namespaces: scale.Namespaces}
			if diff := cmp.Diff(scale, got); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if len(s.Endpoints) != scale.Services {
				t.Errorf("%d Endpoints objects for %d services", len(s.Endpoints), scale.Services)
			}
			if len(s.EndpointSlices) < scale.Services {
				t.Errorf("%d EndpointSlices for %d services", len(s.EndpointSlices), scale.Services)
			}
			if scale.Namespaces > 0 && len(s.Namespaces) != scale.Namespaces+3 {
				t.Errorf("%d namespaces, want %d and the three system ones", len(s.Namespaces), scale.Namespaces)
			}
		})
	}
}

// TestRealisticShapes checks the shapes the scale measurements rely on.
func TestRealisticShapes(t *testing.T) {
	t.Parallel()
	s := gencluster.Realistic(2, gencluster.Scale{Pods: 6000, Nodes: 100, Services: 300})
	owners := map[string]int{}
	for _, p := range s.Pods {
		if n := len(p.Labels); n < 5 || n > 15 {
			t.Errorf("pod %s/%s has %d labels", p.Namespace, p.Name, n)
		}
		if n := len(p.Annotations); n < 1 || n > 6 {
			t.Errorf("pod %s/%s has %d annotations", p.Namespace, p.Name, n)
		}
		if n := len(p.Spec.Containers); n < 1 || n > 4 {
			t.Errorf("pod %s/%s has %d containers", p.Namespace, p.Name, n)
		}
		if len(p.Spec.Containers[0].Ports) == 0 {
			t.Errorf("pod %s/%s: first container has no ports", p.Namespace, p.Name)
		}
		for _, o := range p.OwnerReferences {
			owners[o.Kind]++
		}
	}
	for _, kind := range []string{"ReplicaSet", "Job", "StatefulSet", "DaemonSet"} {
		if owners[kind] == 0 {
			t.Errorf("no pod owned by a %s: %v", kind, owners)
		}
	}
	if len(s.ReplicaSets) == 0 || len(s.Jobs) == 0 || len(s.Ingresses) == 0 {
		t.Errorf("%d replica sets, %d jobs, %d ingresses", len(s.ReplicaSets), len(s.Jobs), len(s.Ingresses))
	}
	full := 0
	for _, es := range s.EndpointSlices {
		if len(es.Endpoints) > 100 {
			t.Errorf("slice %s/%s has %d endpoints", es.Namespace, es.Name, len(es.Endpoints))
		}
		if len(es.Endpoints) == 100 {
			full++
		}
	}
	if full == 0 {
		t.Error("no service has more than one slice's worth of endpoints")
	}
	for kind, ms := range metas(s) {
		seen := map[string]bool{}
		for _, m := range ms {
			if id := m.Namespace + "/" + m.Name; seen[id] {
				t.Errorf("two %ss named %s", kind, id)
			} else {
				seen[id] = true
			}
		}
	}
}
