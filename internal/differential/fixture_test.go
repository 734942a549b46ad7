package differential

import (
	"strings"
	"testing"

	"github.com/sdinspect/sdinspect/internal/fixture"
)

// minFixtures is how many fixtures must run for TestFixtures to pass when
// none is filtered out with -run: all but a few the server may refuse.
const minFixtures = 35

// skipReason says why a fixture cannot be compared on a real server, or "".
func skipReason(f *fixture.Case) string {
	switch {
	case strings.Contains(f.Name, "nondeterministic"):
		return "Prometheus's own output is not deterministic for this fixture"
	case f.SD.NamespaceDiscovery.IncludeOwnNamespace:
		return "namespaces.own_namespace: Prometheus reads it from the service account file, only inside a pod"
	}
	return ""
}

// TestFixtures stores each of discovery's fixtures on the server, alone,
// and compares Prometheus's discovery of it with Discover's of what the
// server stored.
func TestFixtures(t *testing.T) {
	fixtures, err := readFixtures()
	if err != nil {
		t.Fatal(err)
	}
	e := setup(t)
	var selected, ran int
	var skipped, refused []string
	for _, f := range fixtures {
		t.Run(f.Name, func(t *testing.T) {
			selected++
			if why := skipReason(f); why != "" {
				skipped = append(skipped, f.Name+": "+why)
				t.Skip(why)
			}
			e.reset(t)
			if msgs := e.load(t, f.Snap); len(msgs) > 0 {
				why := "the API server refuses to store the fixture as written: " + strings.Join(msgs, "; ")
				refused = append(refused, f.Name+": "+why)
				t.Skip(why)
			}
			ran++
			e.match(t, e.c.Snapshot(t), f.SD, f.Opts)
		})
	}
	e.reset(t)
	t.Logf("%d fixtures ran, %d skipped, %d refused by the server", ran, len(skipped), len(refused))
	for _, s := range skipped {
		t.Logf("skipped %s", s)
	}
	for _, r := range refused {
		t.Logf("refused %s", r)
	}
	if selected == len(fixtures) && ran < minFixtures {
		t.Errorf("only %d of %d fixtures ran on the server, want at least %d", ran, len(fixtures), minFixtures)
	}
}
