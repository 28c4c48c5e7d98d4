// Scheduler workloads: goroutine creation, Gosched, channels, sync.Mutex.
// Go twins: bench/go/sched_test.go (same names, Benchmark instead of BM_).
// Each body mirrors its twin statement for statement; keep them in step.

#include <atomic>
#include <cstdint>

#include "bench/gort_bench.h"

namespace {

// One op: wg.Add(1); go func() { wg.Done() }(); wg.Wait().
void spawnWaitGroup(benchmark::State& state, int procs) {
  gortbench::run(state, procs, [&] {
    gort::WaitGroup wg;
    for (auto _ : state) {
      wg.Add(1);
      gort::go([&wg] { wg.Done(); });
      wg.Wait();
    }
  });
}
void BM_GoroutineSpawnWaitGroup(benchmark::State& state) { spawnWaitGroup(state, 2); }
GORT_BENCHMARK(BM_GoroutineSpawnWaitGroup);
void BM_GoroutineSpawnWaitGroup_GOMAXPROCS1(benchmark::State& state) { spawnWaitGroup(state, 1); }
GORT_BENCHMARK(BM_GoroutineSpawnWaitGroup_GOMAXPROCS1);

// One op: one Gosched by the benchmark goroutine, at GOMAXPROCS=1 with a
// partner goroutine that yields in a loop, so every call switches to the
// partner and back.
void BM_GoschedRoundTrip(benchmark::State& state) {
  gortbench::run(state, 1, [&] {
    std::atomic<bool> stop{false};
    gort::WaitGroup done;
    done.Add(1);
    gort::go([&] {
      while (!stop.load(std::memory_order_relaxed)) gort::Gosched();
      done.Done();
    });
    for (auto _ : state) gort::Gosched();
    stop.store(true, std::memory_order_relaxed);
    done.Wait();
  });
}
GORT_BENCHMARK(BM_GoschedRoundTrip);

// One op: send to a partner on an unbuffered channel, receive its reply on
// another.
void pingPongUnbuffered(benchmark::State& state, int procs) {
  gortbench::run(state, procs, [&] {
    auto ping = gort::make_chan<int>();
    auto pong = gort::make_chan<int>();
    gort::WaitGroup done;
    done.Add(1);
    gort::go([ping, pong, &done] {
      for (int v : ping) pong.send(v);
      done.Done();
    });
    int i = 0;
    for (auto _ : state) {
      ping.send(i++);
      benchmark::DoNotOptimize(pong.recv());
    }
    ping.close();
    done.Wait();
  });
}
void BM_PingPongUnbuffered_GOMAXPROCS1(benchmark::State& state) { pingPongUnbuffered(state, 1); }
GORT_BENCHMARK(BM_PingPongUnbuffered_GOMAXPROCS1);
void BM_PingPongUnbuffered_GOMAXPROCS2(benchmark::State& state) { pingPongUnbuffered(state, 2); }
GORT_BENCHMARK(BM_PingPongUnbuffered_GOMAXPROCS2);

// One op: a select over two empty channels with a default case (a
// non-blocking poll), at GOMAXPROCS=1.
void BM_SelectDefault(benchmark::State& state) {
  gortbench::run(state, 1, [&] {
    auto a = gort::make_chan<int>();
    auto b = gort::make_chan<int>();
    int64_t defaults = 0;
    for (auto _ : state) {
      gort::select(gort::recv(a, [](int, bool) {}), gort::recv(b, [](int, bool) {}),
                   gort::default_([&] { defaults++; }));
    }
    benchmark::DoNotOptimize(defaults);
  });
}
GORT_BENCHMARK(BM_SelectDefault);

// One op: a send to a partner that waits in a two-case select (its request
// channel or quit), and the receive of its reply, at GOMAXPROCS=1.
void BM_SelectPingPong_GOMAXPROCS1(benchmark::State& state) {
  gortbench::run(state, 1, [&] {
    auto ping = gort::make_chan<int>();
    auto pong = gort::make_chan<int>();
    auto quit = gort::make_chan<int>();
    gort::WaitGroup done;
    done.Add(1);
    gort::go([ping, pong, quit, &done] {
      for (bool running = true; running;) {
        gort::select(gort::recv(ping, [&](int v, bool) { pong.send(v); }),
                     gort::recv(quit, [&](int, bool) { running = false; }));
      }
      done.Done();
    });
    int i = 0;
    for (auto _ : state) {
      ping.send(i++);
      benchmark::DoNotOptimize(pong.recv());
    }
    quit.close();
    done.Wait();
  });
}
GORT_BENCHMARK(BM_SelectPingPong_GOMAXPROCS1);

// One op: Lock+Unlock of a mutex nobody else wants. GOMAXPROCS=1: the cost
// does not depend on it, and no idle P takes part.
void BM_MutexUncontended(benchmark::State& state) {
  gortbench::run(state, 1, [&] {
    gort::Mutex mu;
    for (auto _ : state) {
      mu.Lock();
      mu.Unlock();
    }
  });
}
GORT_BENCHMARK(BM_MutexUncontended);

// Two goroutines at GOMAXPROCS=2 take turns at one mutex until they have
// done N Lock/Unlock pairs between them (a shared count under the lock, so
// both contend to the end however unfairly the lock is shared). One op: one
// pair by either goroutine. The timed region is the whole batch.
void BM_MutexContended(benchmark::State& state) {
  gortbench::run(state, 2, [&] {
    gort::Mutex mu;
    int64_t count = 0;
    gort::WaitGroup wg;
    while (state.KeepRunningBatch(state.max_iterations)) {
      const int64_t n = state.max_iterations;
      count = 0;
      wg.Add(2);
      for (int w = 0; w < 2; w++) {
        gort::go([&] {
          for (;;) {
            mu.Lock();
            if (count >= n) {
              mu.Unlock();
              break;
            }
            count++;
            mu.Unlock();
          }
          wg.Done();
        });
      }
      wg.Wait();
    }
  });
}
GORT_BENCHMARK(BM_MutexContended);

}  // namespace
