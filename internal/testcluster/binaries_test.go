package testcluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBinariesFromEnv(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(BinEnv, empty)
	_, err := binaries(t.Logf)
	if err == nil {
		t.Fatalf("binaries with $%s pointing at an empty directory succeeded", BinEnv)
	}
	for _, want := range []string{"$" + BinEnv, filepath.Join(empty, "kube-apiserver")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestCheckBinariesVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := "#!/bin/sh\necho Kubernetes v1.36.0\n"
	if err := os.WriteFile(filepath.Join(dir, "kube-apiserver"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	err := checkBinaries(dir)
	if err == nil || !strings.Contains(err.Error(), `"Kubernetes v1.36.0", want "Kubernetes `+KubernetesVersion+`"`) {
		t.Errorf("checkBinaries with an old kube-apiserver: err = %v, want a version mismatch", err)
	}
}

func TestFindModule(t *testing.T) {
	t.Parallel()
	dir, err := findModule()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\tgo.etcd.io/etcd/server/v3\n", "\tk8s.io/kubernetes/cmd/kube-apiserver\n", "require k8s.io/kubernetes " + KubernetesVersion} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s/go.mod lacks %q", dir, want)
		}
	}
}

func TestBuildFailureShowsOutput(t *testing.T) {
	t.Parallel()
	mod := t.TempDir()
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.test/notools\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := build(mod, t.TempDir())
	if err == nil {
		t.Fatal("building a module without tools succeeded")
	}
	if !strings.Contains(err.Error(), `building kube-apiserver and etcd in "`+mod+`"`) || !strings.Contains(err.Error(), "tool") {
		t.Errorf("error does not say what failed and quote go build: %v", err)
	}
}

func TestLockFileExcludes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lock")
	unlock, err := lockFile(path, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	acquired := make(chan func())
	go func() {
		unlock2, err := lockFile(path, t.Logf)
		if err != nil {
			t.Error(err)
			unlock2 = func() {}
		}
		acquired <- unlock2
	}()
	select {
	case <-acquired:
		t.Fatal("a second lock was granted while the first was held")
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case unlock2 := <-acquired:
		unlock2()
	case <-time.After(10 * time.Second):
		t.Fatal("the second lock was not granted after the first was released")
	}
}
