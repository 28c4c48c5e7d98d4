// Time: Sleep, Now and Since. Deterministic mode runs on a virtual clock
// that stands still while goroutines run and jumps to the next deadline when
// all of them wait, so sleeps are exact and take no real time; parallel mode
// sleeps on the real clock, where the only promise is "at least d".

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "tests/sched/sched_test_util.h"

namespace gort::testing {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

class TimeTest : public ConfigTest {};

TEST_P(TimeTest, ZeroAndNegativeSleepsReturn) {
  nanoseconds elapsed{-1};
  runOk([&] {
    Time t0 = Now();
    Sleep(nanoseconds(0));
    Sleep(seconds(-5));
    Sleep(nanoseconds(-1));
    elapsed = Since(t0);
  });
  if (det()) {
    EXPECT_EQ(elapsed.count(), 0) << "a zero or negative sleep moved the virtual clock";
  } else {
    EXPECT_GE(elapsed.count(), 0);
  }
}

TEST_P(TimeTest, SleepLastsAtLeastItsDuration) {
  std::vector<int64_t> got;
  const std::vector<nanoseconds> want = {microseconds(1), microseconds(500), milliseconds(2), milliseconds(5)};
  runOk([&] {
    for (nanoseconds d : want) {
      Time t0 = Now();
      Sleep(d);
      got.push_back(Since(t0).count());
    }
  });
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    if (det()) {
      EXPECT_EQ(got[i], want[i].count()) << "virtual sleeps are exact; " << replay(cfg());
    } else {
      // Now() reads the wall clock and Sleep the monotonic one; allow for
      // the two drifting apart by a little.
      EXPECT_GE(got[i], want[i].count() - 1'000'000) << "slept " << got[i] << "ns for " << want[i].count() << "ns";
    }
  }
}

TEST_P(TimeTest, ConcurrentSleepersAllWake) {
  std::atomic<int> woke{0};
  runOk([&] {
    WaitGroup wg;
    for (int i = 0; i < 50; i++) {
      wg.Add(1);
      go([&, i] {
        Sleep(microseconds(100 * (i % 7)));
        woke++;
        wg.Done();
      });
    }
    wg.Wait();
  });
  EXPECT_EQ(woke.load(), 50);
}

INSTANTIATE_TEST_SUITE_P(Configs, TimeTest, ::testing::ValuesIn(standardConfigs()), ConfigName());

// ---------------------------------------------------------------------------
// Deterministic mode: the virtual clock.

class VirtualTimeTest : public ::testing::TestWithParam<Config> {};

TEST_P(VirtualTimeTest, SleepOfAnHourIsInstantButAdvancesTheClockByAnHour) {
  const Config& cfg = GetParam();
  nanoseconds virt{0};
  Time before{}, after{};
  auto realStart = std::chrono::steady_clock::now();
  Outcome o = run(cfg, [&] {
    before = Now();
    Sleep(hours(1));
    after = Now();
    virt = Since(before);
  });
  auto real = std::chrono::steady_clock::now() - realStart;
  GORT_EXPECT_OK(o, cfg);
  EXPECT_EQ(virt, hours(1)) << replay(cfg);
  EXPECT_EQ(after.Sub(before), hours(1)) << replay(cfg);
  EXPECT_EQ(after.UnixNano() - before.UnixNano(), int64_t{3600} * 1'000'000'000) << replay(cfg);
  // Nothing like an hour of real time (a generous bound: this only catches
  // a clock that really sleeps).
  EXPECT_LT(real, std::chrono::minutes(5));
}

TEST_P(VirtualTimeTest, ClockStartsAtTheGoPlaygroundEpoch) {
  const Config& cfg = GetParam();
  int64_t start = 0;
  Outcome o = run(cfg, [&] { start = Now().UnixNano(); });
  GORT_EXPECT_OK(o, cfg);
  // 2009-11-10 23:00:00 UTC, as on the Go playground: printed times are the
  // same in every run.
  EXPECT_EQ(start, int64_t{1257894000} * 1'000'000'000);
}

TEST_P(VirtualTimeTest, ClockStandsStillWhileGoroutinesRun) {
  const Config& cfg = GetParam();
  nanoseconds busy{-1};
  Outcome o = run(cfg, [&] {
    Time t0 = Now();
    auto c = make_chan<int>(16);
    for (int i = 0; i < 20000; i++) {
      c.send(i);
      (void)c.recv();
      if (i % 100 == 0) Gosched();
    }
    busy = Since(t0);
  });
  GORT_EXPECT_OK(o, cfg);
  EXPECT_EQ(busy.count(), 0) << replay(cfg);
}

TEST_P(VirtualTimeTest, SleepersWakeInDeadlineOrderAtTheirDeadlines) {
  const Config& cfg = GetParam();
  // Durations in a scrambled order, all distinct.
  std::vector<int> ms;
  for (int i = 0; i < 24; i++) ms.push_back((i * 7) % 24 + 1);
  std::vector<int> order;
  std::vector<std::string> lateness;
  Outcome o = run(cfg, [&] {
    Mutex mu;
    WaitGroup wg;
    Time t0 = Now();
    for (int d : ms) {
      wg.Add(1);
      go([&, d] {
        Sleep(milliseconds(d));
        nanoseconds at = Since(t0);
        mu.Lock();
        order.push_back(d);
        if (at != milliseconds(d)) lateness.push_back(std::to_string(d) + "ms woke at " + std::to_string(at.count()));
        mu.Unlock();
        wg.Done();
      });
    }
    wg.Wait();
  });
  GORT_EXPECT_OK(o, cfg);
  std::vector<int> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(order, sorted) << replay(cfg);
  EXPECT_TRUE(lateness.empty()) << lateness.front() << " " << replay(cfg);
}

TEST_P(VirtualTimeTest, SleepsInSequenceAddUp) {
  const Config& cfg = GetParam();
  nanoseconds total{0};
  Outcome o = run(cfg, [&] {
    Time t0 = Now();
    Sleep(milliseconds(250));
    Sleep(microseconds(750'000));
    Sleep(nanoseconds(1));
    total = Since(t0);
  });
  GORT_EXPECT_OK(o, cfg);
  EXPECT_EQ(total, seconds(1) + nanoseconds(1)) << replay(cfg);
}

TEST_P(VirtualTimeTest, TheClockJumpsOnlyWhenEveryoneWaits) {
  // Main sleeps 10ms while a worker does 5ms of sleeping in steps and then
  // computes: main wakes exactly 10ms after it went to sleep.
  const Config& cfg = GetParam();
  nanoseconds mainSlept{0};
  int steps = 0;
  Outcome o = run(cfg, [&] {
    go([&] {
      for (int i = 0; i < 5; i++) {
        Sleep(milliseconds(1));
        steps++;
      }
    });
    Time t0 = Now();
    Sleep(milliseconds(10));
    mainSlept = Since(t0);
  });
  GORT_EXPECT_OK(o, cfg);
  EXPECT_EQ(mainSlept, milliseconds(10)) << replay(cfg);
  EXPECT_EQ(steps, 5) << replay(cfg);
}

TEST_P(VirtualTimeTest, ASleeperIsNotADeadlockButAWaitAfterItIs) {
  const Config& cfg = GetParam();
  nanoseconds at{0};
  Outcome o = run(cfg, [&] {
    auto c = make_chan<int>();
    Time t0 = Now();
    go([&] {
      Sleep(hours(24 * 365));
      at = Since(t0);
      c.send(1);
    });
    (void)c.recv();
    (void)c.recv();  // nobody sends again, and no timer is left
  });
  EXPECT_EQ(o.status, 2) << replay(cfg);
  EXPECT_EQ(o.failure.message, "all goroutines are asleep - deadlock!") << replay(cfg);
  EXPECT_EQ(at, hours(24 * 365)) << "the year-long sleep ended first; " << replay(cfg);
}

INSTANTIATE_TEST_SUITE_P(Det, VirtualTimeTest, ::testing::ValuesIn(detConfigs({1, 4}, {1, 2, 3})), ConfigName());

}  // namespace
}  // namespace gort::testing
