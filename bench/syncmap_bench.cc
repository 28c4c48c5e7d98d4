// sync.Map workloads: the lock-free paths (Load hit, Store and LoadOrStore
// of existing keys) and a read-mostly mix on two goroutines.
// Go twins: bench/go/syncmap_test.go (same names, Benchmark instead of BM_).
// Each body mirrors its twin statement for statement; keep them in step.
//
// Every workload starts from 1024 int64 keys stored and then promoted to the
// read map (one Range), so that every key is found without the lock. The
// Go side passes keys and values from a prebuilt []any, so that neither
// side pays for converting an int64 to an interface; Go's Store still
// allocates the 16-byte `any` that entry.p points to (1 alloc/op), as gort's
// allocates the value box.

#include <cstdint>

#include "bench/gort_bench.h"
#include "gort/syncmap.h"

namespace {

using IntMap = gort::SyncMap<int64_t, int64_t>;
constexpr int64_t kKeys = 1024;

gort::Local<IntMap> setup() {
  gort::Local<IntMap> m = gort::New<IntMap>();
  for (int64_t i = 0; i < kKeys; i++) m->Store(i, i);
  m->Range([](int64_t, int64_t) { return true; });  // promote: every key in read
  return m;
}

// SyncMapLoadHit: one op = one Load of a key in read (no lock).
void BM_SyncMapLoadHit(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    gort::Local<IntMap> m = setup();
    int64_t i = 0;
    for (auto _ : state) {
      auto r = m->Load(i & (kKeys - 1));
      benchmark::DoNotOptimize(r.value);
      i++;
    }
  });
}
GORT_BENCHMARK(BM_SyncMapLoadHit);

// SyncMapStoreExisting: one op = one Store to a key in read (a CAS of the
// entry's pointer to a new box; no lock).
void BM_SyncMapStoreExisting(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    gort::Local<IntMap> m = setup();
    int64_t i = 0;
    for (auto _ : state) {
      m->Store(i & (kKeys - 1), i & (kKeys - 1));
      i++;
    }
  });
}
GORT_BENCHMARK(BM_SyncMapStoreExisting);

// SyncMapLoadOrStoreExisting: one op = one LoadOrStore of a key in read
// (a clean hit: loaded, no lock, no allocation).
void BM_SyncMapLoadOrStoreExisting(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    gort::Local<IntMap> m = setup();
    int64_t i = 0;
    for (auto _ : state) {
      auto r = m->LoadOrStore(i & (kKeys - 1), i & (kKeys - 1));
      benchmark::DoNotOptimize(r.value);
      i++;
    }
  });
}
GORT_BENCHMARK(BM_SyncMapLoadOrStoreExisting);

// SyncMapReadMostly: two goroutines share the ops; op j loads key
// (j*7) mod 1024, except every 100th, which stores to it: 99% loads, 1%
// stores of existing keys, at GOMAXPROCS=2.
void BM_SyncMapReadMostly(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    gort::Local<IntMap> m = setup();
    gort::WaitGroup wg;
    while (state.KeepRunningBatch(state.max_iterations)) {
      const int64_t n = state.max_iterations;
      wg.Add(2);
      for (int64_t g = 0; g < 2; g++) {
        gort::go([m, g, n, &wg] {
          for (int64_t j = g; j < n; j += 2) {
            int64_t k = (j * 7) & (kKeys - 1);
            if (j % 100 == 0) {
              m->Store(k, j & (kKeys - 1));
            } else {
              auto r = m->Load(k);
              benchmark::DoNotOptimize(r.value);
            }
          }
          wg.Done();
        });
      }
      wg.Wait();
    }
  });
}
GORT_BENCHMARK(BM_SyncMapReadMostly);

}  // namespace
