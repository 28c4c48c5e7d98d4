// Collector workloads: allocation, forced cycles over a live list, and the
// stop-the-world pauses while goroutines mutate a ~200 MB live heap.
// Twins of bench/gc_bench.cc (same names, BM_ instead of Benchmark); the
// extra figures (MB/s, p50_us, p99_us, ...) are described there.
package gortbench

import (
	"math"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gort: struct Obj64 { gort::Ptr<Obj64> next; char pad[56]; ... }
type obj64 struct {
	next *obj64
	pad  [56]byte
}

var sink64 *obj64
var listHead *obj64

// Alloc64: one op = one 64-byte allocation, into a package-level sink; the
// collector runs as the allocation rate triggers it.
func BenchmarkAlloc64(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for i := 0; i < b.N; i++ {
		sink64 = new(obj64)
	}
	b.StopTimer()
	sink64 = nil
}

// ForcedGC_List<N>: a live singly linked list of n 64-byte nodes, built once
// (untimed); one op = one runtime.GC() (mark, then sweep). MB/s = live
// bytes (n * 64) / time per cycle.
func forcedGCList(b *testing.B, n int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	{
		var head *obj64
		for i := 0; i < n; i++ {
			node := new(obj64)
			node.next = head
			head = node
		}
		listHead = head
	}
	runtime.GC()
	b.SetBytes(int64(n) * 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
	}
	b.StopTimer()
	listHead = nil
}

func BenchmarkForcedGC_List1M(b *testing.B) { forcedGCList(b, 1<<20) }
func BenchmarkForcedGC_List4M(b *testing.B) { forcedGCList(b, 4<<20) }

// STWPause_<W>Writer(s): gctrace.json's method with slices for the two maps.
// Two live slices of 1.375M pointers to [64]byte (2 * 1.375M * (8 + 64) =
// 198 MB live), one GC, then `writers` goroutines overwrite random slots of
// their own slice with fresh objects, unthrottled, for stwRunTime, while
// cycles run naturally and a goroutine forces one 100 ms after the previous
// forced one returned. Pauses come from runtime/metrics /gc/pauses:seconds
// (every STW pause; bucket upper bounds, as in the method) and, per cycle,
// from MemStats.PauseNs. One op = the whole experiment; its ns/op is the p99
// pause.
const stwSlots = 1375000 // per slice
const stwRunTime = 3 * time.Second
const stwForceEvery = 100 * time.Millisecond

var stwLive [2][]*[64]byte

func xorshift(x uint64) uint64 {
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	return x
}

// Nearest rank: the smallest value with at least p of the values at or below it.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	rank := int(math.Ceil(p * float64(len(v))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(v) {
		rank = len(v)
	}
	return v[rank-1]
}

func readPauses() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: "/gc/pauses:seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64Histogram()
}

func stwPause(b *testing.B, writers int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for w := range stwLive {
		stwLive[w] = make([]*[64]byte, stwSlots)
		for i := 0; i < stwSlots; i++ {
			stwLive[w][i] = new([64]byte)
		}
	}
	runtime.GC()
	b.ResetTimer()
	var each, perGC []float64 // microseconds
	var writes atomic.Int64
	var secs float64
	for it := 0; it < b.N; it++ {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		gc0 := ms.NumGC
		h0 := readPauses()
		var stop atomic.Bool
		var wg sync.WaitGroup
		wg.Add(writers + 1)
		for w := 0; w < writers; w++ {
			w := w
			go func() {
				x := 0x9E3779B97F4A7C15 * uint64(w+1)
				s := stwLive[w]
				n := uint64(len(s))
				var mine int64
				for !stop.Load() {
					for j := 0; j < 256; j++ {
						x = xorshift(x)
						s[x%n] = new([64]byte)
					}
					mine += 256
				}
				writes.Add(mine)
				wg.Done()
			}()
		}
		go func() {
			for {
				time.Sleep(stwForceEvery)
				if stop.Load() {
					break
				}
				runtime.GC()
			}
			wg.Done()
		}()
		t0 := time.Now()
		time.Sleep(stwRunTime)
		stop.Store(true)
		wg.Wait()
		secs += time.Since(t0).Seconds()

		h1 := readPauses()
		for i := range h1.Counts {
			up := h1.Buckets[i+1]
			if math.IsInf(up, 1) {
				up = h1.Buckets[i]
			}
			for k := h1.Counts[i] - h0.Counts[i]; k > 0; k-- {
				each = append(each, up*1e6)
			}
		}
		runtime.ReadMemStats(&ms)
		if ms.NumGC > gc0+256 {
			gc0 = ms.NumGC - 256 // older ones have left the ring
		}
		for g := gc0 + 1; g <= ms.NumGC; g++ {
			perGC = append(perGC, float64(ms.PauseNs[(g+255)%256])/1e3)
		}
	}
	b.StopTimer()
	p99 := percentile(each, 0.99)
	b.ReportMetric(p99*1e3, "ns/op")
	b.ReportMetric(percentile(each, 0.50), "p50_us")
	b.ReportMetric(p99, "p99_us")
	b.ReportMetric(percentile(each, 1.0), "max_us")
	b.ReportMetric(percentile(perGC, 0.99), "gc_p99_us")
	b.ReportMetric(float64(len(each)), "pauses")
	b.ReportMetric(float64(len(perGC)), "GCs")
	b.ReportMetric(float64(writes.Load())/secs/1e6, "Mwrites/s")
	for w := range stwLive {
		stwLive[w] = nil
	}
}

func BenchmarkSTWPause_1Writer(b *testing.B)  { stwPause(b, 1) }
func BenchmarkSTWPause_2Writers(b *testing.B) { stwPause(b, 2) }
