// Map workloads (issue 4): insert while growing, lookups, deletes, range,
// string keys, and forced GC cycles with a large live map.
// Twins of bench/maps_bench.cc (same names, BM_ instead of Benchmark); the
// key scheme (mix, xorshift from gc_test.go, mapSeed) and the extra figure
// (ns/elem) are described there.
package gortbench

import (
	"runtime"
	"testing"
	"time"
)

const mapN = 1 << 20 // "1M", as in ForcedGC_List1M and bench.json's Range1M

func mix(i int64) int64 { return int64(uint64(i) * 0x9E3779B97F4A7C15) }

const mapSeed = 0x2545F4914F6CDD1D

var mapSink int64

// m[mix(i)] = i for i in [0, n)
func fillInt(m map[int64]int64, n int64) {
	for i := int64(0); i < n; i++ {
		m[mix(i)] = i
	}
}

// MapInsertGrow1M_NoHint / _Hint: one op = one insert of a new key into a
// map[int64]int64 that is filled to 1M entries, then replaced by a fresh
// map (make, timed, as is the collection of the old maps).
func insertGrow(b *testing.B, hint int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var m map[int64]int64
	j := int64(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if j == 0 {
			m = make(map[int64]int64, hint)
		}
		m[mix(j)] = j
		j++
		if j == mapN {
			j = 0
		}
	}
	b.StopTimer()
	mapSink = int64(len(m))
}

func BenchmarkMapInsertGrow1M_NoHint(b *testing.B) { insertGrow(b, 0) }
func BenchmarkMapInsertGrow1M_Hint(b *testing.B)   { insertGrow(b, mapN) }

// MapLookupHit1M / MapLookupMiss1M: a map[int64]int64 of 1M entries built
// untimed; one op = one lookup of a random present key (mix(r % 1M)) / a
// random absent one (mix(1M + r % 1M)).
func lookup1M(b *testing.B, offset int64) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	m := make(map[int64]int64)
	fillInt(m, mapN)
	x := uint64(mapSeed)
	var sum int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x = xorshift(x)
		sum += m[mix(offset+int64(x%mapN))]
	}
	b.StopTimer()
	mapSink = sum
}

func BenchmarkMapLookupHit1M(b *testing.B)  { lookup1M(b, 0) }
func BenchmarkMapLookupMiss1M(b *testing.B) { lookup1M(b, mapN) }

// MapDelete1M: a map[int64]int64 of 1M entries built untimed; one op = one
// delete of a present key (mix(0), mix(1), ... in order); when the map is
// empty it is refilled, untimed.
func BenchmarkMapDelete1M(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	m := make(map[int64]int64)
	fillInt(m, mapN)
	j := int64(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		delete(m, mix(j))
		j++
		if j == mapN {
			j = 0
			b.StopTimer()
			fillInt(m, mapN)
			b.StartTimer()
		}
	}
}

// MapRange1M: a map[int64]int64 of 1M entries built untimed; one op = one
// whole `for k, v := range m` summing keys and values. ns/elem = ns/op / 1M.
func BenchmarkMapRange1M(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	m := make(map[int64]int64)
	fillInt(m, mapN)
	var sum int64
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		for k, v := range m {
			sum += k + v
		}
	}
	ns := float64(time.Since(t0).Nanoseconds())
	b.StopTimer()
	mapSink = sum
	b.ReportMetric(ns/float64(b.N)/mapN, "ns/elem")
}

// MapStringLookup16B_1M: a map[string]int of 1M entries whose keys are the
// 16 hex digits of mix(i), built untimed; one op = format the key of a
// random present entry into a 16-byte buffer and look it up with
// m[string(buf)] (no allocation).

// The 16 lower-case hex digits of v into buf[0:16].
func hex16(buf []byte, v uint64) {
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		buf[i] = digits[v&15]
		v >>= 4
	}
}

func BenchmarkMapStringLookup16B_1M(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	m := make(map[string]int)
	var buf [16]byte
	for i := int64(0); i < mapN; i++ {
		hex16(buf[:], uint64(mix(i)))
		m[string(buf[:])] = int(i)
	}
	x := uint64(mapSeed)
	var sum int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x = xorshift(x)
		hex16(buf[:], uint64(mix(int64(x%mapN))))
		sum += int64(m[string(buf[:])])
	}
	b.StopTimer()
	mapSink = sum
}

// ForcedGC_Live1MMapPtr / ForcedGC_Live1MMapInt: a live package-level map
// of 1M entries, built untimed, then one GC; one op = one runtime.GC().
// Ptr: map[int64]*int64, every value a separate new(int64). Int:
// map[int64]int64 (pointer-free buckets, never scanned).
var liveMapPtr map[int64]*int64
var liveMapInt map[int64]int64

func BenchmarkForcedGC_Live1MMapPtr(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	liveMapPtr = make(map[int64]*int64)
	for i := int64(0); i < mapN; i++ {
		p := new(int64)
		*p = i
		liveMapPtr[mix(i)] = p
	}
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
	}
	b.StopTimer()
	liveMapPtr = nil
}

func BenchmarkForcedGC_Live1MMapInt(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	liveMapInt = make(map[int64]int64)
	fillInt(liveMapInt, mapN)
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
	}
	b.StopTimer()
	liveMapInt = nil
}
