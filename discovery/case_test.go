package discovery_test

import (
	"path/filepath"
	"testing"

	"github.com/sdinspect/sdinspect/internal/fixture"
)

// A discoveryCase is one fixture under testdata/cases; see package
// internal/fixture for the format.
type discoveryCase = fixture.Case

func loadCases(t testing.TB) []*discoveryCase {
	t.Helper()
	cases, err := fixture.LoadDir(filepath.Join("testdata", "cases"))
	if err != nil {
		t.Fatal(err)
	}
	return cases
}
