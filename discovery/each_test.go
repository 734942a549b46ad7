package discovery_test

import (
	"testing"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"

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
		var got []*targetgroup.Group
		err = discovery.Each(snap, sd, discovery.Options{}, func(g *targetgroup.Group) bool {
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
