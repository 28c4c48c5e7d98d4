// sync: Mutex, RWMutex, WaitGroup and Once, after Go's sync/mutex_test.go,
// rwmutex_test.go, waitgroup_test.go and once_test.go. Misuse that Go makes
// fatal is in failure_test.cc.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "tests/sched/sched_test_util.h"

namespace gort::testing {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

class SyncTest : public ConfigTest {};

// ---------------------------------------------------------------------------
// Mutex

TEST_P(SyncTest, TryLock) {
  runOk([] {
    Mutex m;
    EXPECT_TRUE(m.TryLock());
    EXPECT_FALSE(m.TryLock()) << "TryLock succeeded with the mutex locked";
    m.Unlock();
    m.Lock();
    EXPECT_FALSE(m.TryLock());
    bool otherGot = true;
    auto done = make_chan<bool>();
    go([&] {
      otherGot = m.TryLock();
      done.send(true);
    });
    done.recv();
    EXPECT_FALSE(otherGot) << "another goroutine took a held mutex";
    m.Unlock();
    EXPECT_TRUE(m.TryLock()) << "TryLock failed with the mutex unlocked";
    m.Unlock();
    // The C++ Lockable names work too.
    {
      std::lock_guard<Mutex> g(m);
      EXPECT_FALSE(m.try_lock());
    }
    std::unique_lock<Mutex> u(m, std::try_to_lock);
    EXPECT_TRUE(u.owns_lock());
  });
}

// TestMutex plus a counter: many goroutines take the lock, mostly with Lock
// and sometimes with TryLock, and yield inside the critical section; no two
// may ever be inside at once and no increment may be lost.
TEST_P(SyncTest, MutexExcludesUnderContention) {
  constexpr int kGoroutines = 10;
  constexpr int kLoops = 300;
  int64_t counter = 0;  // plain: the mutex is what protects it
  std::atomic<int> inside{0}, overlaps{0}, acquired{0};
  int lockCalls = 0;
  runOk([&] {
    Mutex m;
    auto done = make_chan<bool>();
    for (int g = 0; g < kGoroutines; g++) {
      go([&, g] {
        for (int i = 0; i < kLoops; i++) {
          if ((i + g) % 3 == 0) {
            if (!m.TryLock()) continue;
          } else {
            m.Lock();
          }
          acquired++;
          if (inside.fetch_add(1) != 0) overlaps++;
          int64_t v = counter;
          if (i % 7 == 0) Gosched();  // another goroutine runs while we hold the lock
          counter = v + 1;
          inside.fetch_sub(1);
          m.Unlock();
        }
        done.send(true);
      });
    }
    for (int g = 0; g < kGoroutines; g++) done.recv();
  });
  for (int g = 0; g < kGoroutines; g++) {
    for (int i = 0; i < kLoops; i++) lockCalls += (i + g) % 3 != 0;
  }
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(counter, acquired.load()) << "increments were lost";
  EXPECT_GE(acquired.load(), lockCalls);
}

// TestMutexFairness: a goroutine that keeps relocking the mutex (holding it
// while it sleeps) cannot keep another out for long: the waiter's wait
// passes 1 ms, the mutex turns to starvation mode and hands it over.
TEST_P(SyncTest, MutexStarvationModeLetsTheWaiterIn) {
  bool finished = false;
  int hogRounds = 0;
  runOk([&] {
    Mutex mu;
    std::atomic<bool> stop{false};
    auto hogDone = make_chan<bool>();
    go([&] {
      // Bounded, so that a broken mutex fails the test instead of hanging it.
      for (; hogRounds < 20000 && !stop.load(); hogRounds++) {
        mu.Lock();
        Sleep(microseconds(100));
        mu.Unlock();
      }
      hogDone.send(true);
    });
    auto done = make_chan<bool>(1);
    go([&] {
      for (int i = 0; i < 10; i++) {
        Sleep(microseconds(100));
        mu.Lock();
        mu.Unlock();
      }
      done.send(true);
    });
    done.recv();
    finished = true;
    stop = true;
    hogDone.recv();
  });
  EXPECT_TRUE(finished);
  EXPECT_LT(hogRounds, 20000) << "the waiter never got the mutex while the hog held on (" << replay(cfg()) << ")";
}

// Goroutines that each hold the mutex for over 1 ms: every waiter passes
// the starvation threshold and ownership is handed from unlocker to waiter.
// No wakeup may be lost on the way (everyone finishes) and the lock still
// excludes.
TEST_P(SyncTest, StarvationHandoffLosesNoWakeups) {
  constexpr int kGoroutines = 6;
  constexpr int kLoops = 8;
  int counter = 0;
  std::atomic<int> inside{0}, overlaps{0};
  runOk([&] {
    Mutex m;
    WaitGroup wg;
    for (int g = 0; g < kGoroutines; g++) {
      wg.Add(1);
      go([&] {
        for (int i = 0; i < kLoops; i++) {
          m.Lock();
          if (inside.fetch_add(1) != 0) overlaps++;
          Sleep(microseconds(1500));
          counter++;
          inside.fetch_sub(1);
          m.Unlock();
        }
        wg.Done();
      });
    }
    wg.Wait();
    // And the mutex is usable afterwards, in normal mode again.
    EXPECT_TRUE(m.TryLock());
    m.Unlock();
  });
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(counter, kGoroutines * kLoops);
}

TEST_P(SyncTest, UnlockByAnotherGoroutine) {
  runOk([] {
    Mutex m;
    m.Lock();
    auto done = make_chan<bool>();
    go([&] {
      m.Unlock();
      done.send(true);
    });
    done.recv();
    EXPECT_TRUE(m.TryLock());
    m.Unlock();
  });
}

// ---------------------------------------------------------------------------
// RWMutex

TEST_P(SyncTest, RWMutexTryLockAndTryRLock) {
  runOk([] {
    RWMutex m;
    m.Lock();
    EXPECT_FALSE(m.TryLock()) << "TryLock succeeded with the mutex locked";
    EXPECT_FALSE(m.TryRLock()) << "TryRLock succeeded with the mutex locked";
    m.Unlock();
    EXPECT_TRUE(m.TryLock()) << "TryLock failed with the mutex unlocked";
    m.Unlock();
    EXPECT_TRUE(m.TryRLock()) << "TryRLock failed with the mutex unlocked";
    EXPECT_TRUE(m.TryRLock()) << "TryRLock failed with the mutex read-locked";
    EXPECT_FALSE(m.TryLock()) << "TryLock succeeded with the mutex read-locked";
    m.RUnlock();
    m.RUnlock();
    EXPECT_TRUE(m.TryLock());
    m.Unlock();
    // std::shared_lock and std::unique_lock over it.
    {
      std::shared_lock<RWMutex> r1(m);
      std::shared_lock<RWMutex> r2(m);
      EXPECT_FALSE(m.try_lock());
    }
    std::unique_lock<RWMutex> w(m);
    EXPECT_FALSE(m.try_lock_shared());
  });
}

TEST_P(SyncTest, RLockNests) {
  runOk([] {
    RWMutex m;
    m.RLock();
    m.RLock();
    m.RLock();
    EXPECT_FALSE(m.TryLock());
    m.RUnlock();
    m.RUnlock();
    EXPECT_FALSE(m.TryLock()) << "one reader is still inside";
    m.RUnlock();
    m.Lock();
    m.Unlock();
  });
}

// TestParallelReaders: every reader must be able to hold the read lock at
// the same time (each waits for the others before releasing).
TEST_P(SyncTest, ReadersHoldTheLockTogether) {
  runOk([] {
    for (int readers : {1, 3, 4, 10}) {
      RWMutex m;
      auto locked = make_chan<bool>();
      auto unlock = make_chan<bool>();
      auto done = make_chan<bool>();
      for (int i = 0; i < readers; i++) {
        go([&] {
          m.RLock();
          locked.send(true);
          (void)unlock.recv();
          m.RUnlock();
          done.send(true);
        });
      }
      for (int i = 0; i < readers; i++) locked.recv();
      for (int i = 0; i < readers; i++) unlock.send(true);
      for (int i = 0; i < readers; i++) done.recv();
    }
  });
}

// HammerRWMutex: `activity` counts readers inside plus 10000 per writer; a
// reader must see it in [1, 10000), a writer exactly 10000.
TEST_P(SyncTest, RWMutexExcludesWritersFromEveryone) {
  std::atomic<int> violations{0};
  runOk([&] {
    for (int readers : {1, 3, 10}) {
      constexpr int kIter = 200;
      std::atomic<int32_t> activity{0};
      RWMutex rw;
      auto done = make_chan<bool>();
      auto reader = [&] {
        for (int i = 0; i < kIter; i++) {
          rw.RLock();
          int32_t n = activity.fetch_add(1) + 1;
          if (n < 1 || n >= 10000) violations++;
          if (i % 5 == 0) Gosched();
          activity.fetch_sub(1);
          rw.RUnlock();
        }
        done.send(true);
      };
      auto writer = [&] {
        for (int i = 0; i < kIter; i++) {
          rw.Lock();
          int32_t n = activity.fetch_add(10000) + 10000;
          if (n != 10000) violations++;
          if (i % 5 == 0) Gosched();
          activity.fetch_sub(10000);
          rw.Unlock();
        }
        done.send(true);
      };
      go(writer);
      int i = 0;
      for (; i < readers / 2; i++) go(reader);
      go(writer);
      for (; i < readers; i++) go(reader);
      for (int k = 0; k < readers + 2; k++) done.recv();
    }
  });
  EXPECT_EQ(violations.load(), 0);
}

// A writer waits for the readers inside, and once it waits, new readers
// wait behind it (writer preference).
TEST_P(SyncTest, PendingWriterBlocksNewReaders) {
  runOk([] {
    RWMutex m;
    m.RLock();
    std::atomic<bool> writerIn{false};
    auto writerDone = make_chan<bool>();
    go([&] {
      m.Lock();
      writerIn = true;
      m.Unlock();
      writerDone.send(true);
    });
    // Wait until the writer has announced itself: from then on TryRLock fails.
    bool announced = false;
    for (int i = 0; i < 100000 && !announced; i++) {
      if (m.TryRLock()) {
        m.RUnlock();
        Gosched();
      } else {
        announced = true;
      }
    }
    EXPECT_TRUE(announced) << "the writer never announced itself";
    EXPECT_FALSE(writerIn.load()) << "the writer got in while a reader was inside";
    // A new reader now queues behind the writer.
    std::atomic<bool> lateReaderIn{false};
    auto lateDone = make_chan<bool>();
    go([&] {
      m.RLock();
      lateReaderIn = true;
      EXPECT_TRUE(writerIn.load()) << "a reader overtook the waiting writer";
      m.RUnlock();
      lateDone.send(true);
    });
    Sleep(milliseconds(1));
    EXPECT_FALSE(lateReaderIn.load());
    m.RUnlock();  // lets the writer in, then the late reader
    writerDone.recv();
    lateDone.recv();
    EXPECT_TRUE(writerIn.load());
    EXPECT_TRUE(lateReaderIn.load());
  });
}

// TestRLocker-like: one goroutine alternates read and write locking with
// another that checks the lock is never held both ways at once.
TEST_P(SyncTest, ReadAndWriteLockAlternate) {
  runOk([] {
    RWMutex wl;
    auto rlocked = make_chan<bool>(1);
    auto wlocked = make_chan<bool>(1);
    constexpr int kN = 10;
    go([&] {
      for (int i = 0; i < kN; i++) {
        wl.RLock();
        wl.RLock();
        rlocked.send(true);
        wl.Lock();
        wlocked.send(true);
      }
    });
    for (int i = 0; i < kN; i++) {
      rlocked.recv();
      wl.RUnlock();
      bool early = false;
      select(recv(wlocked, [&] { early = true; }), default_([] {}));
      EXPECT_FALSE(early) << "RUnlock before the last reader let the writer in";
      wl.RUnlock();
      wlocked.recv();
      bool again = false;
      select(recv(rlocked, [&] { again = true; }), default_([] {}));
      EXPECT_FALSE(again) << "a reader got in while the writer held the lock";
      wl.Unlock();
    }
  });
}

// ---------------------------------------------------------------------------
// WaitGroup

// testWaitGroup run on the same pair of WaitGroups several times: the
// barrier must release nobody early and everybody eventually, and be
// reusable.
TEST_P(SyncTest, WaitGroupIsABarrierAndIsReusable) {
  int early = 0;
  runOk([&] {
    WaitGroup wg1, wg2;
    for (int round = 0; round < 8; round++) {
      constexpr int kN = 16;
      wg1.Add(kN);
      wg2.Add(kN);
      auto exited = make_chan<bool>(kN);
      for (int i = 0; i < kN; i++) {
        go([&, exited] {
          wg1.Done();
          wg2.Wait();
          exited.send(true);
        });
      }
      wg1.Wait();
      for (int i = 0; i < kN; i++) {
        select(recv(exited, [&] { early++; }), default_([] {}));
        wg2.Done();
      }
      for (int i = 0; i < kN; i++) exited.recv();  // blocks if someone was never released
    }
  });
  EXPECT_EQ(early, 0) << "the WaitGroup released a waiter too soon";
}

TEST_P(SyncTest, WaitOnAZeroWaitGroupReturnsAtOnce) {
  runOk([] {
    WaitGroup wg;
    wg.Wait();
    wg.Add(3);
    wg.Add(-3);
    wg.Wait();
  });
}

// TestWaitGroupRace: Wait returns only after both Done calls.
TEST_P(SyncTest, WaitReturnsOnlyAfterEveryDone) {
  int spurious = 0;
  runOk([&] {
    for (int i = 0; i < 300; i++) {
      WaitGroup wg;
      std::atomic<int> n{0};
      for (int k = 0; k < 2; k++) {
        wg.Add(1);
        go([&] {
          n++;
          wg.Done();
        });
      }
      wg.Wait();
      if (n.load() != 2) spurious++;
    }
  });
  EXPECT_EQ(spurious, 0);
}

TEST_P(SyncTest, ManyWaitersAreAllReleased) {
  std::atomic<int> released{0};
  runOk([&] {
    WaitGroup gate, all;
    gate.Add(1);
    constexpr int kWaiters = 20;
    for (int i = 0; i < kWaiters; i++) {
      all.Add(1);
      go([&] {
        gate.Wait();
        released++;
        all.Done();
      });
    }
    Sleep(milliseconds(1));
    EXPECT_EQ(released.load(), 0);
    gate.Done();
    all.Wait();
  });
  EXPECT_EQ(released.load(), 20);
}

// TestWaitGroupMisuse: a negative counter panics, and the panic can be
// recovered.
TEST_P(SyncTest, NegativeWaitGroupCounterPanicsRecoverably) {
  std::string got;
  runOk([&] {
    func([&](Defer& defer) {
      defer([&] {
        if (auto r = recover()) got = r->message();
      });
      WaitGroup wg;
      wg.Add(1);
      wg.Done();
      wg.Done();
      got = "did not panic";
    });
  });
  EXPECT_EQ(got, "sync: negative WaitGroup counter");
}

// ---------------------------------------------------------------------------
// Once

// TestOnce: many goroutines race to Do; f runs once, and every caller sees
// its effect when Do returns (f blocks, so the others queue up).
TEST_P(SyncTest, OnceRunsExactlyOnce) {
  int calls = 0;
  std::atomic<int> sawEffect{0};
  runOk([&] {
    Once once;
    constexpr int kN = 10;
    auto done = make_chan<bool>();
    for (int i = 0; i < kN; i++) {
      go([&] {
        once.Do([&] {
          Sleep(milliseconds(1));
          calls++;
        });
        if (calls == 1) sawEffect++;
        done.send(true);
      });
    }
    for (int i = 0; i < kN; i++) done.recv();
    once.Do([&] { calls++; });
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(sawEffect.load(), 10);
}

// TestOncePanic: f panics; Do lets the panic through, and counts as done.
TEST_P(SyncTest, OnceThatPanicsIsStillDone) {
  bool panicked = false, secondCall = false;
  runOk([&] {
    Once once;
    func([&](Defer& defer) {
      defer([&] { panicked = recover().has_value(); });
      once.Do([] { panic("failed"); });
    });
    once.Do([&] { secondCall = true; });
  });
  EXPECT_TRUE(panicked) << "Once.Do did not pass the panic on";
  EXPECT_FALSE(secondCall) << "Once.Do called f twice";
}

TEST_P(SyncTest, OnceWaitersOfAPanickingFReturnWithoutCallingIt) {
  std::atomic<int> calls{0}, recovered{0}, returned{0};
  runOk([&] {
    Once once;
    WaitGroup wg;
    for (int i = 0; i < 5; i++) {
      wg.Add(1);
      go([&] {
        func([&](Defer& defer) {
          defer([&] {
            if (recover()) recovered++;
            wg.Done();
          });
          once.Do([&] {
            calls++;
            Sleep(milliseconds(1));  // the others block in Do meanwhile
            panic("in once");
          });
          returned++;
        });
      });
    }
    wg.Wait();
  });
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(recovered.load(), 1);
  EXPECT_EQ(returned.load(), 4);
}

INSTANTIATE_TEST_SUITE_P(Configs, SyncTest, ::testing::ValuesIn(standardConfigs()), ConfigName());

// ---------------------------------------------------------------------------
// Cases that need one exact interleaving, so deterministic with one P.

// TestWaitGroupMisuse2, made deterministic: Done releases a waiter, and the
// counter is raised again before that waiter has run.
TEST(SyncDeterministic, WaitGroupReusedBeforeWaitReturnedPanics) {
  Config cfg{Mode::Deterministic, 1, seedOr(21)};
  Outcome o = run(cfg, [] {
    WaitGroup wg;
    wg.Add(1);
    go([&] { wg.Wait(); });
    Sleep(milliseconds(1));  // goroutine 2 is now waiting
    wg.Done();               // readies it ...
    wg.Add(1);               // ... but the group is in use again before it runs
    Sleep(milliseconds(1));
    wg.Done();
  });
  EXPECT_EQ(o.status, 2) << replay(cfg);
  EXPECT_EQ(o.failure.kind, FailureKind::Panic) << replay(cfg);
  EXPECT_EQ(o.failure.message, "sync: WaitGroup is reused before previous Wait has returned") << replay(cfg);
  EXPECT_EQ(o.failure.goid, 2) << replay(cfg);
}

// A run that ends while goroutines wait on a Mutex, WaitGroup or RWMutex
// must leave nothing behind for the next run: the semaphore table outlives
// runs. The primitives sit at the same addresses in both runs (fresh
// objects in the same static storage), so a waiter left over from the first
// run would be taken for one of the second.
void lockLeftover(bool leaveWaiting, bool* woke) {
  static std::optional<Mutex> muStore;
  static std::optional<WaitGroup> wgStore;
  static std::optional<RWMutex> rwStore;
  Mutex& mu = muStore.emplace();
  WaitGroup& wg = wgStore.emplace();
  RWMutex& rw = rwStore.emplace();
  mu.Lock();
  wg.Add(1);
  rw.Lock();
  auto done = make_chan<bool>(3);
  go([&mu, done] {
    mu.Lock();
    mu.Unlock();
    done.send(true);
  });
  go([&wg, done] {
    wg.Wait();
    done.send(true);
  });
  go([&rw, done] {
    rw.RLock();
    rw.RUnlock();
    done.send(true);
  });
  Sleep(milliseconds(1));    // all three are waiting now
  if (leaveWaiting) return;  // main returns: the run ends with them parked
  mu.Unlock();
  wg.Done();
  rw.Unlock();
  for (int i = 0; i < 3; i++) done.recv();
  *woke = true;
}

TEST(SyncTeardown, WaitersOfAnEndedRunDoNotLinger) {
  for (int procs : {1, 4}) {
    Config cfg{Mode::Deterministic, procs, seedOr(5)};
    bool woke = false;
    Outcome first = run(cfg, [&] { lockLeftover(true, &woke); });
    GORT_EXPECT_OK(first, cfg);
    Outcome second = run(cfg, [&] { lockLeftover(false, &woke); });
    GORT_EXPECT_OK(second, cfg);
    EXPECT_TRUE(woke) << "procs=" << procs << " " << replay(cfg);
  }
}

}  // namespace
}  // namespace gort::testing
