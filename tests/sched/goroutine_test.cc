// Goroutines: creation, ids, determinism, time, panics and fatal errors.

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "tests/support/gort_test.h"

namespace gort::testing {
namespace {

class GoroutineTest : public ::testing::TestWithParam<Config> {};

TEST_P(GoroutineTest, MainIsGoroutineOneAndReturnsZero) {
  int n = -1;
  Outcome o = run(GetParam(), [&] { n = NumGoroutine(); });
  GORT_EXPECT_OK(o, GetParam());
  EXPECT_EQ(n, 1);
}

TEST_P(GoroutineTest, HundredThousandGoroutinesSpawnAndJoin) {
  std::atomic<int64_t> sum{0};
  Outcome o = run(GetParam(), [&] {
    WaitGroup wg;
    for (int i = 0; i < 100000; i++) {
      wg.Add(1);
      go([&wg, &sum, i] {
        sum.fetch_add(i, std::memory_order_relaxed);
        wg.Done();
      });
    }
    wg.Wait();
  });
  GORT_EXPECT_OK(o, GetParam());
  EXPECT_EQ(sum.load(), int64_t{100000} * 99999 / 2);
}

INSTANTIATE_TEST_SUITE_P(Configs, GoroutineTest, ::testing::ValuesIn(standardConfigs()), ConfigName());

// The order in which goroutines run, as a string, under one seed.
std::string schedule(uint64_t seed, int procs) {
  std::string trace;
  Config cfg{Mode::Deterministic, procs, seed};
  Outcome o = run(cfg, [&] {
    WaitGroup wg;
    Mutex mu;
    for (int i = 0; i < 8; i++) {
      wg.Add(1);
      go([&, i] {
        for (int k = 0; k < 5; k++) {
          mu.Lock();
          trace += static_cast<char>('a' + i);
          mu.Unlock();
          Gosched();
        }
        wg.Done();
      });
    }
    wg.Wait();
  });
  EXPECT_EQ(o.status, 0) << o.failure.report;
  return trace;
}

TEST(Determinism, SameSeedSameSchedule) {
  for (int procs : {1, 4}) {
    for (uint64_t seed : {1, 2, 77}) {
      EXPECT_EQ(schedule(seed, procs), schedule(seed, procs)) << "procs=" << procs << " GORT_SEED=" << seed;
    }
  }
}

TEST(Determinism, DifferentSeedsDifferentSchedules) {
  if (std::getenv("GORT_SEED") != nullptr) GTEST_SKIP() << "GORT_SEED fixes every seed";
  std::vector<std::string> seen;
  for (uint64_t seed = 1; seed <= 10; seed++) seen.push_back(schedule(seed, 4));
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_GE(seen.size(), 5u) << "10 seeds gave only " << seen.size() << " distinct schedules";
}

TEST(Failures, UnrecoveredPanicReportsGoText) {
  Config cfg{Mode::Deterministic, 1, 5};
  Outcome o = run(cfg, [] {
    go([] { panic("boom"); });
    Sleep(std::chrono::seconds(1));
  });
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.failure.kind, FailureKind::Panic);
  EXPECT_EQ(o.failure.message, "boom");
  EXPECT_EQ(o.failure.goid, 2);
  EXPECT_EQ(o.failure.report.rfind("panic: boom\n\ngoroutine 2 [running]:\n", 0), 0u) << o.failure.report;
}

TEST(Failures, DeadlockIsFatal) {
  Config cfg{Mode::Deterministic, 2, 9};
  Outcome o = run(cfg, [] {
    auto ch = make_chan<int>();
    ch.recv();
  });
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.failure.kind, FailureKind::Fatal);
  EXPECT_EQ(o.failure.message, "all goroutines are asleep - deadlock!");
  EXPECT_NE(o.failure.report.find("goroutine 1 [chan receive]:\n"), std::string::npos) << o.failure.report;
}

}  // namespace
}  // namespace gort::testing
