package main

import (
	"math"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestLimitHeap sets the memory limit from the heap left live, and only
// above the size asked for. Not parallel: the limit is the process's.
func TestLimitHeap(t *testing.T) {
	t.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })
	if got := limitHeap(math.MaxUint64); got != -1 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Fatalf("limitHeap above the heap: %d, limit %d; want no limit", got, debug.SetMemoryLimit(-1))
	}
	got := limitHeap(0)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if set := debug.SetMemoryLimit(-1); got != set || got < int64(ms.HeapAlloc) || got > int64(ms.HeapAlloc)*2 {
		t.Fatalf("limitHeap(0) = %d, limit %d, for a heap of %d: want the limit set between one and two times the heap", got, set, ms.HeapAlloc)
	}
}

// TestReadFilesRestoresGC: the collector is back to Go's default after
// decoding, and a small cluster gets no limit.
func TestReadFilesRestoresGC(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	prev := debug.SetGCPercent(77)
	t.Cleanup(func() { debug.SetGCPercent(prev); debug.SetMemoryLimit(math.MaxInt64) })
	snap, err := readFiles([]string{filepath.FromSlash("../../testdata/examples/cluster.yaml")}, func(string) {})
	if err != nil || len(snap.Pods) == 0 {
		t.Fatalf("reading the example: %v, %d pods", err, len(snap.Pods))
	}
	if got := debug.SetGCPercent(77); got != 100 {
		t.Errorf("GOGC after reading: %d, want Go's default, 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit after reading a small cluster: %d, want none", got)
	}
}
