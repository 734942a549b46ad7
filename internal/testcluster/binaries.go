package testcluster

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The versions of the servers a Cluster runs. KubernetesVersion pairs with
// the client-go release sdinspect builds against; EtcdVersion is the one that
// Kubernetes release requires.
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.7.0"
)

// BinEnv names the environment variable that points Binaries at a directory
// already holding kube-apiserver and etcd, so that nothing is built.
const BinEnv = "SDINSPECT_K8S_BIN"

// moduleDir is where the module that builds both binaries lives, relative to
// the repository root.
const moduleDir = "test/k8s-bin"

// Binaries returns a directory holding kube-apiserver KubernetesVersion and
// etcd EtcdVersion. It uses $SDINSPECT_K8S_BIN when set; otherwise
// <user cache dir>/sdinspect/k8s-bin/<KubernetesVersion>, building both
// there from test/k8s-bin when they are missing. That build takes 8 to 12
// minutes on two cores and happens once per machine; parallel test binaries
// wait for one another's build instead of repeating it. Any failure is fatal
// to t: a test that needs the API server never runs without it.
func Binaries(t testing.TB) string {
	t.Helper()
	dir, err := binaries(progress(t))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// progress reports what takes long both in t's log and on stderr at once:
// go test shows a passing test's log only with -v, and only at its end.
func progress(t testing.TB) func(format string, args ...any) {
	return func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		t.Log("testcluster: " + msg)
		fmt.Fprintln(os.Stderr, "testcluster: "+msg)
	}
}

// binaries is Binaries without the testing.TB, for Shared.
func binaries(logf func(format string, args ...any)) (string, error) {
	if dir := os.Getenv(BinEnv); dir != "" {
		if err := checkBinaries(dir); err != nil {
			return "", fmt.Errorf("using $%s: %w", BinEnv, err)
		}
		return dir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding a directory for kube-apiserver and etcd (or set $%s): %w", BinEnv, err)
	}
	dir := filepath.Join(cache, "sdinspect", "k8s-bin", KubernetesVersion)
	if checkBinaries(dir) == nil {
		return dir, nil
	}
	if err := buildOnce(dir, logf); err != nil {
		return "", err
	}
	return dir, nil
}

// checkBinaries says whether dir holds both binaries in the right versions.
func checkBinaries(dir string) error {
	apiserver := filepath.Join(dir, "kube-apiserver")
	out, err := exec.Command(apiserver, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("running %q: %w", apiserver+" --version", err)
	}
	if got, want := strings.TrimSpace(string(out)), "Kubernetes "+KubernetesVersion; got != want {
		return fmt.Errorf("%q says %q, want %q", apiserver+" --version", got, want)
	}
	etcd := filepath.Join(dir, "etcd")
	out, err = exec.Command(etcd, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("running %q: %w", etcd+" --version", err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if want := "etcd Version: " + strings.TrimPrefix(EtcdVersion, "v"); strings.TrimSpace(first) != want {
		return fmt.Errorf("%q says %q, want %q", etcd+" --version", first, want)
	}
	return nil
}

// buildOnce builds the binaries into dir unless another process did while
// this one waited for the lock. The build goes to a fresh directory next to
// dir, renamed into place when complete, so dir never holds half a build.
func buildOnce(dir string, logf func(format string, args ...any)) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating %q: %w", parent, err)
	}
	unlock, err := lockFile(dir+".lock", logf)
	if err != nil {
		return err
	}
	defer unlock()
	if checkBinaries(dir) == nil {
		return nil
	}
	mod, err := findModule()
	if err != nil {
		return err
	}
	// Builds cut short (a test binary killed by its timeout) leave their
	// directories behind; nobody else is building now that we hold the lock.
	stale, _ := filepath.Glob(dir + ".build-*")
	for _, s := range stale {
		os.RemoveAll(s)
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(dir)+".build-")
	if err != nil {
		return fmt.Errorf("creating a build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp made it 0700
		return fmt.Errorf("creating a build directory: %w", err)
	}

	logf("building kube-apiserver %s and etcd %s into %s; this happens once per machine and takes 8-12 minutes on two cores (set $%s to use existing binaries)",
		KubernetesVersion, EtcdVersion, dir, BinEnv)
	if err := build(mod, tmp); err != nil {
		return err
	}
	if err := checkBinaries(tmp); err != nil {
		return fmt.Errorf("checking the binaries just built: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing the outdated %q: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("moving the binaries into %q: %w", dir, err)
	}
	return nil
}

// build runs the go build of both tools of the module in mod into out.
func build(mod, out string) error {
	const v = "k8s.io/component-base/version"
	minor := strings.Split(KubernetesVersion, ".")[1]
	ldflags := strings.Join([]string{
		"-s", "-w",
		"-X", v + ".gitVersion=" + KubernetesVersion,
		"-X", v + ".gitMajor=1",
		"-X", v + ".gitMinor=" + minor,
		"-X", v + ".gitTreeState=clean",
		"-X", v + ".buildDate=1970-01-01T00:00:00Z",
	}, " ")
	// Both tools in one invocation, so that what they share compiles once.
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags="+ldflags, "-o", out+string(filepath.Separator), "tool")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOWORK=off")
	setParentDeathSignal(cmd)
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building kube-apiserver and etcd in %q: %w\n%s", mod, err, tail(output.Bytes(), 40))
	}
	// go build names a binary after its package path's last element, and
	// etcd's main package is go.etcd.io/etcd/server/v3.
	if err := os.Rename(filepath.Join(out, "server"), filepath.Join(out, "etcd")); err != nil {
		return fmt.Errorf("naming the etcd binary: %w", err)
	}
	return nil
}

// findModule finds test/k8s-bin from the working directory, which go test
// sets to the directory of the package under test.
func findModule() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding %s: %w", moduleDir, err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		mod := filepath.Join(dir, filepath.FromSlash(moduleDir))
		if _, err := os.Stat(filepath.Join(mod, "go.mod")); err == nil {
			return mod, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("finding %s: %w", moduleDir, err)
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("finding %s above %q: not found (set $%s to a directory with kube-apiserver and etcd)", moduleDir, wd, BinEnv)
		}
	}
}

// lockFile takes an exclusive lock on path, waiting for it as long as it
// takes, and returns its release.
func lockFile(path string, logf func(format string, args ...any)) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file %q: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		logf("waiting for another process building into the same directory (lock %s)", path)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %q: %w", path, err)
		}
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
