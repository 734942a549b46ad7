package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestInterruptExitCode holds the mapping from a signal to an exit code:
// a run whose context a signal cancelled exits 128 plus the signal's
// number, with one line saying so; one that finished anyway exits 0.
func TestInterruptExitCode(t *testing.T) {
	t.Parallel()
	config := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(config, []byte("scrape_configs:\n- job_name: a\n  kubernetes_sd_configs: [{role: pod}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		cause error
		args  []string
		code  int
		err   string
	}{
		{name: "SIGINT", cause: signalCause{syscall.SIGINT}, args: []string{"targets", "--config", config, "--server", "http://127.0.0.1:1"},
			code: exitInterrupted, err: "sdinspect: interrupted by SIGINT before finishing\n"},
		{name: "SIGTERM", cause: signalCause{syscall.SIGTERM}, args: []string{"targets", "--config", config, "--server", "http://127.0.0.1:1"},
			code: exitTerminated, err: "sdinspect: terminated by SIGTERM before finishing\n"},
		{name: "cancelled without a signal", cause: context.Canceled, args: []string{"targets", "--config", config, "--server", "http://127.0.0.1:1"},
			code: exitFailed},
		{name: "finished although signalled", cause: signalCause{syscall.SIGINT}, args: []string{"version"}, code: exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(tt.cause)
			var stdout, stderr bytes.Buffer
			code := run(ctx, tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if tt.err != "" && (stderr.String() != tt.err || stdout.Len() > 0) {
				t.Errorf("stdout %q, stderr %q; want no stdout and stderr %q", stdout.String(), stderr.String(), tt.err)
			}
		})
	}
}

// TestInterrupt builds sdinspect and signals it while it waits on an API
// server that never answers: snapshot -o FILE while it lists, auth csr
// --submit while it submits. SIGINT exits 130 and SIGTERM 143; the files the
// run would write keep their old bytes (or stay absent), and no temporary
// file is left behind.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	bin := buildSdinspect(t)
	signals := []struct {
		sig  syscall.Signal
		code int
		err  string
	}{
		{sig: syscall.SIGINT, code: exitInterrupted, err: "sdinspect: interrupted by SIGINT before finishing\n"},
		{sig: syscall.SIGTERM, code: exitTerminated, err: "sdinspect: terminated by SIGTERM before finishing\n"},
	}
	for _, s := range signals {
		for _, existing := range []bool{false, true} {
			name := signalName(s.sig)
			if existing {
				name += " over existing files"
			}
			t.Run("snapshot/"+name, func(t *testing.T) {
				t.Parallel()
				srv := newStallingServer(t)
				dir := t.TempDir()
				config := filepath.Join(dir, "prometheus.yml")
				writeFile(t, config, "scrape_configs:\n- job_name: a\n  kubernetes_sd_configs: [{role: pod}]\n")
				out := filepath.Join(dir, "cluster.yaml")
				before := map[string][]byte{"prometheus.yml": readFile(t, config)}
				if existing {
					writeFile(t, out, "apiVersion: v1\nitems: []\nkind: List\n# the old snapshot\n")
					before["cluster.yaml"] = readFile(t, out)
				}
				stderr := signalRun(t, bin, srv, s.sig, s.code, "snapshot", "--config", config, "--server", srv.URL, "-o", out)
				if stderr != s.err {
					t.Errorf("stderr %q, want %q", stderr, s.err)
				}
				if diff := cmp.Diff(before, dirFiles(t, dir)); diff != "" {
					t.Errorf("files in the directory (-before +after):\n%s", diff)
				}
			})
			t.Run("auth csr/"+name, func(t *testing.T) {
				t.Parallel()
				srv := newStallingServer(t)
				dir := t.TempDir()
				args := []string{"auth", "csr", "--user", "alice", "--out", dir, "--submit", "--server", srv.URL}
				before := map[string][]byte{}
				if existing {
					for _, name := range []string{"alice.key", "alice.csr", "alice.crt", "alice.kubeconfig"} {
						writeFile(t, filepath.Join(dir, name), "old "+name+"\n")
						before[name] = readFile(t, filepath.Join(dir, name))
					}
					args = append(args, "--force")
				}
				stderr := signalRun(t, bin, srv, s.sig, s.code, args...)
				if want := "wrote " + filepath.Join(dir, "alice.key"); !bytes.HasPrefix([]byte(stderr), []byte(want)) || !bytes.HasSuffix([]byte(stderr), []byte("\n"+s.err)) {
					t.Errorf("stderr:\n%s\nwant the lines about the key and request, then %q", stderr, s.err)
				}
				after := dirFiles(t, dir)
				// The key and the request are written before the request
				// is submitted, and stay (the README says how to fetch
				// the certificate later): both complete, and a pair.
				checkKeyPair(t, after["alice.key"], after["alice.csr"])
				delete(after, "alice.key")
				delete(after, "alice.csr")
				delete(before, "alice.key")
				delete(before, "alice.csr")
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("files besides the key and request (-before +after):\n%s", diff)
				}
			})
		}
	}
}

// buildSdinspect builds the command into a temporary directory.
func buildSdinspect(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sdinspect")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// stallingServer is an API server that answers no request: each waits
// until its client goes away or the test ends.
type stallingServer struct {
	*httptest.Server
	// seen receives the path of every request as it arrives.
	seen chan string
}

func newStallingServer(t *testing.T) *stallingServer {
	s := &stallingServer{seen: make(chan string, 100)}
	done := make(chan struct{})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.seen <- r.Method + " " + r.URL.Path:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(func() {
		close(done)
		s.Close()
	})
	return s
}

// signalRun starts bin with args, waits until the server sees a request,
// sends sig and checks that bin then exits with code and nothing on stdout.
// It returns stderr.
func signalRun(t *testing.T, bin string, srv *stallingServer, sig syscall.Signal, code int, args ...string) string {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	// No kubeconfig of the machine's user may take part.
	cmd.Env = append(os.Environ(), "HOME="+home, "KUBECONFIG="+filepath.Join(home, "none"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case req := <-srv.seen:
		t.Logf("the server got %s; sending %v", req, sig)
	case err := <-exited:
		t.Fatalf("sdinspect exited (%v) before the server saw a request; stderr:\n%s", err, stderr.String())
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the server saw no request within a minute; stderr:\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("sdinspect did not exit within a minute of %v; stderr:\n%s", sig, stderr.String())
	}
	var exit *exec.ExitError
	got := 0
	if errors.As(err, &exit) {
		got = exit.ExitCode() // -1 if the signal killed it
	} else if err != nil {
		t.Fatal(err)
	}
	if got != code {
		t.Fatalf("exit %d (%v), want %d; stderr:\n%s", got, err, code, stderr.String())
	}
	if stdout.Len() > 0 {
		t.Errorf("an interrupted run printed on stdout:\n%s", stdout.String())
	}
	return stderr.String()
}

// dirFiles returns the contents of the files in dir, by name.
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		out[e.Name()] = readFile(t, filepath.Join(dir, e.Name()))
	}
	return out
}

// checkKeyPair checks that key and csr are a complete PEM private key and
// a certificate request signed with it.
func checkKeyPair(t *testing.T, key, csr []byte) {
	t.Helper()
	kb, _ := pem.Decode(key)
	cb, _ := pem.Decode(csr)
	if kb == nil || cb == nil {
		t.Fatalf("key %q, request %q: want both complete PEM", key, csr)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		t.Fatalf("key: %v", err)
	}
	req, err := x509.ParseCertificateRequest(cb.Bytes)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if err := req.CheckSignature(); err != nil {
		t.Fatalf("request: %v", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		t.Fatalf("key of type %T", k)
	}
	if pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(req.PublicKey) {
		t.Errorf("the request is not for the key")
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
