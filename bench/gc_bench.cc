// Collector workloads: allocation, forced cycles over a live list, and the
// stop-the-world pauses while goroutines mutate a ~200 MB live heap.
// Go twins: bench/go/gc_test.go (same names, Benchmark instead of BM_).
// Each body mirrors its twin statement for statement; keep them in step.
//
// Extra figures (Google Benchmark counters here, b.ReportMetric / SetBytes in
// Go, with the same names) are printed by compare.py above the ratio table:
//   MB/s                 ForcedGC_*: live bytes (nodes * 64) / time per cycle
//   p50_us p99_us max_us STWPause_*: every STW pause (sweep termination and
//                        mark termination counted separately), microseconds
//   gc_p99_us            STWPause_*: p99 of the per-cycle sum of both pauses
//                        (MemStats.PauseNs)
//   pauses, GCs, Mwrites/s
// STWPause_* report the p99 pause as their ns/op (manual time here,
// ReportMetric(..., "ns/op") in Go), so the ratio line compares p99s.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include "bench/gort_bench.h"
#include "gort/slice.h"
#include "gc/collector.h"  // per-phase pauses: gc::gCollector->history

namespace {

using namespace std::chrono_literals;

// Go: type obj64 struct { next *obj64; pad [56]byte }
struct Obj64 {
  gort::Ptr<Obj64> next;
  char pad[56];
  void trace(gort::Visitor& v) const { v(next); }
};
static_assert(sizeof(Obj64) == 64);

// Go: [64]byte (pointer-free: never scanned).
struct Bytes64 {
  char b[64];
};
static_assert(sizeof(Bytes64) == 64 && !gort::kHasPointers<Bytes64>);

gort::Global<Obj64> gSink;      // Go: var sink64 *obj64
gort::Global<Obj64> gListHead;  // Go: var listHead *obj64

// ---------------------------------------------------------------------------
// Alloc64: one op = one 64-byte allocation, into a package-level sink; the
// collector runs as the allocation rate triggers it.
void BM_Alloc64(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    for (auto _ : state) gSink = gort::New<Obj64>();
    gSink = nullptr;
  });
}
GORT_BENCHMARK(BM_Alloc64);

// ---------------------------------------------------------------------------
// ForcedGC_List<N>: a live singly linked list of n 64-byte nodes, built once
// (untimed); one op = one gort::GC() (runtime.GC(): mark, then sweep).
void forcedGCList(benchmark::State& state, int64_t n) {
  gortbench::run(state, 2, [&] {
    {
      gort::Local<Obj64> head;
      for (int64_t i = 0; i < n; i++) {
        gort::Local<Obj64> node = gort::New<Obj64>();
        node->next = head;
        head = node;
      }
      gListHead = head;
    }
    gort::GC();
    auto t0 = std::chrono::steady_clock::now();
    for (auto _ : state) gort::GC();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double liveBytes = static_cast<double>(n) * sizeof(Obj64);
    state.counters["MB/s"] = liveBytes * static_cast<double>(state.iterations()) / 1e6 / secs;
    gListHead = nullptr;
  });
}
void BM_ForcedGC_List1M(benchmark::State& state) { forcedGCList(state, 1 << 20); }
GORT_BENCHMARK(BM_ForcedGC_List1M);
void BM_ForcedGC_List4M(benchmark::State& state) { forcedGCList(state, 4 << 20); }
GORT_BENCHMARK(BM_ForcedGC_List4M);

// ---------------------------------------------------------------------------
// STWPause_<W>Writer(s): gctrace.json's method with slices for maps (gort's
// map is not there yet). Two live slices of 1.375M pointers to 64-byte
// pointer-free objects (2 * 1.375M * (8 + 64) = 198 MB live), one GC, then
// `writers` goroutines overwrite random slots of their own slice with fresh
// objects, unthrottled, for kSTWRunTime, while cycles run naturally and a
// goroutine forces one 100 ms after the previous forced one returned. Every
// STW pause of the cycles that ran meanwhile is collected. One op = the whole
// experiment (Iterations(1)); its reported time is the p99 pause.

constexpr int64_t kSTWSlots = 1375000;  // per slice
constexpr auto kSTWRunTime = 3s;
constexpr auto kSTWForceEvery = 100ms;

gort::Global<gort::Slice<gort::Ptr<Bytes64>>> gLive[2];  // Go: var stwLive [2][]*[64]byte

inline uint64_t xorshift(uint64_t x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

// Nearest rank: the smallest value with at least p of the values at or below it.
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

void stwPause(benchmark::State& state, int writers) {
  gortbench::run(state, 2, [&] {
    for (auto& live : gLive) {
      live = gort::Slice<gort::Ptr<Bytes64>>::make(kSTWSlots);
      for (int64_t i = 0; i < kSTWSlots; i++) (*live)[i] = gort::New<Bytes64>();
    }
    gort::GC();
    gort::gc::Collector* c = gort::gc::gCollector;
    for (auto _ : state) {
      size_t h0 = c->history.size();  // no cycle runs now: GC() returned, nobody allocates
      std::atomic<bool> stop{false};
      std::atomic<int64_t> writes{0};
      gort::WaitGroup wg;
      wg.Add(writers + 1);
      for (int w = 0; w < writers; w++) {
        gort::go([&, w] {
          uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(w + 1);
          gort::Slice<gort::Ptr<Bytes64>>& s = *gLive[w];
          uint64_t n = s.len();
          int64_t mine = 0;
          while (!stop.load(std::memory_order_relaxed)) {
            for (int j = 0; j < 256; j++) {
              x = xorshift(x);
              s[x % n] = gort::New<Bytes64>();
            }
            mine += 256;
          }
          writes.fetch_add(mine);
          wg.Done();
        });
      }
      gort::go([&] {
        for (;;) {
          gort::Sleep(kSTWForceEvery);
          if (stop.load()) break;
          gort::GC();
        }
        wg.Done();
      });
      auto t0 = std::chrono::steady_clock::now();
      gort::Sleep(kSTWRunTime);
      stop.store(true);
      wg.Wait();
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      // A natural cycle may still be finishing: wait until every cycle started
      // has recorded itself (marksDone is bumped after history.push_back).
      while (c->marksDone.load(std::memory_order_acquire) != c->cycles.load()) gort::Sleep(1ms);

      std::vector<double> each, perGC;  // microseconds
      for (size_t i = h0; i < c->history.size(); i++) {
        const gort::gc::CycleRecord& r = c->history[i];
        each.push_back(static_cast<double>(r.sweepTermNs) / 1e3);
        each.push_back(static_cast<double>(r.markTermNs) / 1e3);
        // The stops of gcMarkDone attempts that found more work are pauses
        // too (Go's /gc/pauses:seconds has them); the record keeps their sum.
        if (r.restartPauseNs > 0) each.push_back(static_cast<double>(r.restartPauseNs) / 1e3);
        perGC.push_back(static_cast<double>(r.sweepTermNs + r.markTermNs + r.restartPauseNs) / 1e3);
      }
      double p99 = percentile(each, 0.99);
      state.SetIterationTime(p99 / 1e6);
      state.counters["p50_us"] = percentile(each, 0.50);
      state.counters["p99_us"] = p99;
      state.counters["max_us"] = percentile(each, 1.0);
      state.counters["gc_p99_us"] = percentile(perGC, 0.99);
      state.counters["pauses"] = static_cast<double>(each.size());
      state.counters["GCs"] = static_cast<double>(perGC.size());
      state.counters["Mwrites/s"] = static_cast<double>(writes.load()) / secs / 1e6;
    }
    for (auto& live : gLive) live = gort::Slice<gort::Ptr<Bytes64>>();
  });
}
void BM_STWPause_1Writer(benchmark::State& state) { stwPause(state, 1); }
void BM_STWPause_2Writers(benchmark::State& state) { stwPause(state, 2); }
// Manual time (the p99 pause), one experiment per run.
BENCHMARK(BM_STWPause_1Writer)->UseManualTime()->MeasureProcessCPUTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_STWPause_2Writers)->UseManualTime()->MeasureProcessCPUTime()->Iterations(1)->Unit(benchmark::kMicrosecond);

}  // namespace
