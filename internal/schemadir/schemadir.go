// Package schemadir finds published schemas that tests validate sdinspect's
// output and the README's CI jobs against but that the repository does not
// carry: they are data kept beside the repository, in shared/schema, or in
// the directory that $SDINSPECT_SCHEMA_DIR names. The files, by name:
//
//   - sarif-schema-2.1.0.json: the OASIS SARIF 2.1.0 schema with errata 01
//     (oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json);
//     OASIS IPR Policy.
//   - github-workflow.json: SchemaStore's GitHub workflow schema
//     (SchemaStore/schemastore, src/schemas/json/github-workflow.json);
//     Apache License 2.0.
//   - gitlab-ci.json: GitLab's CI schema (gitlab-org/gitlab,
//     app/assets/javascripts/editor/schema/ci.json, which SchemaStore's
//     catalog names for gitlab-ci); MIT.
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
