package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/sdinspect/sdinspect/"

// TestArchitecture keeps the package arrows of DESIGN.md pointing down:
// a package may not import (even indirectly) the ones listed for it.
func TestArchitecture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pkg string
		// forbiddenDeps may not appear anywhere in pkg's dependencies.
		forbiddenDeps []string
		// forbiddenImports may not be imported by pkg itself (prefixes).
		forbiddenImports []string
	}{
		{pkg: "discovery", forbiddenDeps: []string{module + "relabel", module + "report", module + "cluster", module + "promconfig", "github.com/prometheus/prometheus/scrape"}},
		{pkg: "relabel", forbiddenDeps: []string{module + "discovery", module + "cluster", module + "report"}, forbiddenImports: []string{"k8s.io/"}},
		// expect judges results; it runs neither discovery nor relabeling.
		{pkg: "expect", forbiddenDeps: []string{module + "discovery", module + "relabel", module + "cluster", module + "promconfig", "k8s.io/api/core/v1"}},
		// diff compares two results; it runs neither discovery nor relabeling.
		{pkg: "diff", forbiddenDeps: []string{module + "discovery", module + "relabel", module + "cluster", module + "promconfig", "k8s.io/api/core/v1"}},
		// lint reads configs and results; it relabels nothing and lists nothing.
		{pkg: "lint", forbiddenDeps: []string{module + "relabel", module + "cluster", module + "expect", module + "diff", "k8s.io/client-go"}},
		{pkg: "report", forbiddenDeps: []string{module + "discovery", module + "relabel", module + "cluster", module + "promconfig", "k8s.io/api/core/v1"}},
		// promconfig links Prometheus's Kubernetes SD (so that its config
		// section parses), which brings client-go along, but uses none of it.
		{pkg: "promconfig", forbiddenDeps: []string{module + "cluster", module + "discovery", module + "relabel"}, forbiddenImports: []string{"k8s.io/"}},
		// yamlnode sits below both expect and promconfig, which share it.
		{pkg: "internal/yamlnode", forbiddenDeps: []string{module + "discovery", module + "relabel", module + "cluster", module + "promconfig", module + "report"}},
		{pkg: "cmd/sdinspect", forbiddenDeps: []string{module + "internal/oracle", module + "internal/fakeapi", module + "internal/gencluster", module + "internal/testcluster", module + "internal/fixture", module + "internal/faultproxy"}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			t.Parallel()
			imports, deps := goList(t, module+tt.pkg)
			for _, f := range tt.forbiddenDeps {
				if deps[f] {
					t.Errorf("%s depends on %s", tt.pkg, f)
				}
			}
			for _, imp := range imports {
				for _, f := range tt.forbiddenImports {
					if strings.HasPrefix(imp, f) {
						t.Errorf("%s imports %s", tt.pkg, imp)
					}
				}
			}
		})
	}
}

func goList(t *testing.T, pkg string) (imports []string, deps map[string]bool) {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	var p struct{ Imports, Deps []string }
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	deps = map[string]bool{}
	for _, d := range p.Deps {
		deps[d] = true
	}
	return p.Imports, deps
}

// TestGofmt keeps every Go file of the module formatted, so that the test
// suite alone is the CI gate.
func TestGofmt(t *testing.T) {
	t.Parallel()
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	gofmt := filepath.Join(strings.TrimSpace(string(goroot)), "bin", "gofmt")
	out, err := exec.Command(gofmt, "-l", "../..").CombinedOutput()
	if err != nil {
		t.Fatalf("gofmt: %v\n%s", err, out)
	}
	if len(out) > 0 {
		t.Errorf("files not gofmt-ed:\n%s", out)
	}
}
