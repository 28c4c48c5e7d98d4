// Finalizers (runtime.SetFinalizer, runtime.KeepAlive): a finalizer runs
// exactly once, on the finalizer goroutine, after its object becomes
// unreachable, never while it is reachable; what the object references
// stays alive until the finalizer has run; SetFinalizer(obj, nullptr)
// removes it; a finalizer may resurrect its object, which then lives on as
// an ordinary object.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "tests/gc/gc_test_util.h"

namespace gort::testing {
namespace {

using std::chrono::microseconds;

// An object that counts its destruction, with a referent.
struct Fin {
  Ptr<Node> child;
  int64_t val = 0;
  Fin() = default;
  explicit Fin(int64_t v) : val(v) {}
  ~Fin() { gDestroyed.fetch_add(1, std::memory_order_relaxed); }
  void trace(Visitor& v) const { v(child); }
};

// Lets the finalizer goroutine run until cond holds (at most `rounds`
// short sleeps; virtual ones in deterministic mode). No GC in between.
bool waitFor(const std::function<bool()>& cond, int rounds = 2000) {
  for (int i = 0; i < rounds; i++) {
    if (cond()) return true;
    Sleep(microseconds(50));
  }
  return cond();
}

class Finalizers : public GcConfigTest {};

TEST_P(Finalizers, RunExactlyOnceAfterTheObjectBecomesUnreachable) {
  std::atomic<int> runs{0};
  std::atomic<int64_t> seen{-1};
  std::atomic<int64_t> onGoroutine{0};
  runVerified([&] {
    {
      Local<Fin> o = New<Fin>(17);
      SetFinalizer(o, [&](Local<Fin>& x) {
        seen = x->val;
        onGoroutine = sched::getg()->goid;
        runs.fetch_add(1);
      });
    }
    GC();  // finds it unreachable: queues the finalizer, keeps the object
    EXPECT_TRUE(waitFor([&] { return runs.load() == 1; })) << "the finalizer never ran";
    EXPECT_EQ(seen.load(), 17);
    EXPECT_NE(onGoroutine.load(), 1) << "finalizers run on the finalizer goroutine, not on main";
    for (int i = 0; i < 3; i++) {
      GC();
      Sleep(microseconds(200));
    }
    EXPECT_EQ(runs.load(), 1) << "a finalizer runs at most once";
    EXPECT_EQ(gDestroyed.load(), 1) << "once finalized, the object is freed by a later cycle";
  });
}

TEST_P(Finalizers, NeverRunWhileTheObjectIsReachable) {
  std::atomic<int> runs{0};
  runVerified([&] {
    {
      Local<Fin> o = New<Fin>(1);
      SetFinalizer(o, [&](Local<Fin>&) { runs.fetch_add(1); });
      for (int i = 0; i < 5; i++) {
        churn(512 << 10);
        GC();
        Sleep(microseconds(200));
      }
      EXPECT_EQ(runs.load(), 0);
      KeepAlive(o);  // reachable up to here
    }
    GC();
    EXPECT_TRUE(waitFor([&] { return runs.load() == 1; }));
  });
}

TEST_P(Finalizers, ReferentsStayAliveUntilTheFinalizerHasRun) {
  const int64_t n = 2000;
  std::atomic<int> runs{0};
  std::atomic<bool> intact{false};
  runVerified([&] {
    uint64_t base = liveObjects();
    {
      Local<Fin> o = New<Fin>(2);
      o->child = buildList(n).get();
      SetFinalizer(o, [&, n](Local<Fin>& x) {
        // Verify mode poisons freed objects: a freed referent would show.
        intact = static_cast<bool>(listIntact(x->child.get(), n));
        runs.fetch_add(1);
      });
    }
    GC();
    EXPECT_GE(liveObjects(), base + static_cast<uint64_t>(n) + 1) << "the finalized object's referents were freed";
    EXPECT_TRUE(waitFor([&] { return runs.load() == 1; }));
    EXPECT_TRUE(intact.load());
    GC();
    EXPECT_EQ(liveObjects(), base) << "after the finalizer, the object and its referents are garbage";
  });
}

TEST_P(Finalizers, SettingNullRemovesTheFinalizer) {
  std::atomic<int> runs{0};
  runVerified([&] {
    {
      Local<Fin> o = New<Fin>(3);
      SetFinalizer(o, [&](Local<Fin>&) { runs.fetch_add(1); });
      SetFinalizer(o, nullptr);
    }
    for (int i = 0; i < 3; i++) {
      GC();
      Sleep(microseconds(200));
    }
    EXPECT_EQ(runs.load(), 0);
    EXPECT_EQ(gDestroyed.load(), 1) << "without a finalizer the object is freed by the first cycle";
  });
}

Global<Fin> gResurrected;

TEST_P(Finalizers, AResurrectedObjectLivesOnAndIsNotFinalizedTwice) {
  std::atomic<int> runs{0};
  runVerified([&] {
    {
      Local<Fin> o = New<Fin>(4);
      o->child = New<Node>(44).get();
      SetFinalizer(o, [&](Local<Fin>& x) {
        gResurrected = x;  // back into a root
        runs.fetch_add(1);
      });
    }
    GC();
    ASSERT_TRUE(waitFor([&] { return runs.load() == 1; }));
    for (int i = 0; i < 3; i++) GC();
    ASSERT_TRUE(gResurrected);
    EXPECT_EQ(gResurrected->val, 4);
    EXPECT_TRUE(gResurrected->child->intact(44));
    EXPECT_EQ(gDestroyed.load(), 0);
    gResurrected = nullptr;
    GC();
    Sleep(microseconds(500));
    GC();
    EXPECT_EQ(runs.load(), 1) << "the finalizer was registered once and has run";
    EXPECT_EQ(gDestroyed.load(), 1);
  });
}

TEST_P(Finalizers, ManyFinalizersEachRunOnce) {
  const int n = static_cast<int>(scaled(2000));
  auto counts = std::make_unique<std::atomic<int>[]>(n);
  std::atomic<int> total{0};
  runVerified([&] {
    std::vector<Local<Fin>> kept;  // every 10th object stays reachable
    for (int i = 0; i < n; i++) {
      Local<Fin> o = New<Fin>(i);
      SetFinalizer(o, [&](Local<Fin>& x) {
        counts[x->val].fetch_add(1);
        total.fetch_add(1);
      });
      if (i % 10 == 0) kept.push_back(o);
    }
    const int dropped = n - static_cast<int>(kept.size());
    GC();
    EXPECT_TRUE(waitFor([&] { return total.load() == dropped; })) << total.load() << " of " << dropped;
    GC();
    Sleep(microseconds(500));
    EXPECT_EQ(total.load(), dropped);
    for (int i = 0; i < n; i++) EXPECT_EQ(counts[i].load(), i % 10 == 0 ? 0 : 1) << "object " << i;
  });
}

// The finalizer goroutine takes the whole queue at once and runs it one
// finalizer after another; the objects still waiting their turn must stay
// alive (with their referents) through the cycles that run meanwhile.
TEST_P(Finalizers, ObjectsQueuedBehindARunningFinalizerStayAlive) {
  const int n = 4;
  const int64_t len = 50;
  std::atomic<int> runs{0};
  std::atomic<int> intact{0};
  runVerified([&] {
    for (int i = 0; i < n; i++) {
      Local<Fin> o = New<Fin>(100 + i);
      o->child = buildList(len).get();
      SetFinalizer(o, [&, len](Local<Fin>& x) {
        if (x->val >= 100 && x->val < 100 + n && listIntact(x->child.get(), len)) intact.fetch_add(1);
        if (runs.fetch_add(1) == 0) {
          GC();  // cycles while the rest of the batch waits
          GC();
        }
      });
    }
    GC();  // queues all of them: one batch
    EXPECT_TRUE(waitFor([&] { return runs.load() == n; })) << runs.load() << " of " << n << " ran";
    EXPECT_EQ(intact.load(), n) << "an object was freed while its finalizer waited its turn";
  });
}

// An object that refers to itself and has a finalizer is never collected:
// its referents (itself included) are roots while the finalizer is set, as
// Go documents ("a cycle ... with a finalizer ... is not guaranteed to be
// garbage collected").
TEST_P(Finalizers, ASelfReferencingFinalizedObjectIsKept) {
  std::atomic<int> runs{0};
  runVerified([&] {
    struct Self {
      Ptr<Self> self;
      void trace(Visitor& v) const { v(self); }
    };
    uint64_t base = liveObjects();
    {
      Local<Self> o = New<Self>();
      o->self = o.get();
      SetFinalizer(o, [&](Local<Self>&) { runs.fetch_add(1); });
    }
    for (int i = 0; i < 3; i++) GC();
    Sleep(microseconds(500));
    EXPECT_EQ(runs.load(), 0);
    EXPECT_EQ(liveObjects(), base + 1);
  });
}

INSTANTIATE_TEST_SUITE_P(Configs, Finalizers, ::testing::ValuesIn(standardConfigs()), ConfigName());

}  // namespace
}  // namespace gort::testing
