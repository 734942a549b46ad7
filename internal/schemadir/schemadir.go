// Package schemadir finds published schemas that tests validate sdinspect's
// output against but that the repository does not carry (the SARIF 2.1.0
// schema, the GitHub workflow and GitLab CI schemas): they are data kept
// beside the repository, in shared/schema, or in the directory that
// $SDINSPECT_SCHEMA_DIR names.
package schemadir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Env names the environment variable that overrides the schema directory.
const Env = "SDINSPECT_SCHEMA_DIR"

// Find returns the path of the schema file name. When it is in neither
// place the test is skipped, saying which file is missing and where it
// was looked for: a skip, never a pass.
func Find(t testing.TB, name string) string {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		t.Skipf("schema %s not available: %v", name, err)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("schema %s not available (set %s or add it to shared/schema beside the repository): %v", name, Env, err)
	}
	return p
}

// Dir is $SDINSPECT_SCHEMA_DIR, or else shared/schema beside the
// directory holding go.mod above the working directory.
func Dir() (string, error) {
	if d := os.Getenv(Env); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "schema"), nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.mod above the working directory")
		}
	}
}
