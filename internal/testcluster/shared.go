package testcluster

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// Shared is one cluster for all the tests of a test binary that ask for it:
// started on first use, so that running only tests without it costs
// nothing, and stopped when the tests are done. Declare one in a test file
// and run the tests through it:
//
//	var cluster testcluster.Shared
//
//	func TestMain(m *testing.M) { os.Exit(cluster.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		c := cluster.Get(t)
//		...
//	}
//
// Tests on a shared cluster see each other's objects and grants, so each
// should keep to namespaces, users and groups of its own, or accept what
// other tests added. A failed start fails every test that asks for the
// cluster, with the same error.
type Shared struct {
	mu      sync.Mutex
	running bool
	cluster *Cluster
	err     error
	dir     string
}

// Run runs the tests of m and then stops the cluster if a test started it.
// It returns m.Run's exit code, or 1 if stopping failed.
func (s *Shared) Run(m *testing.M) int {
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()

	code := m.Run()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = false
	if s.cluster != nil {
		if err := s.cluster.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
		s.cluster = nil
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
	return code
}

// Get returns the shared cluster, starting it on the first call (see
// Start). It fails t if the cluster could not start, and if it is called
// outside Run, which alone can stop the cluster.
func (s *Shared) Get(t testing.TB) *Cluster {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		t.Fatal("testcluster: Shared.Get called outside Shared.Run; call Run from TestMain so that the cluster is stopped")
	}
	if s.cluster == nil && s.err == nil {
		s.cluster, s.err = s.start(t)
		if s.err != nil {
			s.err = fmt.Errorf("starting the cluster shared by this package's tests (first asked for by %s): %w", t.Name(), s.err)
		}
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.cluster
}

func (s *Shared) start(t testing.TB) (*Cluster, error) {
	bin, err := binaries(progress(t))
	if err != nil {
		return nil, err
	}
	if s.dir, err = os.MkdirTemp("", "sdinspect-testcluster-"); err != nil {
		return nil, fmt.Errorf("creating a state directory: %w", err)
	}
	began := time.Now()
	c, err := start(t.Context(), bin, s.dir)
	if err != nil {
		return nil, err
	}
	c.shared = true
	t.Logf("testcluster: shared kube-apiserver %s ready at %s in %v", KubernetesVersion, c.URL, time.Since(began).Round(time.Millisecond))
	return c, nil
}
