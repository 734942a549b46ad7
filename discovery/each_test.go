package discovery_test

import (
	"cmp"
	"reflect"
	"slices"
	"testing"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

// TestEachStopsEarly: Each yields Discover's groups in Discover's order, and
// yields no more once told to stop.
func TestEachStopsEarly(t *testing.T) {
	t.Parallel()
	snap := gencluster.Generate(3, gencluster.Size{Namespaces: 3, Nodes: 5, Apps: 8})
	for _, role := range []kubernetes.Role{kubernetes.RolePod, kubernetes.RoleEndpointSlice, kubernetes.RoleNode} {
		sd := &kubernetes.SDConfig{Role: role}
		all, err := discovery.Discover(snap, sd, discovery.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < 3 {
			t.Fatalf("role %s: %d groups, the test needs at least 3", role, len(all))
		}
		var got []*discovery.Group
		err = discovery.Each(snap, sd, discovery.Options{}, func(g *discovery.Group) bool {
			got = append(got, g)
			return len(got) < 2
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Source != all[0].Source || got[1].Source != all[1].Source {
			t.Errorf("role %s: Each yielded %d groups before stopping, want %s and %s", role, len(got), all[0].Source, all[1].Source)
		}
	}
}

// TestEachRecycled: groups built while every earlier group is recycled as
// soon as it is yielded, their label sets reused, equal those Discover
// builds afresh, for every role; their label sets are sorted, each name
// once, and Sorted gives them back from Prometheus's form.
func TestEachRecycled(t *testing.T) {
	t.Parallel()
	snap := gencluster.Generate(5, gencluster.Size{Namespaces: 3, Nodes: 5, Apps: 12})
	roles := []kubernetes.Role{kubernetes.RolePod, kubernetes.RoleEndpoint, kubernetes.RoleEndpointSlice,
		kubernetes.RoleService, kubernetes.RoleNode, kubernetes.RoleIngress}
	for _, role := range roles {
		sd := &kubernetes.SDConfig{Role: role}
		want, err := discovery.Discover(snap, sd, discovery.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatalf("role %s: no groups to compare", role)
		}
		n := 0
		for range 2 { // the second pass takes what the first recycled
			n = 0
			err = discovery.Each(snap, sd, discovery.Options{}, func(g *discovery.Group) bool {
				if n < len(want) && !reflect.DeepEqual(g.TargetGroup(), want[n]) {
					t.Errorf("role %s: group %d built from recycled label sets:\n%v\nwant\n%v", role, n, g.TargetGroup(), want[n])
				}
				for _, ls := range append([][]labels.Label{g.Labels}, g.Targets...) {
					if !slices.IsSortedFunc(ls, func(a, b labels.Label) int { return cmp.Compare(a.Name, b.Name) }) ||
						len(slices.CompactFunc(slices.Clone(ls), func(a, b labels.Label) bool { return a.Name == b.Name })) != len(ls) {
						t.Errorf("role %s: group %s: labels not sorted, each once: %v", role, g.Source, ls)
					}
				}
				if s := discovery.Sorted(g.TargetGroup()); !reflect.DeepEqual(s.Labels, g.Labels) || !reflect.DeepEqual(s.Targets, g.Targets) {
					t.Errorf("role %s: group %s from its TargetGroup: %v %v, want %v %v", role, g.Source, s.Labels, s.Targets, g.Labels, g.Targets)
				}
				n++
				discovery.Recycle(g)
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if n != len(want) {
			t.Errorf("role %s: %d groups, want %d", role, n, len(want))
		}
	}
}
