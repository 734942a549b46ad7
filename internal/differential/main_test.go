package differential

import (
	"flag"
	"os"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/sdinspect/sdinspect/internal/testcluster"
)

var (
	seedCount = flag.Int("seeds", 20, "number of random clusters TestRandomClusters runs, seeds 1 to N")
	oneSeed   = flag.Int64("seed", 0, "run TestRandomClusters for this seed only (0: the -seeds default)")
)

// cluster is the one API server all tests of this binary share: they run
// one after another and each empties it before use (see reset).
var cluster testcluster.Shared

func TestMain(m *testing.M) {
	// Prometheus's clients would log the server's deprecation warning
	// for v1 Endpoints once per informer.
	rest.SetDefaultWarningHandler(rest.NoWarnings{})
	os.Exit(cluster.Run(m))
}
