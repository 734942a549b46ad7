package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestBad runs the command in process on every malformed input under
// testdata/bad/CASE/:
//
//	args   the command line, one argument per line; $WORK is a copy of the
//	       case's directory, inputs and all
//	want   the exit code on the first line, the exact stderr line on the
//	       second (-update rewrites it)
//
// Inputs too big to commit, or that git cannot hold (an empty directory, a
// dangling symbolic link, a file nobody may read), are made by badInputs.
// A bad input must give the exit code wanted, exactly one line on stderr,
// nothing on stdout (so nothing that could pass for a result), and no panic.
func TestBad(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir(filepath.Join("testdata", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	made := badInputs()
	for _, d := range dirs {
		name := d.Name()
		makeInputs := made[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runBad(t, filepath.Join("testdata", "bad", name), makeInputs)
		})
		delete(made, name)
	}
	for name := range made {
		t.Errorf("badInputs makes inputs for %q, which has no directory in testdata/bad", name)
	}
}

func runBad(t *testing.T, dir string, makeInputs func(t *testing.T, work string)) {
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"args", "want"} {
		if err := os.Remove(filepath.Join(work, f)); err != nil && !(*update && errors.Is(err, fs.ErrNotExist)) {
			t.Fatal(err)
		}
	}
	if makeInputs != nil {
		makeInputs(t, work)
	}
	argText, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, l := range strings.Split(strings.TrimSpace(string(argText)), "\n") {
		args = append(args, strings.ReplaceAll(l, "$WORK", work))
	}

	var stdout, stderr bytes.Buffer
	code := func() (code int) {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		return run(context.Background(), args, &stdout, &stderr)
	}()
	got := strings.ReplaceAll(stderr.String(), work, "$WORK")

	wantPath := filepath.Join(dir, "want")
	if *update {
		if err := os.WriteFile(wantPath, fmt.Appendf(nil, "%d\n%s", code, got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	wantText, err := os.ReadFile(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	wantCode, wantErr, ok := strings.Cut(string(wantText), "\n")
	if n, err := strconv.Atoi(wantCode); !ok || err != nil {
		t.Fatalf("%s: want the exit code on the first line", wantPath)
	} else if code != n {
		t.Errorf("exit %d, want %d", code, n)
	}
	if strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") {
		t.Errorf("stderr is not one line:\n%s", got)
	}
	if got != wantErr {
		t.Errorf("stderr\n got: %s\nwant: %s", got, wantErr)
	}
	if stdout.Len() > 0 {
		t.Errorf("a failed run printed on stdout:\n%.2000s", stdout.String())
	}
}

// badInputs returns, per case, what makes the inputs its directory cannot
// hold.
func badInputs() map[string]func(t *testing.T, work string) {
	return map[string]func(t *testing.T, work string){
		"big-label-value": func(t *testing.T, work string) {
			big := strings.Repeat("x", 10<<20)
			writeFile(t, filepath.Join(work, "cluster.yaml"), "apiVersion: v1\nkind: List\nitems:\n"+
				"- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web-0\n    namespace: shop\n"+
				"    labels: {app: web, build: "+big+"}\n"+
				"  spec: {containers: [{name: web, ports: [{containerPort: 8080}]}]}\n"+
				"  status: {phase: Running, podIP: 10.0.0.1}\n")
		},
		"many-rules": func(t *testing.T, work string) {
			const n = 100_000
			var b strings.Builder
			b.WriteString("scrape_configs:\n- job_name: pods\n  kubernetes_sd_configs: [{role: pod}]\n  relabel_configs:\n")
			for i := range n - 1 {
				fmt.Fprintf(&b, "  - source_labels: [__meta_kubernetes_pod_label_app]\n    regex: app-%d\n    action: drop\n", i)
			}
			// The last rule is bad: the error must find it, 300,000 lines down.
			b.WriteString("  - source_labels: [__meta_kubernetes_pod_label_app]\n    regex: (app\n    action: drop\n")
			writeFile(t, filepath.Join(work, "prometheus.yml"), b.String())
		},
		"directory-as-config": func(t *testing.T, work string) {
			mkdir(t, filepath.Join(work, "prometheus.yml"))
		},
		"directory-as-output": func(t *testing.T, work string) {
			mkdir(t, filepath.Join(work, "cluster.yaml"))
		},
		"dangling-symlink": func(t *testing.T, work string) {
			if err := os.Symlink(filepath.Join(work, "gone.yml"), filepath.Join(work, "prometheus.yml")); err != nil {
				t.Fatal(err)
			}
		},
		"unreadable-config": func(t *testing.T, work string) {
			unreadable(t, filepath.Join(work, "prometheus.yml"))
		},
		"unreadable-snapshot": func(t *testing.T, work string) {
			unreadable(t, filepath.Join(work, "cluster.yaml"))
		},
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

// writeOnly is a file that the kernel refuses to open for reading even to
// root (mode 0200, checked by procfs for every user).
const writeOnly = "/proc/sys/vm/compact_memory"

// unreadable makes path, an existing file, one that cannot be read: mode
// 000, and where that does not stop this process (root), a symbolic link
// to a file that no one may read.
func unreadable(t *testing.T, path string) {
	t.Helper()
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(path); errors.Is(err, fs.ErrPermission) {
		return
	}
	// Root reads files of mode 000.
	if _, err := os.ReadFile(writeOnly); !errors.Is(err, syscall.EACCES) {
		t.Skipf("a file of mode 000 is readable here (running as root) and %s is not there to stand in for it (%v)", writeOnly, err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(writeOnly, path); err != nil {
		t.Fatal(err)
	}
}
