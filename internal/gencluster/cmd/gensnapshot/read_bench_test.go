package main

import (
	"os"
	"runtime"
	"testing"

	"github.com/sdinspect/sdinspect/cluster"
)

// BenchmarkReadLarge decodes the snapshot file $SDINSPECT_BIG_SNAPSHOT
// names, such as one gensnapshot wrote at production scale: the floor the
// targets command's time is measured against. It reports the heap the
// decoded objects hold as heap-MB. Without the variable it is skipped, so
// benchmark runs over the whole module stay short.
func BenchmarkReadLarge(b *testing.B) {
	path := os.Getenv("SDINSPECT_BIG_SNAPSHOT")
	if path == "" {
		b.Skip("SDINSPECT_BIG_SNAPSHOT is not set")
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	heap, pods := decodedSize(b, path)
	// Start from an empty heap, as a process reading the file does: the
	// pacer would otherwise let the timed Read grow to twice the heap
	// decodedSize left before collecting, and collect less often.
	runtime.GC()
	b.SetBytes(info.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cluster.Read([]string{path}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(pods), "pods")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
}

// decodedSize reads path once and returns the live heap the snapshot
// holds, and its number of pods.
func decodedSize(b *testing.B, path string) (heap uint64, pods int) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	snap, err := cluster.Read([]string{path}, nil)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(snap)
	return after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc), len(snap.Pods)
}
