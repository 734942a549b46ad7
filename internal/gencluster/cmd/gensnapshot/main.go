// Command gensnapshot writes a realistic generated cluster as a snapshot
// file, for measuring sdinspect at scale:
//
//	go run ./internal/gencluster/cmd/gensnapshot -seed 1 -pods 150000 -nodes 5000 -services 10000 -o /tmp/big.yaml
//
// It lives under internal/ because it is a development tool, not part of
// what sdinspect offers its users.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run parses args, generates the cluster and writes it, reporting the
// time each step took on stderr. It returns the exit status.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gensnapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Int64("seed", 1, "random seed; the same seed and sizes give the same file")
	var scale gencluster.Scale
	fs.IntVar(&scale.Pods, "pods", 1000, "number of pods")
	fs.IntVar(&scale.Nodes, "nodes", 50, "number of nodes")
	fs.IntVar(&scale.Services, "services", 100, "number of services (each with Endpoints and EndpointSlices)")
	fs.IntVar(&scale.Namespaces, "namespaces", 0, "number of workload namespaces (0: one per 25 services)")
	out := fs.String("o", "", "snapshot file to write (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "gensnapshot: -o FILE is required and no arguments are taken")
		return 2
	}
	start := time.Now()
	snap := gencluster.Realistic(*seed, scale)
	generated := time.Now()
	if err := cluster.WriteFile(*out, snap); err != nil {
		fmt.Fprintf(stderr, "gensnapshot: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "gensnapshot: %d pods, %d nodes, %d services, %d endpointslices: generated in %v, written in %v\n",
		len(snap.Pods), len(snap.Nodes), len(snap.Services), len(snap.EndpointSlices),
		generated.Sub(start).Round(time.Millisecond), time.Since(generated).Round(time.Millisecond))
	return 0
}
