// The finalizers' lock (gc/finalizer.cc) must never hold a run up: user
// code never runs while it is held (destroying a finalizer that
// SetFinalizer replaces or removes runs the destructors of what it
// captured, and those may allocate, reach a safepoint, or set finalizers
// themselves), and a goroutine that waits for it (the finalizer goroutine)
// waits at safepoints, so it stops, yields and leaves for the exit like any
// other. Each of these bugs shows as a hang: a watchdog turns it into a
// failure that names the configuration and seed.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/gc/gc_test_util.h"
#include "tests/support/watchdog.h"

namespace gort::testing {
namespace {

using std::chrono::microseconds;

struct Fin {
  int64_t val = 0;
  Fin() = default;
  explicit Fin(int64_t v) : val(v) {}
  ~Fin() { gDestroyed.fetch_add(1, std::memory_order_relaxed); }
  void trace(Visitor&) const {}
};

class FinalizerLock : public GcConfigTest {
 protected:
  // Every case here fails by hanging; tiny runs, so a minute is plenty
  // even under the sanitizers.
  Watchdog watchdog_{"gort run " + cfg().name() + " (replay: GORT_SEED=" + std::to_string(seedOr(cfg().seed)) + ")",
                     std::chrono::seconds(60)};
};

// An owner that closes what it owns when it is destroyed, and closing
// removes the owned object's finalizer (Go code calls
// runtime.SetFinalizer(f, nil) in Close).
struct Closer {
  Fin* file;
  explicit Closer(Fin* f) : file(f) {}
  ~Closer() { SetFinalizer(Local<Fin>(file), nullptr); }
};

TEST_P(FinalizerLock, ACapturedDestructorMaySetFinalizers) {
  std::atomic<int> fileRuns{0};
  runOk([&] {
    {
      Local<Fin> file = New<Fin>(1);
      SetFinalizer(file, [&](Local<Fin>&) { fileRuns.fetch_add(1); });
      Local<Fin> owner = New<Fin>(2);
      auto closer = std::make_shared<Closer>(file.get());
      SetFinalizer(owner, [closer](Local<Fin>&) {});
      closer.reset();
      // Destroys the finalizer that held the last reference to the Closer.
      SetFinalizer(owner, nullptr);
    }
    for (int i = 0; i < 3; i++) {
      GC();
      Sleep(microseconds(200));
    }
    EXPECT_EQ(fileRuns.load(), 0) << "the Closer removed the file's finalizer";
    EXPECT_EQ(gDestroyed.load(), 2) << "neither object has a finalizer left: the first cycle frees both";
  });
}

// Captured state whose destructor allocates (builds GC objects: a log
// line, say), reaching a safepoint at every allocation, until the
// finalizer goroutine has run every finalizer it had queued.
struct AllocatesUntil {
  const std::atomic<int>* ran;
  int want;
  AllocatesUntil(const std::atomic<int>* r, int w) : ran(r), want(w) {}
  ~AllocatesUntil() {
    for (int i = 0; i < 200000 && ran->load() < want; i++) (void)New<Garbage64>();
  }
};

TEST_P(FinalizerLock, ACapturedDestructorMayAllocateWhileTheFinalizerGoroutineWorks) {
  const int n = 8;
  std::atomic<int> ran{0};
  runOk([&] {
    for (int i = 0; i < n; i++) {
      Local<Fin> o = New<Fin>(i);
      SetFinalizer(o, [&](Local<Fin>&) {
        for (int j = 0; j < 10; j++) Gosched();  // keep the finalizer goroutine busy for a while
        ran.fetch_add(1);
      });
    }
    GC();  // queues the eight: the finalizer goroutine now has work
    Local<Fin> owner = New<Fin>(100);
    auto state = std::make_shared<AllocatesUntil>(&ran, n);
    SetFinalizer(owner, [state](Local<Fin>&) {});
    state.reset();
    // The destructor allocates while the finalizer goroutine finishes its
    // batch and comes back for the lock.
    SetFinalizer(owner, nullptr);
    for (int i = 0; i < 100000 && ran.load() < n; i++) Gosched();
    EXPECT_EQ(ran.load(), n);
    KeepAlive(owner);
  });
}

// A goroutine holds the lock for good while the finalizer goroutine wants
// it (the stand-in for a holder that can never let go: one suspended at a
// safepoint inside the lock, now gone for the exit). The run must still
// end when main returns. The holder lets go only when teardown unwinds it.
TEST_P(FinalizerLock, AWaiterForTheLockStillLetsTheRunEnd) {
  std::atomic<bool> finalizerDone{false};
  runOk([&] {
    auto running = make_chan<int>();
    auto held = make_chan<int>();
    auto never = make_chan<int>();
    {
      Local<Fin> o = New<Fin>(1);
      SetFinalizer(o, [&](Local<Fin>&) {
        running.send(1);  // the batch is taken: the lock is free now
        held.recv();      // until the holder has it
        finalizerDone.store(true);
      });  // then the finalizer goroutine goes back for the lock
    }
    go([running, held, never] {
      running.recv();
      std::lock_guard<sched::SpinLock> lk(gc::testing::finalizerLock());
      held.send(1);
      never.recv();
    });
    GC();  // queues the finalizer; no cycle may start after this (its root jobs take the lock too)
    for (int i = 0; i < 1000000 && !finalizerDone.load(); i++) Gosched();
    EXPECT_TRUE(finalizerDone.load()) << "the finalizer never ran";
    for (int i = 0; i < 100; i++) Gosched();  // the finalizer goroutine reaches the lock meanwhile
  });
}

// The same for a goroutine calling SetFinalizer.
TEST_P(FinalizerLock, ASetFinalizerWaitingForTheLockStillLetsTheRunEnd) {
  std::atomic<bool> waiting{false};
  runOk([&] {
    auto held = make_chan<int>();
    auto never = make_chan<int>();
    go([held, never] {
      std::lock_guard<sched::SpinLock> lk(gc::testing::finalizerLock());
      held.send(1);
      never.recv();
    });
    held.recv();
    go([&] {
      Local<Fin> o = New<Fin>(1);
      waiting.store(true);
      SetFinalizer(o, [](Local<Fin>&) {});
    });
    for (int i = 0; i < 1000000 && !waiting.load(); i++) Gosched();
    EXPECT_TRUE(waiting.load());
    for (int i = 0; i < 100; i++) Gosched();  // it reaches the lock meanwhile
  });
}

// Blocks when destroyed: during teardown's unwinding that abandons the
// goroutine where it stands (sched::park), with whatever it still holds.
struct BlocksWhenDestroyed {
  Chan<int> never;
  ~BlocksWhenDestroyed() { never.recv(); }
};

// A holder teardown abandons inside the lock never lets go. Teardown must
// not wait for it, and the next run must find the lock free.
TEST_P(FinalizerLock, TeardownDoesNotWaitForAHolderItAbandons) {
#if defined(GORT_ASAN)
  // An abandoned goroutine is never unwound: what it holds (its channel
  // handles, the exception in flight on its stack) leaks by design, and
  // LeakSanitizer would fail the binary. Release and TSan run the case.
  GTEST_SKIP() << "abandoning a goroutine leaks what it holds; LeakSanitizer reports it";
#endif
  runOk([&] {
    auto held = make_chan<int>();
    auto never = make_chan<int>();
    go([held, never] {
      std::lock_guard<sched::SpinLock> lk(gc::testing::finalizerLock());
      BlocksWhenDestroyed blocks{never};  // destroyed first, so lk never is
      held.send(1);
      never.recv();
    });
    held.recv();
  });
  std::atomic<int> runs{0};
  runOk([&] {
    {
      Local<Fin> o = New<Fin>(1);
      SetFinalizer(o, [&](Local<Fin>&) { runs.fetch_add(1); });
    }
    GC();
    for (int i = 0; i < 1000000 && runs.load() == 0; i++) Gosched();
    EXPECT_EQ(runs.load(), 1) << "the next run's finalizer goroutine could not take the lock";
  });
}

std::vector<Config> lockConfigs() {
  std::vector<Config> out = standardConfigs();
  for (const Config& c : seedSweep(1, 4, 11)) out.push_back(c);
  for (const Config& c : seedSweep(4, 8, 21)) out.push_back(c);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Configs, FinalizerLock, ::testing::ValuesIn(lockConfigs()), ConfigName());

}  // namespace
}  // namespace gort::testing
