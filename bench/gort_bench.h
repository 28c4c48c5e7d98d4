// Shared helpers for gort's Google Benchmark suites (bench/*_bench.cc).
//
// Every workload is a pair: a C++ benchmark here named BM_<Name> and a Go
// benchmark in bench/go/*_test.go named Benchmark<Name>. compare.py pairs
// them by <Name>; there is no table to update.
//
//   static void BM_Foo(benchmark::State& state) {
//     gortbench::run(state, /*gomaxprocs=*/2, [&] {
//       ...setup, untimed...
//       for (auto _ : state) { ...one op... }
//       ...teardown, untimed...
//     });
//   }
//   GORT_BENCHMARK(BM_Foo);
//
// gortbench::run starts a fresh runtime in parallel mode for each call of
// the benchmark function (gort::run may be active only once at a time; a
// start and teardown costs tens of microseconds, outside the timed loop)
// and runs the body as the main goroutine. The `state` loop therefore runs
// on a gort M thread, not on the benchmark thread. That is fine for Google
// Benchmark as long as only one thread touches `state` at a time, which is
// why benchmarks must use real time (wall clock; a goroutine may move
// between Ms) and process CPU time (a thread's CPU clock would be read on
// different threads at start and stop): GORT_BENCHMARK sets both.
#pragma once

#include <benchmark/benchmark.h>
#include <gort/gort.h>

#include <cstdio>
#include <string>

namespace gortbench {

// run(state, gomaxprocs, body): body is the main goroutine of a parallel-mode
// runtime with gomaxprocs Ps. Go twins set the same value with
// `defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))`.
//
// A panic or fatal error in the run is captured rather than ending the
// process: its report goes to stderr and the benchmark is marked as failed
// (compare.py says so), so the other workloads still run.
template <class F>
void run(benchmark::State& state, int gomaxprocs, F&& body) {
  gort::Options opts;
  opts.gomaxprocs = gomaxprocs;
  opts.mode = gort::Mode::Parallel;
  gort::Failure failure;
  opts.capture = &failure;
  int status = gort::run(opts, [&body] { body(); });
  state.SetLabel("GOMAXPROCS=" + std::to_string(gomaxprocs));
  if (status != 0 || failure) {
    std::fprintf(stderr, "%s", failure.report.c_str());
    std::fflush(stderr);
    std::string msg = "gort run failed (status " + std::to_string(status) + "): " + failure.message;
    state.SkipWithError(msg.c_str());
  }
}

}  // namespace gortbench

// Registers a gort benchmark with the timing it needs (see above).
#define GORT_BENCHMARK(fn) BENCHMARK(fn)->UseRealTime()->MeasureProcessCPUTime()
