// What the collector frees and what it keeps (after runtime/gc_test.go's
// TestGcDeepNesting, TestGcArraySlice, TestGcRescan): unreachable objects
// and cycles go; everything reachable stays, whatever holds it: deep lists,
// a million objects, Globals, the Locals of a parked goroutine or of a
// goroutine's closure before it starts, an object still under construction,
// Strings, substrings and Slices.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "tests/gc/gc_test_util.h"

namespace gort::testing {
namespace {

class Reachability : public GcConfigTest {};

// ---------------------------------------------------------------------------
// Garbage is freed.

TEST_P(Reachability, UnreachableObjectsAreFreed) {
  const int64_t n = scaled(100000);
  runVerified([&] {
    uint64_t base = liveObjects();
    MemStats before = readMemStats();
    for (int64_t i = 0; i < n; i++) (void)New<CountedNode>(i);
    EXPECT_EQ(liveObjects(), base + static_cast<uint64_t>(n));
    GC();
    EXPECT_EQ(liveObjects(), base);
    MemStats after = readMemStats();
    EXPECT_EQ(after.HeapObjects, before.HeapObjects);
    EXPECT_EQ(after.Frees - before.Frees, static_cast<uint64_t>(n));
    EXPECT_EQ(after.Mallocs - before.Mallocs, static_cast<uint64_t>(n));
  });
  EXPECT_EQ(gDestroyed.load(), n) << "every unreachable object's destructor runs when it is swept";
}

TEST_P(Reachability, UnreachableCyclesAreFreed) {
  const int64_t rings = scaled(2000), ringLen = 50;
  runVerified([&] {
    uint64_t base = liveObjects();
    for (int64_t r = 0; r < rings; r++) {
      // A ring, with a chord across it and a self-loop on its first node.
      Local<CountedNode> first = New<CountedNode>(0);
      Local<CountedNode> prev = first;
      Local<CountedNode> mid;
      for (int64_t i = 1; i < ringLen; i++) {
        Local<CountedNode> x = New<CountedNode>(i);
        prev->next = x.get();
        prev = x;
        if (i == ringLen / 2) mid = x;
      }
      prev->next = first.get();
      first->other = first.get();
      mid->other = first.get();
    }
    EXPECT_EQ(liveObjects(), base + static_cast<uint64_t>(rings * ringLen));
    GC();
    EXPECT_EQ(liveObjects(), base) << "cycles nothing reaches are garbage";
  });
  EXPECT_EQ(gDestroyed.load(), rings * ringLen);
}

TEST_P(Reachability, GarbageFreedWhileLiveDataSurvivesAutomaticCycles) {
  const int64_t live = scaled(20000);
  runVerified([&] {
    Local<Node> head = buildList(live);
    uint64_t base = liveObjects();
    MemStats m0 = readMemStats();
    // About ten cycles' worth at the 4 MiB minimum heap; sanitized builds
    // churn a quarter of it, still well past one goal, so that a cycle
    // triggered near the end of the churn cannot be the only one.
    churn(scaled(40 << 20, 4));
    MemStats m1 = readMemStats();
    EXPECT_GE(m1.NumGC - m0.NumGC, kSanitized ? 1u : 5u) << "the pacer should have run cycles";
    EXPECT_TRUE(listIntact(head.get(), live));
    GC();
    EXPECT_EQ(liveObjects(), base) << "all the churned garbage is gone, the list is not";
    EXPECT_TRUE(listIntact(head.get(), live));
  });
}

// ---------------------------------------------------------------------------
// Reachable objects survive.

TEST_P(Reachability, DeepListSurvivesManyCycles) {
  const int64_t n = scaled(200000);
  runVerified([&] {
    Local<Node> head = buildList(n);
    for (int cycle = 0; cycle < 5; cycle++) {
      GC();
      ASSERT_TRUE(listIntact(head.get(), n)) << "after GC " << cycle;
      churn(1 << 20);
    }
  });
}

// The brief's example: a million 64-byte nodes, built through Locals.
struct Node64 {
  Ptr<Node64> next;
  int64_t val = 0;
  int64_t pad[6] = {};
  void trace(Visitor& v) const { v(next); }
};
static_assert(sizeof(Node64) == 64);

TEST_P(Reachability, MillionObjectsSurviveAndAreAccountedExactly) {
  const int64_t n = scaled(1000000, 20);
  runOk([&] {
    uint64_t base = readMemStats().HeapAlloc;
    Local<Node64> head;
    for (int64_t i = n - 1; i >= 0; i--) {
      Local<Node64> x = New<Node64>();
      x->val = i;
      x->next = head.get();
      head = x;
    }
    for (int cycle = 0; cycle < 3; cycle++) {
      GC();
      MemStats m = readMemStats();
      EXPECT_EQ(m.HeapAlloc - base, static_cast<uint64_t>(n) * 64) << "after GC " << cycle;
      int64_t i = 0;
      for (Node64* x = head.get(); x != nullptr; x = x->next.get(), i++) {
        if (x->val != i) {
          ADD_FAILURE() << "node " << i << " holds " << x->val;
          break;
        }
      }
      EXPECT_EQ(i, n);
    }
  });
}

Global<CountedNode> gRing;

TEST_P(Reachability, CycleThroughAGlobalSurvivesAndIsFreedOnceDropped) {
  const int64_t ringLen = scaled(10000);
  runVerified([&] {
    uint64_t base = liveObjects();
    {
      Local<CountedNode> first = New<CountedNode>(0);
      Local<CountedNode> prev = first;
      for (int64_t i = 1; i < ringLen; i++) {
        Local<CountedNode> x = New<CountedNode>(i);
        prev->next = x.get();
        prev = x;
      }
      prev->next = first.get();
      gRing = first;
    }
    for (int cycle = 0; cycle < 4; cycle++) {
      churn(2 << 20);
      GC();
      EXPECT_EQ(liveObjects(), base + static_cast<uint64_t>(ringLen)) << "after GC " << cycle;
      CountedNode* x = gRing.get();
      for (int64_t i = 0; i < ringLen; i++, x = x->next.get()) {
        ASSERT_EQ(x->val, i);
      }
      EXPECT_EQ(x, gRing.get()) << "the ring closes";
    }
    EXPECT_EQ(gDestroyed.load(), 0);
    gRing = nullptr;
    GC();
    EXPECT_EQ(liveObjects(), base);
    EXPECT_EQ(gDestroyed.load(), ringLen);
  });
}

TEST_P(Reachability, ObjectsReachableOnlyFromAParkedGoroutinesLocalsSurvive) {
  const int64_t n = scaled(20000);
  const int workers = 4;
  runVerified([&] {
    auto built = make_chan<int>(workers);
    auto release = make_chan<int>();
    auto results = make_chan<bool>(workers);
    for (int w = 0; w < workers; w++) {
      go([=] {
        Local<Node> mine = buildList(n + w);
        built.send(w);
        release.recv();  // parked holding the only reference
        results.send(static_cast<bool>(listIntact(mine.get(), n + w)));
      });
    }
    for (int w = 0; w < workers; w++) built.recv();
    for (int cycle = 0; cycle < 3; cycle++) {
      churn(2 << 20);
      GC();
    }
    for (int w = 0; w < workers; w++) release.send(1);
    for (int w = 0; w < workers; w++) EXPECT_TRUE(results.recv()) << "a parked goroutine's list was corrupted";
  });
}

TEST_P(Reachability, ObjectsCapturedByAGoroutinesClosureSurviveUntilItRuns) {
  const int64_t n = scaled(5000);
  const int goroutines = 8;
  runVerified([&] {
    uint64_t base = liveObjects();
    auto results = make_chan<bool>(goroutines);
    for (int i = 0; i < goroutines; i++) {
      Local<Node> list = buildList(n + i);
      // The copy of `list` in the closure belongs to the new goroutine; the
      // one here goes out of scope at once.
      go([list, results, len = n + i] {
        results.send(static_cast<bool>(listIntact(list.get(), len)));
      });
    }
    GC();
    GC();
    for (int i = 0; i < goroutines; i++) EXPECT_TRUE(results.recv());
    // Their closures (and the Locals in them) go when they exit.
    for (int i = 0; i < 1000 && NumGoroutine() > 1; i++) Sleep(std::chrono::microseconds(100));
    ASSERT_EQ(NumGoroutine(), 1);
    GC();
    EXPECT_EQ(liveObjects(), base) << "once the goroutines finish, their closures' lists are garbage";
  });
}

// The same, scripted so that the cycle certainly runs before the goroutine
// starts: its closure's Local is the only root of the list.
TEST(ReachabilityScripted, ClosureOfANotYetStartedGoroutineIsARoot) {
  for (bool midCycle : {false, true}) {
    SCOPED_TRACE(midCycle ? "goroutine created during mark" : "goroutine created before the cycle");
    runOk(detP1(), [&] {
      const int64_t n = 1000;
      auto result = make_chan<bool>(1);
      std::atomic<bool> started{false};
      Node* head = nullptr;
      {
        NoPreempt hold;
        auto spawn = [&] {
          Local<Node> list = buildList(n);
          head = list.get();
          go([list, result, &started, n] {
            started = true;
            result.send(static_cast<bool>(listIntact(list.get(), n)));
          });
        };
        if (!midCycle) spawn();
        gc::testing::beginCycle();
        if (midCycle) spawn();  // born during mark: black, its roots shaded at birth
        gc::testing::scanRoots(sched::getg());
        gc::testing::scanGlobals();
        gc::testing::finishCycle();
        EXPECT_FALSE(started.load()) << "the script needs the goroutine not to have run yet";
        for (Node* x = head; x != nullptr; x = x->next.get()) {
          if (!gc::testing::isMarked(x)) {
            ADD_FAILURE() << "node " << x->val << " of the closure's list was not marked";
            break;
          }
        }
        gc::testing::sweepAll();
      }
      EXPECT_TRUE(result.recv());
    }, withGodebug("gcverify=1"));
  }
}

// ---------------------------------------------------------------------------
// Objects under construction.

// Its constructor allocates, so cycles run while it is half built and
// nothing but the constructor refers to it.
struct Builder {
  Ptr<Node> first;
  Ptr<Builder> child;
  Ptr<Node> last;
  int64_t depth = 0;
  explicit Builder(int64_t d) : depth(d) {
    first = New<Node>(d).get();
    churn(4 << 10);
    if (d > 0) child = New<Builder>(d - 1).get();  // New inside a constructor
    churn(4 << 10);
    last = New<Node>(-d).get();
  }
  void trace(Visitor& v) const {
    v(first);
    v(child);
    v(last);
  }
};

::testing::AssertionResult builderIntact(Builder* b, int64_t depth) {
  for (int64_t d = depth; d >= 0; d--, b = b->child.get()) {
    if (b == nullptr) return ::testing::AssertionFailure() << "chain ends early at depth " << d;
    if (b->depth != d || !b->first || !b->first->intact(d) || !b->last || !b->last->intact(-d)) {
      return ::testing::AssertionFailure() << "builder at depth " << d << " corrupt";
    }
  }
  if (b != nullptr) return ::testing::AssertionFailure() << "chain too long";
  return ::testing::AssertionSuccess();
}

TEST_P(Reachability, ObjectsUnderConstructionWhoseConstructorAllocatesSurvive) {
  for (const char* godebug : {"gcverify=1,gcstress=7", "gcverify=1,gcstress=50"}) {
    SCOPED_TRACE(godebug);
    runVerified([&] {
      MemStats m0 = readMemStats();
      for (int i = 0; i < 3; i++) {
        Local<Builder> b = New<Builder>(20);
        GC();
        EXPECT_TRUE(builderIntact(b.get(), 20));
      }
      EXPECT_GT(readMemStats().NumGC - m0.NumGC, 10u) << "gcstress should have run cycles during construction";
    }, godebug);
  }
}

// ---------------------------------------------------------------------------
// Strings and Slices.

TEST_P(Reachability, StringsSurviveAndSubstringsShareTheirBytes) {
  runVerified([&] {
    uint64_t base = readMemStats().HeapAlloc;
    const size_t big = 1 << 20;
    std::string text(big, '.');
    for (size_t i = 0; i < big; i += 997) text[i] = static_cast<char>('a' + (i / 997) % 26);
    Local<String> sub;
    Local<String> small = String::from("a small string");
    {
      Local<String> s = String::from(text);
      sub = s->substr(997 * 3, 997 * 3 + 5);  // "d...."
      EXPECT_EQ(sub->view(), text.substr(997 * 3, 5));
      GC();
      EXPECT_EQ(s->view(), text);
    }
    // Only the 5-byte substring refers to the megabyte now: like Go, it
    // keeps all of it alive.
    for (int cycle = 0; cycle < 3; cycle++) {
      churn(1 << 20);
      GC();
      EXPECT_EQ(sub->view(), "d....");
      EXPECT_EQ(small->view(), "a small string");
      EXPECT_GE(readMemStats().HeapAlloc - base, big) << "the substring's backing bytes were freed";
    }
    sub = *Local<String>();  // a bare String() temporary would be a Ptr outside any GC object
    GC();
    EXPECT_LT(readMemStats().HeapAlloc - base, big) << "nothing holds the megabyte any more";
    Local<String> joined = concat(*small, "!");
    GC();
    EXPECT_EQ(joined->view(), "a small string!");
  });
}

struct WithString {
  String name;
  Ptr<WithString> next;
  void trace(Visitor& v) const {
    v(name);
    v(next);
  }
};

TEST_P(Reachability, StringFieldsOfHeapObjectsSurvive) {
  const int64_t n = scaled(5000);
  runVerified([&] {
    Local<WithString> head;
    for (int64_t i = 0; i < n; i++) {
      Local<WithString> x = New<WithString>();
      x->name = *String::from("name-" + std::to_string(i));
      x->next = head.get();
      head = x;
    }
    for (int cycle = 0; cycle < 3; cycle++) {
      churn(1 << 20);
      GC();
      int64_t i = n - 1;
      for (WithString* x = head.get(); x != nullptr; x = x->next.get(), i--) {
        ASSERT_EQ(x->name.view(), "name-" + std::to_string(i));
      }
      EXPECT_EQ(i, -1);
    }
  });
}

TEST_P(Reachability, SlicesOfPointersKeepTheirElementsAlive) {
  const int64_t n = scaled(20000);
  runVerified([&] {
    Local<Slice<Ptr<Node>>> s;
    for (int64_t i = 0; i < n; i++) {
      Local<Node> x = New<Node>(i);
      s = append(*s, x.get());
      if (i % 1000 == 0) churn(64 << 10);
    }
    // A subslice alone keeps the whole array (and so every element) alive.
    Local<Slice<Ptr<Node>>> tail = s->slice(n - 10, n);
    s = *Local<Slice<Ptr<Node>>>();
    for (int cycle = 0; cycle < 3; cycle++) {
      churn(1 << 20);
      GC();
      ASSERT_EQ(tail->len(), 10u);
      for (size_t i = 0; i < tail->len(); i++) ASSERT_TRUE((*tail)[i]->intact(n - 10 + static_cast<int64_t>(i)));
    }
  });
}

// The capacities append produces, one element at a time, up to `limit`
// elements: every distinct cap in order.
template <class T>
std::vector<uint64_t> appendCaps(int64_t limit) {
  std::vector<uint64_t> caps;
  Local<Slice<T>> s;
  for (int64_t i = 0; i < limit; i++) {
    s = append(*s, T{});
    if (caps.empty() || caps.back() != s->cap()) caps.push_back(s->cap());
  }
  return caps;
}

struct T24 {
  int64_t a, b, c;
};
struct T40 {
  int64_t a, b, c, d, e;
};

// Expected values printed by Go 1.19 (GO111MODULE=off go run of a program
// that appends one element at a time to a nil slice and prints every new
// cap(s)):
//   int64: 1 2 4 8 16 32 64 128 256 512 848 1280 1792 2560 3408 5120 7168 9216 12288 16384 21504
//   byte:  8 16 32 64 128 256 512 896 1408 2048 3072 4096 5376 6912 9472 12288 16384 21760
//   T24:   1 2 4 8 16 32 64 128 256 512 853 1365 2048 3072 4096 5461
//   T40:   1 2 4 8 16 32 67 134 272 544 1024 1638 2252 3072 4096 5324
// and cap(append([]int64{}, 1, 2, 3, 4, 5)) == 6,
//     cap(append(make([]int64, 0, 3), 1, 2, 3, 4, 5, 6, 7)) == 8.
TEST(SliceGrowth, CapacitiesFollowGo119Growslice) {
  runOk(detP1(), [] {
    EXPECT_EQ(appendCaps<int64_t>(20000),
              (std::vector<uint64_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 848, 1280, 1792, 2560, 3408, 5120, 7168,
                                     9216, 12288, 16384, 21504}));
    EXPECT_EQ(appendCaps<uint8_t>(20000),
              (std::vector<uint64_t>{8, 16, 32, 64, 128, 256, 512, 896, 1408, 2048, 3072, 4096, 5376, 6912, 9472,
                                     12288, 16384, 21760}));
    EXPECT_EQ(appendCaps<T24>(5000),
              (std::vector<uint64_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 853, 1365, 2048, 3072, 4096, 5461}));
    EXPECT_EQ(appendCaps<T40>(5000),
              (std::vector<uint64_t>{1, 2, 4, 8, 16, 32, 67, 134, 272, 544, 1024, 1638, 2252, 3072, 4096, 5324}));
    Local<Slice<int64_t>> empty;
    Local<Slice<int64_t>> five = append(*empty, int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}, int64_t{5});
    EXPECT_EQ(five->cap(), 6u);
    Local<Slice<int64_t>> three = Slice<int64_t>::make(0, 3);
    Local<Slice<int64_t>> seven = append(*three, int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}, int64_t{5},
                                         int64_t{6}, int64_t{7});
    EXPECT_EQ(seven->cap(), 8u);
  });
}

TEST_P(Reachability, SliceContentsSurviveGrowthAndCycles) {
  const int64_t n = scaled(200000);
  runVerified([&] {
    Local<Slice<int64_t>> s;
    for (int64_t i = 0; i < n; i++) {
      s = append(*s, i * 3);
      if (i % 5000 == 0) churn(64 << 10);
    }
    // Appending to a copy within capacity shares the array, as in Go.
    Local<Slice<int64_t>> alias = s->slice(0, s->len());
    GC();
    ASSERT_EQ(s->len(), static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) ASSERT_EQ((*s)[i], i * 3) << "element " << i;
    if (s->cap() > s->len()) {
      Local<Slice<int64_t>> more = append(*alias, int64_t{-1});
      EXPECT_EQ(more->begin(), s->begin()) << "append within capacity reuses the array";
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Configs, Reachability, ::testing::ValuesIn(standardConfigs()), ConfigName());

}  // namespace
}  // namespace gort::testing
