// Deterministic mode: the same seed gives the same run, byte for byte (the
// output of a program that uses goroutines, channels, select, mutexes,
// timers; and the report of a failure), whatever the number of virtual Ps;
// different seeds give different runs. (goroutine_test.cc has the simple
// Mutex + Gosched schedule; this is the whole-program version.)

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/sched/sched_test_util.h"

namespace gort::testing {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// A program whose output records its interleaving: producers choose between
// two channels by select, consumers select over both and a quit channel,
// readers and a writer share an RWMutex, a sleeper records virtual time, a
// Once is raced for, and a WaitGroup joins everything.
std::string program() {
  std::string out;
  Mutex outMu;
  auto emit = [&](const std::string& s) {
    std::lock_guard<Mutex> g(outMu);
    out += s;
    out += ' ';
  };
  auto a = make_chan<int>();
  auto b = make_chan<int>(3);
  auto quit = make_chan<bool>();
  WaitGroup producers, consumers, others;
  for (int p = 0; p < 4; p++) {
    producers.Add(1);
    go([&, p] {
      for (int i = 0; i < 12; i++) {
        int v = p * 100 + i;
        select(gort::send(a, v, [] {}), gort::send(b, v, [] {}));
        if (i % 4 == 3) Gosched();
      }
      producers.Done();
    });
  }
  for (int c = 0; c < 3; c++) {
    consumers.Add(1);
    go([&, c] {
      bool done = false;
      while (!done) {
        select(recv(a, [&](int v) { emit("c" + std::to_string(c) + "a" + std::to_string(v)); }),
               recv(b, [&](int v) { emit("c" + std::to_string(c) + "b" + std::to_string(v)); }),
               recv(quit, [&] { done = true; }));
      }
      // The producers are done, but b's buffer may still hold values.
      for (bool more = true; more;) {
        select(recv(b, [&](int v) { emit("c" + std::to_string(c) + "b" + std::to_string(v)); }),
               default_([&] { more = false; }));
      }
      consumers.Done();
    });
  }
  RWMutex rw;
  int shared = 0;
  for (int r = 0; r < 3; r++) {
    others.Add(1);
    go([&, r] {
      for (int i = 0; i < 5; i++) {
        rw.RLock();
        int v = shared;
        rw.RUnlock();
        emit("r" + std::to_string(r) + "=" + std::to_string(v));
        Gosched();
      }
      others.Done();
    });
  }
  others.Add(1);
  go([&] {
    for (int i = 0; i < 5; i++) {
      rw.Lock();
      shared++;
      rw.Unlock();
      Gosched();
    }
    others.Done();
  });
  others.Add(1);
  go([&] {
    Time t0 = Now();
    for (int i = 1; i <= 3; i++) {
      Sleep(microseconds(300 * i));
      emit("t" + std::to_string(Since(t0).count()));
    }
    others.Done();
  });
  Once once;
  for (int k = 0; k < 4; k++) {
    others.Add(1);
    go([&, k] {
      once.Do([&] { emit("once" + std::to_string(k)); });
      others.Done();
    });
  }
  producers.Wait();
  quit.close();
  consumers.Wait();
  others.Wait();
  emit("end");
  return out;
}

std::string runProgram(const Config& cfg) {
  std::string out;
  Outcome o = run(cfg, [&] { out = program(); });
  EXPECT_EQ(o.status, 0) << replay(cfg) << "\n" << o.failure.report;
  return out;
}

TEST(DeterminismWholeProgram, SameSeedGivesByteIdenticalOutput) {
  for (int procs : {1, 2, 4}) {
    for (uint64_t seed : {1, 7, 42, 1234, 987654321}) {
      Config cfg{Mode::Deterministic, procs, seed};
      std::string first = runProgram(cfg);
      std::string second = runProgram(cfg);
      std::string third = runProgram(cfg);
      EXPECT_EQ(first, second) << "procs=" << procs << " " << replay(cfg);
      EXPECT_EQ(first, third) << "procs=" << procs << " " << replay(cfg);
      // And it is the whole program: 48 values, 15 reads, 3 ticks, 1 once.
      int values = 0;
      for (size_t at = 0; (at = first.find('c', at)) != std::string::npos; at++) {
        if (at + 1 < first.size() && std::isdigit(static_cast<unsigned char>(first[at + 1]))) values++;
      }
      EXPECT_EQ(values, 48) << first;
      EXPECT_EQ(countOf(first, "once"), 1) << first;
      EXPECT_EQ(countOf(first, "="), 15) << first;
      for (const char* tick : {" t300000 ", " t900000 ", " t1800000 "}) {
        EXPECT_NE((" " + first).find(tick), std::string::npos) << tick << " in " << first;
      }
      EXPECT_TRUE(first.size() >= 4 && first.compare(first.size() - 4, 4, "end ") == 0) << first;
    }
  }
}

TEST(DeterminismWholeProgram, DifferentSeedsGiveDifferentRuns) {
  if (std::getenv("GORT_SEED") != nullptr) GTEST_SKIP() << "GORT_SEED fixes every seed";
  for (int procs : {1, 2, 4}) {
    std::set<std::string> distinct;
    for (uint64_t seed = 100; seed < 110; seed++) distinct.insert(runProgram({Mode::Deterministic, procs, seed}));
    // Select's choices alone differ between seeds; with several Ps the
    // interleaving does too.
    EXPECT_GE(distinct.size(), 8u) << "procs=" << procs << ": 10 seeds gave " << distinct.size() << " runs";
  }
}

// The same seed replays a failure exactly: which goroutine fails, and the
// whole report. A racy program: several goroutines check-then-close a
// shared channel without a lock; the second closer panics.
Outcome racyClose(const Config& cfg) {
  return run(cfg, [] {
    auto c = make_chan<int>();
    std::atomic<bool> closed{false};
    WaitGroup wg;
    for (int i = 0; i < 6; i++) {
      wg.Add(1);
      go([&, i] {
        for (int k = 0; k < i % 3; k++) Gosched();
        if (!closed.load()) {
          auto d = make_chan<int>(1);  // runtime calls between check and act
          for (int k = 0; k < 8; k++) {
            d.send(i);
            (void)d.recv();
          }
          closed = true;
          c.close();
        }
        wg.Done();
      });
    }
    wg.Wait();
  });
}

TEST(DeterminismFailures, SameSeedReplaysTheFailure) {
  int failing = 0;
  std::set<int64_t> failedGoroutines;
  for (int procs : {2, 4}) {
    for (uint64_t seed = 1; seed <= 8; seed++) {
      Config cfg{Mode::Deterministic, procs, seed};
      Outcome a = racyClose(cfg);
      Outcome b = racyClose(cfg);
      EXPECT_EQ(a.status, b.status) << replay(cfg);
      EXPECT_EQ(a.failure.kind, b.failure.kind) << replay(cfg);
      EXPECT_EQ(a.failure.goid, b.failure.goid) << replay(cfg);
      EXPECT_EQ(a.failure.message, b.failure.message) << replay(cfg);
      EXPECT_EQ(a.failure.report, b.failure.report) << replay(cfg);
      if (a.failure) {
        failing++;
        failedGoroutines.insert(a.failure.goid);
        EXPECT_EQ(a.failure.message, "close of closed channel") << replay(cfg);
        EXPECT_EQ(a.failure.seed, seedOr(seed));
      }
    }
  }
  // The race is real (most seeds hit it), and which goroutine loses it
  // depends on the seed.
  if (std::getenv("GORT_SEED") == nullptr) {
    EXPECT_GT(failing, 4);
    EXPECT_GE(failedGoroutines.size(), 2u);
  }
}

TEST(DeterminismFailures, DeadlockReportIsReproducible) {
  for (uint64_t seed : {3, 4}) {
    Config cfg{Mode::Deterministic, 4, seed};
    auto body = [] {
      auto c = make_chan<int>();
      for (int i = 0; i < 5; i++) go([c] { (void)c.recv(); });
      Mutex mu;
      mu.Lock();
      go([&] { mu.Lock(); });
      c.send(1);
      select();
    };
    Outcome a = run(cfg, body);
    Outcome b = run(cfg, body);
    EXPECT_EQ(a.failure.message, "all goroutines are asleep - deadlock!") << replay(cfg);
    EXPECT_EQ(a.failure.report, b.failure.report) << replay(cfg);
  }
}

// GORT_SEED in the environment is how a user replays a printed seed: with
// no seed in the Options, it decides the run, and a failure reports it.
TEST(DeterminismReplay, GortSeedFromTheEnvironmentDecidesTheRun) {
  if (std::getenv("GORT_SEED") != nullptr) GTEST_SKIP() << "GORT_SEED is already set";
  auto runWith = [](std::optional<uint64_t> seed, Failure* f) {
    std::string out;
    Options o;
    o.mode = Mode::Deterministic;
    o.gomaxprocs = 4;
    o.seed = seed;
    o.capture = f;
    int status = gort::run(o, [&] {
      out = program();
      panic("end of program");
    });
    EXPECT_EQ(status, 2);
    return out;
  };
  Failure explicitSeed, fromEnv;
  std::string want = runWith(31, &explicitSeed);
  setenv("GORT_SEED", "31", 1);
  std::string got = runWith(std::nullopt, &fromEnv);
  unsetenv("GORT_SEED");
  EXPECT_EQ(got, want);
  EXPECT_EQ(fromEnv.seed, 31u);
  EXPECT_EQ(explicitSeed.seed, 31u);
  EXPECT_EQ(fromEnv.report, explicitSeed.report);
}

}  // namespace
}  // namespace gort::testing
