package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/discovery"
)

// How sdinspect bounds its memory when it reads a large cluster from files.
// Decoding a snapshot makes ~15 times the objects' size in garbage; Go's
// collector, by default, lets the heap grow to twice what it last found
// live, and keeps what it freed, so that 741 MiB of objects peaked at 3.0
// times that. Decoding runs on one goroutine, so a collector that runs more
// often mostly uses the other processors: decoding takes hardly longer.
// After decoding, the heap is held under a soft limit a little below twice
// the objects, which does cost time, as the collector marks the objects
// again more often (102 s against 73 s for that run, see the README). Both
// are left to Go's defaults when GOGC or GOMEMLIMIT is set.
const (
	// decodeGCPercent is the GOGC while files are decoded.
	decodeGCPercent = 50
	// heapLimitPercent is the memory limit after decoding, in percent of
	// the heap the decoded objects hold. Go's limit counts the memory the
	// runtime maps, not the program's own text: there is room for it below
	// twice the objects.
	heapLimitPercent = 190
	// minLimitedHeap is the least heap of decoded objects that gets a
	// limit: below it, the runtime's own memory would be a large part of
	// the limit, and memory is not a concern.
	minLimitedHeap = 256 << 20
)

// readFiles reads the cluster from files, as cluster.Read does, bounding
// the memory the process uses to do so and afterwards (see above).
func readFiles(paths []string, warn func(string)) (*discovery.Snapshot, error) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return cluster.Read(paths, warn)
	}
	// No limit set by an earlier read while this one decodes.
	debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(decodeGCPercent)
	snap, err := cluster.Read(paths, warn)
	// Go's default, which an unset GOGC means; not the setting found on
	// entry, which a concurrent read may have changed.
	debug.SetGCPercent(100)
	if err != nil {
		return nil, err
	}
	limitHeap(minLimitedHeap)
	return snap, nil
}

// limitHeap collects the garbage, returns the memory it held to the
// system, and, if what is live is at least minHeap bytes, sets the soft
// memory limit to heapLimitPercent of it. It returns the limit, or -1.
func limitHeap(minHeap uint64) int64 {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc < minHeap {
		return -1
	}
	limit := int64(ms.HeapAlloc / 100 * heapLimitPercent)
	debug.SetMemoryLimit(limit)
	return limit
}
