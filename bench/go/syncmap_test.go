// sync.Map workloads: the lock-free paths (Load hit, Store and LoadOrStore
// of existing keys) and a read-mostly mix on two goroutines. Twins of
// bench/syncmap_bench.cc (same names, BM_ instead of Benchmark).
//
// Every workload starts from 1024 int64 keys stored and then promoted to the
// read map (one Range). Keys and values come from a prebuilt []any, so that
// no int64 is converted to an interface in the timed loop; Store still
// allocates the 16-byte `any` that entry.p points to (1 alloc/op).
package gortbench

import (
	"runtime"
	"sync"
	"testing"
)

const syncMapKeys = 1024

var (
	syncMapSinkV  any
	syncMapSinkOK bool
)

func syncMapSetup() (*sync.Map, []any) {
	m := new(sync.Map)
	keys := make([]any, syncMapKeys)
	for i := range keys {
		keys[i] = int64(i)
		m.Store(keys[i], keys[i])
	}
	m.Range(func(k, v any) bool { return true }) // promote: every key in read
	return m, keys
}

// One op: one Load of a key in read (no lock).
func BenchmarkSyncMapLoadHit(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	m, keys := syncMapSetup()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		syncMapSinkV, syncMapSinkOK = m.Load(keys[i&(syncMapKeys-1)])
	}
	b.StopTimer()
}

// One op: one Store to a key in read (a CAS of the entry's pointer; no lock).
func BenchmarkSyncMapStoreExisting(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	m, keys := syncMapSetup()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Store(keys[i&(syncMapKeys-1)], keys[i&(syncMapKeys-1)])
	}
	b.StopTimer()
}

// One op: one LoadOrStore of a key in read (a clean hit: no lock, no allocation).
func BenchmarkSyncMapLoadOrStoreExisting(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	m, keys := syncMapSetup()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		syncMapSinkV, syncMapSinkOK = m.LoadOrStore(keys[i&(syncMapKeys-1)], keys[i&(syncMapKeys-1)])
	}
	b.StopTimer()
}

// Two goroutines share the ops; op j loads key (j*7) mod 1024, except every
// 100th, which stores to it: 99% loads, 1% stores of existing keys.
func BenchmarkSyncMapReadMostly(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	m, keys := syncMapSetup()
	n := b.N
	var wg sync.WaitGroup
	b.ResetTimer()
	wg.Add(2)
	for g := 0; g < 2; g++ {
		go func(g int) {
			var sinkV any
			for j := g; j < n; j += 2 {
				k := keys[(j*7)&(syncMapKeys-1)]
				if j%100 == 0 {
					m.Store(k, keys[j&(syncMapKeys-1)])
				} else {
					sinkV, _ = m.Load(k)
				}
			}
			if sinkV == struct{}{} {
				panic("unreachable")
			}
			wg.Done()
		}(g)
	}
	wg.Wait()
	b.StopTimer()
}
