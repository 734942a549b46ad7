package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/internal/faultproxy"
	"github.com/sdinspect/sdinspect/internal/testcluster"
)

// faultRun is a real cluster holding the bundled example and the flags
// that reach it as a user allowed to read it, directly or through a fault
// proxy.
type faultRun struct {
	c         *testcluster.Cluster
	cert, key string
}

const faultConfig = "../../testdata/examples/prometheus.yml"

// args is a command line for cmd over server, trusting caFile, with three
// objects a page: the example's ten pods come in four pages, its eight
// services in three.
func (f *faultRun) args(cmd, server, caFile string, extra ...string) []string {
	args := []string{cmd, "--config", faultConfig, "--chunk-size", "3",
		"--server", server, "--certificate-authority", caFile, "--client-certificate", f.cert, "--client-key", f.key}
	switch cmd {
	case "snapshot":
		args = append(args, "-o", "-")
	case "targets":
		args = append(args, "-o", "json")
	}
	return append(args, extra...)
}

// cliFaultCase is a fault and what the command must end with: the
// fault-free output, or exit 1, nothing on stdout and the one line
// "sdinspect: listing from the connection flags: " + wantErr on stderr,
// with %r for the request, %s for the proxy's URL and %q for its CA file.
type cliFaultCase struct {
	name    string
	fault   faultproxy.Fault
	times   int // 0: every matching request
	phases  []string
	extra   []string
	wantErr string
}

// cliFaultPhases are the pages a fault strikes, as in the cluster
// package's TestLiveFaults: the first and a middle page of pods, and the
// first page of services (the second for 410 Gone, which only answers a
// continue token).
var cliFaultPhases = map[string]faultproxy.Rule{
	"first page":         {Path: "/pods", First: true},
	"middle page":        {Path: "/pods", Continue: true, Skip: 1},
	"secondary resource": {Path: "/services", First: true},
	"secondary continue": {Path: "/services", Continue: true},
}

var (
	everyPhase = []string{"first page", "middle page", "secondary resource"}
	continued  = []string{"middle page", "secondary continue"}
)

func cliFaultCases() []cliFaultCase {
	return []cliFaultCase{
		{name: "reset mid-body once", fault: faultproxy.Reset, times: 1, phases: everyPhase},
		{name: "truncated body once", fault: faultproxy.Truncate, times: 1, phases: everyPhase},
		{name: "corrupt body once", fault: faultproxy.Corrupt, times: 1, phases: everyPhase},
		{name: "429 Retry-After once", fault: faultproxy.Status(http.StatusTooManyRequests, "1"), times: 1, phases: everyPhase},
		{name: "500 once", fault: faultproxy.Status(http.StatusInternalServerError, ""), times: 1, phases: everyPhase},
		{name: "503 once", fault: faultproxy.Status(http.StatusServiceUnavailable, ""), times: 1, phases: everyPhase},
		{name: "503 Retry-After once", fault: faultproxy.Status(http.StatusServiceUnavailable, "1"), times: 1, phases: everyPhase},
		{name: "410 Gone once", fault: faultproxy.Gone, times: 1, phases: continued},
		{name: "TLS handshake cut once", fault: faultproxy.CutHandshake, times: 1, phases: everyPhase},
		// The default policy: five attempts, about two to four seconds.
		{name: "503 always", fault: faultproxy.Status(http.StatusServiceUnavailable, ""), phases: []string{"first page"},
			wantErr: "listing %r: the API server at %s answered 503 Service Unavailable (the server is currently unable to handle the request); giving up after 5 attempts"},
		{name: "503 Retry-After past the deadline", fault: faultproxy.Status(http.StatusServiceUnavailable, "10"), phases: everyPhase, extra: []string{"--timeout", "4s"},
			wantErr: "listing %r: the API server at %s answered 503 Service Unavailable (the server is currently unable to handle the request) and asked to retry after 10s; giving up after 1 attempt, as the next would start past the deadline (--timeout)"},
		{name: "410 Gone always", fault: faultproxy.Gone, phases: continued,
			wantErr: "listing %r: the API server at %s answered 410 Gone to a continued page (" + expiredMessage + "); giving up after starting the list 4 times"},
		{name: "stall", fault: faultproxy.Stall, phases: everyPhase, extra: []string{"--timeout", "1500ms"},
			wantErr: "listing %r: the API server at %s did not answer in time"},
		{name: "untrusted certificate", fault: faultproxy.Untrusted, phases: everyPhase,
			wantErr: `listing %r: the certificate of the API server at %s (issued by "CN=faultproxy stranger CA") is not signed by the CA in %q; give the CA that signed it (--certificate-authority, or tls_config.ca_file)`},
	}
}

const expiredMessage = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."

// exampleRequests are the lists the example's jobs make.
var exampleRequests = []string{"nodes", `endpointslices.discovery.k8s.io in namespace "monitoring"`, "services in all namespaces", "pods in all namespaces"}

// TestLiveFaults runs snapshot and targets against a real kube-apiserver
// through a proxy that breaks one request in each way a wire or a server
// can, at the first page of pods, a middle page of pods and a page of
// services. Each run either prints exactly what the fault-free run prints,
// with nothing on stderr, or fails with exit 1, nothing on stdout and one
// exact line on stderr.
func TestLiveFaults(t *testing.T) {
	c := testcluster.Start(t)
	objs, err := cluster.Read([]string{"../../testdata/examples/cluster.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Load(t, objs)
	c.Grant(t, "system:faults", readRules...)
	f := &faultRun{c: c}
	f.cert, f.key = c.ClientCert(t, "sdinspect-faults", "system:faults")

	want := map[string]string{}
	for _, cmd := range []string{"snapshot", "targets"} {
		code, stdout, stderr := runCLI(t, f.args(cmd, c.URL, c.CAFile)...)
		if code != exitOK || stderr != "" || stdout == "" {
			t.Fatalf("%s without faults: exit %d, %d bytes, stderr:\n%s", cmd, code, len(stdout), stderr)
		}
		want[cmd] = stdout
	}

	for _, fc := range cliFaultCases() {
		for _, phase := range fc.phases {
			for _, cmd := range []string{"snapshot", "targets"} {
				// targets runs the middle page only, where both commands
				// list the same way; snapshot every phase.
				if cmd == "targets" && phase != "middle page" {
					continue
				}
				t.Run(fc.name+"/"+phase+"/"+cmd, func(t *testing.T) {
					rule := cliFaultPhases[phase]
					rule.Fault, rule.Times = fc.fault, fc.times
					p := faultproxy.Start(t, faultproxy.Config{Upstream: c.URL, CAPEM: c.CAPEM, CertFile: f.cert, KeyFile: f.key, Rules: []faultproxy.Rule{rule}})
					code, stdout, stderr := runCLI(t, f.args(cmd, p.URL, p.CAFile, fc.extra...)...)
					if p.Faulted() == 0 {
						t.Fatalf("the fault never struck; requests:\n%s", strings.Join(p.Log(), "\n"))
					}
					if fc.wantErr == "" {
						if code != exitOK || stderr != "" {
							t.Fatalf("exit %d, stderr:\n%s\nrequests:\n%s", code, stderr, strings.Join(p.Log(), "\n"))
						}
						if stdout != want[cmd] {
							t.Errorf("output differs from the fault-free run:\n%s", lineDiff(want[cmd], stdout))
						}
						return
					}
					if code != exitFailed || stdout != "" {
						t.Errorf("exit %d with %d bytes on stdout, want exit %d and nothing", code, len(stdout), exitFailed)
					}
					requests := []string{rule.Request()}
					if fc.fault == faultproxy.Untrusted {
						// Every request that opens a connection after the
						// fault fails; which comes first is up to timing.
						requests = exampleRequests
					}
					var wants []string
					for _, r := range requests {
						wants = append(wants, "sdinspect: listing from the connection flags: "+p.Expand(fc.wantErr, r)+"\n")
					}
					if !slices.Contains(wants, stderr) {
						t.Errorf("stderr:\n%s\nwant (one of):\n%s\nrequests:\n%s", stderr, strings.Join(wants, ""), strings.Join(p.Log(), "\n"))
					}
				})
			}
		}
	}
}

// lineDiff shows the first line where got departs from want.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(w), len(g)) {
		if w[i] != g[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}
