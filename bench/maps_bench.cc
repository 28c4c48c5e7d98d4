// Map workloads (issue 4): insert while growing, lookups, deletes, range,
// string keys, and forced GC cycles with a large live map.
// Go twins: bench/go/maps_test.go (same names, Benchmark instead of BM_).
// Each body mirrors its twin statement for statement; keep them in step.
//
// Keys: mix(i) = i * 0x9E3779B97F4A7C15 (an odd multiplier, so a bijection
// of the 64-bit integers: mix(0..n-1) are n distinct keys and mix(n..2n-1)
// are none of them). Random choices: xorshift64 from a fixed seed. Both
// sides use the same functions, so they see the same key sequences.
//
// Extra figures (Google Benchmark counters here, b.ReportMetric in Go, same
// names; compare.py prints them above the ratio table):
//   ns/elem  Range1M: ns per entry visited (ns/op / 1M)

#include <chrono>
#include <cstdint>
#include <string_view>

#include "bench/gort_bench.h"
#include "gort/map.h"

namespace {

constexpr int64_t kN = 1 << 20;  // "1M", as in ForcedGC_List1M and bench.json's Range1M

inline int64_t mix(int64_t i) { return static_cast<int64_t>(static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull); }

inline uint64_t xorshift(uint64_t x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}
constexpr uint64_t kSeed = 0x2545F4914F6CDD1Dull;

using IntMap = gort::Map<int64_t, int64_t>;

// m[mix(i)] = i for i in [0, n)
void fillInt(const IntMap& m, int64_t n) {
  for (int64_t i = 0; i < n; i++) m.set(mix(i), i);
}

// ---------------------------------------------------------------------------
// MapInsertGrow1M_NoHint / _Hint: one op = one insert of a new key into a
// map[int64]int64 that is filled to 1M entries, then replaced by a fresh
// map (make(map[int64]int64[, 1M]), timed, as is the collection of the old
// maps the allocations trigger).
void insertGrow(benchmark::State& state, int64_t hint) {
  gortbench::run(state, 2, [&] {
    gort::Local<IntMap> m;
    int64_t j = 0;
    for (auto _ : state) {
      if (j == 0) m = gort::make_map<int64_t, int64_t>(hint);
      m->set(mix(j), j);
      if (++j == kN) j = 0;
    }
    benchmark::DoNotOptimize(m->len());
  });
}
void BM_MapInsertGrow1M_NoHint(benchmark::State& state) { insertGrow(state, 0); }
GORT_BENCHMARK(BM_MapInsertGrow1M_NoHint);
void BM_MapInsertGrow1M_Hint(benchmark::State& state) { insertGrow(state, kN); }
GORT_BENCHMARK(BM_MapInsertGrow1M_Hint);

// ---------------------------------------------------------------------------
// MapLookupHit1M / MapLookupMiss1M: a map[int64]int64 of 1M entries built
// untimed; one op = one lookup of a random present key (mix(r % 1M)) / a
// random absent one (mix(1M + r % 1M)).
void lookup1M(benchmark::State& state, int64_t offset) {
  gortbench::run(state, 2, [&] {
    auto m = gort::make_map<int64_t, int64_t>();
    fillInt(*m, kN);
    uint64_t x = kSeed;
    int64_t sum = 0;
    for (auto _ : state) {
      x = xorshift(x);
      sum += m->get(mix(offset + static_cast<int64_t>(x % kN)));
    }
    benchmark::DoNotOptimize(sum);
  });
}
void BM_MapLookupHit1M(benchmark::State& state) { lookup1M(state, 0); }
GORT_BENCHMARK(BM_MapLookupHit1M);
void BM_MapLookupMiss1M(benchmark::State& state) { lookup1M(state, kN); }
GORT_BENCHMARK(BM_MapLookupMiss1M);

// ---------------------------------------------------------------------------
// MapDelete1M: a map[int64]int64 of 1M entries built untimed; one op = one
// delete of a present key (mix(0), mix(1), ... in order; the hash scatters
// them); when the map is empty it is refilled, untimed (same map, same
// buckets: a map does not shrink).
void BM_MapDelete1M(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    auto m = gort::make_map<int64_t, int64_t>();
    fillInt(*m, kN);
    int64_t j = 0;
    for (auto _ : state) {
      m->del(mix(j));
      if (++j == kN) {
        j = 0;
        state.PauseTiming();
        fillInt(*m, kN);
        state.ResumeTiming();
      }
    }
  });
}
GORT_BENCHMARK(BM_MapDelete1M);

// ---------------------------------------------------------------------------
// MapRange1M: a map[int64]int64 of 1M entries built untimed; one op = one
// whole `for k, v := range m` summing keys and values. ns/elem = ns/op / 1M.
void BM_MapRange1M(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    auto m = gort::make_map<int64_t, int64_t>();
    fillInt(*m, kN);
    int64_t sum = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (auto _ : state) {
      for (auto [k, v] : *m) sum += k + v;
    }
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(sum);
    state.counters["ns/elem"] = ns / static_cast<double>(state.iterations()) / static_cast<double>(kN);
  });
}
GORT_BENCHMARK(BM_MapRange1M)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// MapStringLookup16B_1M: a map[string]int of 1M entries whose keys are the
// 16 hex digits of mix(i), built untimed; one op = format the key of a
// random present entry into a 16-byte buffer and look it up (Go:
// m[string(buf)], which does not allocate; gort: a std::string_view).

// The 16 lower-case hex digits of v into buf[0..16).
inline void hex16(char* buf, uint64_t v) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; i--) {
    buf[i] = kDigits[v & 15];
    v >>= 4;
  }
}

void BM_MapStringLookup16B_1M(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    auto m = gort::make_map<gort::String, int64_t>();
    char buf[16];
    for (int64_t i = 0; i < kN; i++) {
      hex16(buf, static_cast<uint64_t>(mix(i)));
      m->set(std::string_view(buf, 16), i);
    }
    uint64_t x = kSeed;
    int64_t sum = 0;
    for (auto _ : state) {
      x = xorshift(x);
      hex16(buf, static_cast<uint64_t>(mix(static_cast<int64_t>(x % kN))));
      sum += m->get(std::string_view(buf, 16));
    }
    benchmark::DoNotOptimize(sum);
  });
}
GORT_BENCHMARK(BM_MapStringLookup16B_1M);

// ---------------------------------------------------------------------------
// ForcedGC_Live1MMapPtr / ForcedGC_Live1MMapInt: a live package-level map
// of 1M entries, built untimed, then one GC; one op = one gort::GC()
// (runtime.GC()). Ptr: map[int64]*int64, every value a separate new(int64)
// (the buckets are scanned, 1M small objects marked). Int: map[int64]int64
// (pointer-free buckets, never scanned: about an empty heap's cycle).
gort::Global<gort::Map<int64_t, gort::Ptr<int64_t>>> gLiveMapPtr;  // Go: var liveMapPtr map[int64]*int64
gort::Global<IntMap> gLiveMapInt;                                  // Go: var liveMapInt map[int64]int64

void BM_ForcedGC_Live1MMapPtr(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    gLiveMapPtr = gort::make_map<int64_t, gort::Ptr<int64_t>>();
    for (int64_t i = 0; i < kN; i++) gLiveMapPtr->set(mix(i), gort::New<int64_t>(i).get());
    gort::GC();
    for (auto _ : state) gort::GC();
    gLiveMapPtr = nullptr;
  });
}
GORT_BENCHMARK(BM_ForcedGC_Live1MMapPtr)->Unit(benchmark::kMillisecond);

void BM_ForcedGC_Live1MMapInt(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    gLiveMapInt = gort::make_map<int64_t, int64_t>();
    fillInt(*gLiveMapInt, kN);
    gort::GC();
    for (auto _ : state) gort::GC();
    gLiveMapInt = nullptr;
  });
}
GORT_BENCHMARK(BM_ForcedGC_Live1MMapInt)->Unit(benchmark::kMicrosecond);

}  // namespace
