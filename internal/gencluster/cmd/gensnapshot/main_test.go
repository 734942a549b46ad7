package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"go.yaml.in/yaml/v2"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

// generate runs the command with args plus -o, and returns the file.
func generate(t *testing.T, args ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snap.yaml")
	var stderr bytes.Buffer
	if code := run(append(args, "-o", path), &stderr); code != 0 {
		t.Fatalf("run %v: exit %d: %s", args, code, stderr.String())
	}
	return path
}

func TestSameSeedSameBytes(t *testing.T) {
	t.Parallel()
	args := []string{"-seed", "5", "-pods", "400", "-nodes", "12", "-services", "30"}
	a, err := os.ReadFile(generate(t, args...))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(generate(t, args...))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different files")
	}
	c, err := os.ReadFile(generate(t, append(args[2:], "-seed", "6")...))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Fatal("seeds 5 and 6 gave the same file")
	}
}

func TestCountsMatchFlags(t *testing.T) {
	t.Parallel()
	tests := map[string]gencluster.Scale{
		"small":       {Pods: 250, Nodes: 8, Services: 20},
		"namespaces":  {Pods: 90, Nodes: 3, Services: 9, Namespaces: 4},
		"no services": {Pods: 50, Nodes: 2},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := generate(t, "-pods", fmt.Sprint(want.Pods), "-nodes", fmt.Sprint(want.Nodes),
				"-services", fmt.Sprint(want.Services), "-namespaces", fmt.Sprint(want.Namespaces))
			snap, err := cluster.Read([]string{path}, func(w string) { t.Errorf("warning: %s", w) })
			if err != nil {
				t.Fatal(err)
			}
			got := gencluster.Scale{Pods: len(snap.Pods), Nodes: len(snap.Nodes), Services: len(snap.Services), Namespaces: want.Namespaces}
			if want.Namespaces > 0 {
				got.Namespaces = len(snap.Namespaces) - 3 // kube-system, logging, monitoring
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("counts (-flags +file):\n%s", diff)
			}
			if len(snap.Endpoints) != want.Services || len(snap.EndpointSlices) < want.Services {
				t.Errorf("%d Endpoints and %d EndpointSlices for %d services", len(snap.Endpoints), len(snap.EndpointSlices), want.Services)
			}
		})
	}
}

// TestReadsBack checks that the file reads back to a snapshot that writes
// the same bytes again and that discovery sees as it sees the generated
// one, in every role: writing strips only what discovery does not read.
func TestReadsBack(t *testing.T) {
	t.Parallel()
	scale := gencluster.Scale{Pods: 300, Nodes: 10, Services: 25}
	path := generate(t, "-seed", "3", "-pods", "300", "-nodes", "10", "-services", "25")
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	read, err := cluster.Read([]string{path}, func(w string) { t.Errorf("warning: %s", w) })
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := cluster.Write(&again, read); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(written), again.String()); diff != "" {
		t.Errorf("writing what was read gives other bytes:\n%s", diff)
	}
	generated := gencluster.Realistic(3, scale)
	for _, role := range []string{"pod", "service", "endpoints", "endpointslice", "node", "ingress"} {
		t.Run(role, func(t *testing.T) {
			sd := &kubernetes.SDConfig{}
			if err := yaml.UnmarshalStrict([]byte("{role: "+role+", attach_metadata: {node: true, namespace: true}}"), sd); err != nil {
				t.Fatal(err)
			}
			want, err := discovery.Discover(generated, sd, discovery.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := discovery.Discover(read, sd, discovery.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("no target groups")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("targets from the file differ from the generated cluster's (-generated +file):\n%s", diff)
			}
		})
	}
}
