// The scheduler's promises: fairness (a Gosched spinner or a runnext
// ping-pong cannot starve others; the global queue is looked at every 61st
// tick), goroutine counting, runtime locks and runnext stealing, parallelism
// in parallel mode, and no false deadlock reports.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "sched/runq.h"
#include "sched/sched.h"
#include "sched/spinlock.h"
#include "tests/sched/sched_test_util.h"

namespace gort::testing {
namespace {

class SchedulerTest : public ConfigTest {};

// A goroutine that only calls Gosched, waiting for a flag that others set
// after real work, gets it: Gosched puts the spinner at the back of the
// global queue, behind the workers.
TEST_P(SchedulerTest, GoschedSpinnerDoesNotStarveWorkers) {
  constexpr int64_t kMaxSpins = 5'000'000;
  std::atomic<int64_t> maxSpins{0};
  std::atomic<int64_t> work{0};
  runOk([&] {
    std::atomic<bool> flag{false};
    WaitGroup spinners, workers;
    // More spinners than Ps, so that every P has one.
    for (int s = 0; s < 6; s++) {
      spinners.Add(1);
      go([&] {
        int64_t spins = 0;
        while (!flag.load() && spins < kMaxSpins) {
          Gosched();
          spins++;
        }
        int64_t prev = maxSpins.load();
        while (spins > prev && !maxSpins.compare_exchange_weak(prev, spins)) {
        }
        spinners.Done();
      });
    }
    for (int w = 0; w < 4; w++) {
      workers.Add(1);
      go([&] {
        auto c = make_chan<int>(8);
        Mutex mu;
        for (int i = 0; i < 2000; i++) {
          c.send(i);
          mu.Lock();
          work += c.recv();
          mu.Unlock();
        }
        workers.Done();
      });
    }
    go([&] {
      workers.Wait();
      flag = true;
    });
    spinners.Wait();
  });
  EXPECT_EQ(work.load(), 4 * (1999 * 2000 / 2));
  EXPECT_LT(maxSpins.load(), kMaxSpins) << "a spinner never saw the workers finish";
}

// Two goroutines handing the CPU to each other through runnext (an
// unbuffered ping-pong) share one time slice; a third that went to the
// global queue with Gosched must still get to run while they play.
TEST_P(SchedulerTest, RunnextPingPongDoesNotStarveTheGlobalQueue) {
  constexpr int64_t kMaxRounds = 3'000'000;
  int64_t roundsWhenItRan = -1;
  int64_t rounds = 0;
  runOk([&] {
    std::atomic<bool> ran{false};
    std::atomic<int64_t> shared{0};
    auto ping = make_chan<int>();
    auto pong = make_chan<int>();
    auto done = make_chan<bool>(2);
    go([&] {
      for (; rounds < kMaxRounds && !ran.load(); rounds++) {
        ping.send(1);
        (void)pong.recv();
        shared.store(rounds);
      }
      ping.send(0);  // stop the partner
      done.send(true);
    });
    go([&] {
      while (ping.recv() != 0) pong.send(1);
      done.send(true);
    });
    go([&] {
      // Back into the global queue until the ping-pong is well under way:
      // each look at the ping-pong's progress needs a turn from the global
      // queue while the two keep the local queue busy.
      do {
        Gosched();
      } while (shared.load() < 1000);
      roundsWhenItRan = shared.load();
      ran = true;
    });
    done.recv();
    done.recv();
  });
  EXPECT_GE(roundsWhenItRan, 1000) << "the goroutine in the global queue never got a turn during the ping-pong";
  EXPECT_LT(rounds, kMaxRounds) << "the ping-pong starved the global queue (" << replay(cfg()) << ")";
}

TEST_P(SchedulerTest, NumGoroutineCountsLiveGoroutines) {
  runOk([&] {
    EXPECT_EQ(NumGoroutine(), 1);
    auto release = make_chan<int>();
    WaitGroup exited;
    for (int i = 0; i < 10; i++) {
      exited.Add(1);
      go([&, release] {
        (void)release.recv();
        exited.Done();
      });
    }
    EXPECT_EQ(NumGoroutine(), 11);
    release.close();
    exited.Wait();
    // The last ones may still be on their way out after Done.
    for (int i = 0; i < 100000 && NumGoroutine() > 1; i++) Gosched();
    EXPECT_EQ(NumGoroutine(), 1);
  });
}

TEST_P(SchedulerTest, GomaxprocsIsTheConfiguredNumberOfPs) {
  int n = 0;
  runOk([&] { n = GOMAXPROCS(); });
  EXPECT_EQ(n, cfg().procs);
}

// Goroutines that start goroutines, many levels deep, and join them all.
TEST_P(SchedulerTest, NestedSpawnsJoin) {
  std::atomic<int> leaves{0};
  runOk([&] {
    std::function<void(int, WaitGroup*)> tree = [&](int depth, WaitGroup* parent) {
      if (depth == 0) {
        leaves++;
        parent->Done();
        return;
      }
      WaitGroup wg;
      for (int i = 0; i < 3; i++) {
        wg.Add(1);
        go([&, depth] { tree(depth - 1, &wg); });
      }
      wg.Wait();
      parent->Done();
    };
    WaitGroup root;
    root.Add(1);
    tree(6, &root);
    root.Wait();
  });
  EXPECT_EQ(leaves.load(), 729);
}

INSTANTIATE_TEST_SUITE_P(Configs, SchedulerTest, ::testing::ValuesIn(standardConfigs()), ConfigName());

// ---------------------------------------------------------------------------
// The every-61st-tick look at the global queue, on its own: deterministic,
// one P, and time slices so long that none ever runs out, so nothing but
// that check can get a goroutine out of the global queue while the local
// queue stays busy.

struct StartArgs {
  std::function<void()> body;
};

void runBody(void* arg) { static_cast<StartArgs*>(arg)->body(); }

TEST(SchedulerGlobalQueue, CheckedEvery61stTick) {
  constexpr int kMaxRounds = 100000;
  for (uint64_t seed : {1, 2, 3}) {
    Failure failure;
    sched::Config cfg;
    cfg.mode = sched::Mode::Deterministic;
    cfg.gomaxprocs = 1;
    cfg.seed = seedOr(seed);
    cfg.capture = true;
    cfg.failure = &failure;
    cfg.detSliceMean = int64_t{1} << 40;
    int rounds = 0;
    int roundWhenItRan = -1;
    StartArgs args{[&] {
      // x wakes y and z each round, so one of them lands in the ring behind
      // the other (taking it from the ring ticks schedtick), and the local
      // queue is never empty when the P looks for work.
      auto xin = make_chan<int>(), yin = make_chan<int>(), zin = make_chan<int>();
      auto done = make_chan<bool>(3);
      std::atomic<bool> stop{false};
      go([&] {  // the goroutine that must not starve
        Gosched();
        roundWhenItRan = rounds;
        stop = true;
      });
      go([&] {  // x
        for (; rounds < kMaxRounds && !stop.load(); rounds++) {
          yin.send(1);
          zin.send(1);
          (void)xin.recv();
          (void)xin.recv();
        }
        yin.send(0);
        zin.send(0);
        done.send(true);
      });
      for (Chan<int>* in : {&yin, &zin}) {
        go([&, in] {
          while (in->recv() != 0) xin.send(1);
          done.send(true);
        });
      }
      for (int i = 0; i < 3; i++) done.recv();
    }};
    int status = sched::start(cfg, runBody, &args);
    EXPECT_EQ(status, 0) << failure.report << " GORT_SEED=" << cfg.seed;
    EXPECT_GE(roundWhenItRan, 0) << "the global queue was never looked at; GORT_SEED=" << cfg.seed;
    // 61 ticks; a round ticks at least once.
    EXPECT_LE(roundWhenItRan, 61 * 2) << "GORT_SEED=" << cfg.seed;
  }
}

// ---------------------------------------------------------------------------
// Runtime locks and run queues

// With one thread running every goroutine the runtime's SpinLocks take no
// locked instruction, which is only sound if no holder switches away. One
// that does is reported as Go reports scheduling with locks held, rather than
// leaving the next taker spinning on a thread that can never release it.
TEST(SpinLockTest, HeldAcrossASwitchIsFatalWhenOneThreadRunsGoroutines) {
  for (const Config& cfg : {Config{Mode::Deterministic, 1, 1}, Config{Mode::Deterministic, 4, 2},
                            Config{Mode::Parallel, 1, 3}}) {
    SCOPED_TRACE(cfg.name() + " " + replay(cfg));
    sched::SpinLock l;
    Outcome o = run(cfg, [&] {
      l.lock();
      go([&] { l.lock(); });
      Sleep(std::chrono::milliseconds(1));  // lets the goroutine run
      l.unlock();
    });
    EXPECT_EQ(o.failure.kind, FailureKind::Fatal) << o.failure.report;
    EXPECT_EQ(o.failure.message, "schedule: holding locks");
    EXPECT_EQ(o.status, 2);
  }
}

// The same program with two threads is fine: the taker spins until the
// holder, running on the other thread, lets go.
TEST(SpinLockTest, HeldAcrossASwitchWaitsWithTwoThreads) {
  Config cfg{Mode::Parallel, 2, 3};
  sched::SpinLock l;
  bool took = false;
  Outcome o = run(cfg, [&] {
    l.lock();
    WaitGroup wg;
    wg.Add(1);
    go([&] {
      l.lock();
      took = true;
      l.unlock();
      wg.Done();
    });
    Sleep(std::chrono::milliseconds(1));
    l.unlock();
    wg.Wait();
  });
  EXPECT_EQ(o.failure.kind, FailureKind::None) << o.failure.report;
  EXPECT_TRUE(took);
}

// A thief that saw a goroutine in runnext and waited takes it only if it is
// still the same one (stealWork): a different one means the owner ran the
// first itself.
TEST(LocalRunqTest, TakeRunnextTakesOnlyTheGoroutineSeen) {
  sched::LocalRunq q;
  sched::G a, b;
  sched::G* displaced = nullptr;
  ASSERT_TRUE(q.put(&a, true, &displaced));
  EXPECT_FALSE(q.takeRunnext(&b));
  EXPECT_EQ(q.peekRunnext(), &a);
  EXPECT_TRUE(q.takeRunnext(&a));
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.takeRunnext(&a));
}

// ---------------------------------------------------------------------------
// Parallel mode

class ParallelSchedulerTest : public ::testing::TestWithParam<int> {};

// A main goroutine computing without calling into the runtime (so without
// yielding) while the other threads find nothing to do is not a deadlock.
TEST_P(ParallelSchedulerTest, ComputingMainIsNotADeadlock) {
  Config cfg{Mode::Parallel, GetParam(), 3};
  for (int i = 0; i < 5; i++) {
    Outcome o = run(cfg, [] {
      auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(3);
      while (std::chrono::steady_clock::now() < until) {
      }
    });
    EXPECT_EQ(o.status, 0) << o.failure.report;
    EXPECT_EQ(o.failure.kind, FailureKind::None) << o.failure.report;
  }
}

// Two goroutines that can each finish only while the other is running at
// the same moment (they never yield while waiting): they need two threads.
TEST_P(ParallelSchedulerTest, GoroutinesRunSimultaneously) {
  Config cfg{Mode::Parallel, GetParam(), 3};
  std::atomic<int> met{0};
  Outcome o = run(cfg, [&] {
    for (int round = 0; round < 20; round++) {
      std::atomic<int> arrived{0};
      WaitGroup wg;
      for (int k = 0; k < 2; k++) {
        wg.Add(1);
        go([&] {
          arrived++;
          // No runtime calls in this loop: only another thread can end it.
          // A generous real-time cap turns a failure into a test failure
          // instead of a hang.
          auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(20);
          while (arrived.load() < 2 && std::chrono::steady_clock::now() < giveUp) {
          }
          if (arrived.load() == 2) met++;
          wg.Done();
        });
      }
      wg.Wait();
    }
  });
  EXPECT_EQ(o.status, 0) << o.failure.report;
  EXPECT_EQ(met.load(), 40);
}

INSTANTIATE_TEST_SUITE_P(Procs, ParallelSchedulerTest, ::testing::Values(2, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "ParallelP" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace gort::testing
