package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the want/stdout and want/stderr sections of testdata/script/*.txtar")

// TestScripts runs the command in process for every testdata/script/*.txtar:
//
//	args         the command line, one argument per line; $WORK is the
//	             directory the archive's other files are written to
//	want/exit    the exit code
//	want/stdout  exact stdout (rewritten by -update)
//	want/stderr  exact stderr (rewritten by -update)
//
// A golden written by -update guards against regressions; it proves nothing
// about fidelity, which the discovery and relabel tests hold to Prometheus.
func TestScripts(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "script", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			t.Parallel()
			runScript(t, path)
		})
	}
}

func runScript(t *testing.T, path string) {
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	var args []string
	want := map[string]string{}
	for _, f := range a.Files {
		switch {
		case f.Name == "args":
			for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
				args = append(args, strings.ReplaceAll(l, "$WORK", work))
			}
		case strings.HasPrefix(f.Name, "want/"):
			want[f.Name] = string(f.Data)
		default:
			p := filepath.Join(work, f.Name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	got := map[string]string{
		"want/exit":   strconv.Itoa(code) + "\n",
		"want/stdout": strings.ReplaceAll(stdout.String(), work, "$WORK"),
		"want/stderr": strings.ReplaceAll(stderr.String(), work, "$WORK"),
	}
	if *update {
		for i, f := range a.Files {
			if v, ok := got[f.Name]; ok && f.Name != "want/exit" {
				a.Files[i].Data = []byte(v)
				delete(got, f.Name)
			}
		}
		for _, name := range []string{"want/stdout", "want/stderr"} {
			if v, ok := got[name]; ok && v != "" {
				a.Files = append(a.Files, txtar.File{Name: name, Data: []byte(v)})
			}
		}
		if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if _, ok := want["want/exit"]; !ok {
		t.Fatal("script has no want/exit")
	}
	for _, name := range []string{"want/exit", "want/stdout", "want/stderr"} {
		w := want[name]
		if diff := cmp.Diff(w, got[name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	// Exit 3 (findings) comes after the whole result is printed.
	if code != exitOK && code != exitFindings && stdout.Len() > 0 {
		t.Errorf("exit %d with output on stdout: a failed run must not print a result", code)
	}
	if code != exitOK {
		var errLines []string
		for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			if !strings.HasPrefix(l, "sdinspect: note: ") {
				errLines = append(errLines, l)
			}
		}
		if len(errLines) != 1 || !strings.HasPrefix(errLines[0], "sdinspect: ") {
			t.Errorf("exit %d: want one error line starting with \"sdinspect: \", got:\n%s", code, stderr.String())
		}
	}
}
