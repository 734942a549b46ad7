package differential

import "github.com/sdinspect/sdinspect/internal/fixture"

// fixtureDir holds discovery's fixtures; internal/fixture describes them.
const fixtureDir = "../../discovery/testdata/cases"

// readFixtures reads every fixture, sorted by name.
func readFixtures() ([]*fixture.Case, error) {
	return fixture.LoadDir(fixtureDir)
}
