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
	b.SetBytes(info.Size())
	b.ReportAllocs()
	var heap uint64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		snap, err := cluster.Read([]string{path}, nil)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
		b.ReportMetric(float64(len(snap.Pods)), "pods")
		runtime.KeepAlive(snap)
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
}
