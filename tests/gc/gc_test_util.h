// Shared pieces of the collector's integration tests (tests/gc/ only):
// object types that count their own destruction, the parameterised fixture,
// heap statistics helpers, and sizes that shrink under the sanitizers.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gc/collector.h"
#include "gc/sizeclasses.h"
#include "gc/testing.h"
#include "gort/gc.h"
#include "gort/gort.h"
#include "gort/slice.h"
#include "gort/string.h"
#include "sched/sched.h"
#include "tests/support/gort_test.h"
#include "tests/support/no_preempt.h"

namespace gort::testing {

#if defined(GORT_ASAN) || defined(GORT_TSAN)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

// n in Release, n/div under a sanitizer (at least 1).
constexpr int64_t scaled(int64_t n, int64_t div = 10) { return kSanitized ? (n / div > 0 ? n / div : 1) : n; }

// How many GC objects whose type counts destruction have been destroyed
// (their destructors run when the sweeper frees them). Reset per test.
inline std::atomic<int64_t> gDestroyed{0};

// A singly linked list node: 8 (next) + 8 (val) + 8 (pad) = 24 bytes, a
// 24-byte size class object in Go's accounting.
struct Node {
  Ptr<Node> next;
  int64_t val = 0;
  int64_t check = 0;  // ~val, to spot a node whose memory was reused
  Node() = default;
  explicit Node(int64_t v) : val(v), check(~v) {}
  void trace(Visitor& v) const { v(next); }
  bool intact(int64_t v) const { return val == v && check == ~v; }
};

// A node that counts its destruction.
struct CountedNode {
  Ptr<CountedNode> next;
  Ptr<CountedNode> other;
  int64_t val = 0;
  CountedNode() = default;
  explicit CountedNode(int64_t v) : val(v) {}
  ~CountedNode() { gDestroyed.fetch_add(1, std::memory_order_relaxed); }
  void trace(Visitor& v) const {
    v(next);
    v(other);
  }
};

// An object with one pointer field and some payload.
struct Holder {
  Ptr<Node> p;
  int64_t tag = 0;
  void trace(Visitor& v) const { v(p); }
};

// Builds a list of n Nodes with values 0..n-1 (head holds 0) and returns
// its head.
inline Local<Node> buildList(int64_t n) {
  Local<Node> head;
  for (int64_t i = n - 1; i >= 0; i--) {
    Local<Node> x = New<Node>(i);
    x->next = head.get();
    head = x;
  }
  return head;
}

// Whether the list from head has exactly n intact nodes 0..n-1.
inline ::testing::AssertionResult listIntact(Node* head, int64_t n) {
  int64_t i = 0;
  for (Node* x = head; x != nullptr; x = x->next.get(), i++) {
    if (i >= n) return ::testing::AssertionFailure() << "list longer than " << n;
    if (!x->intact(i)) {
      return ::testing::AssertionFailure() << "node " << i << " corrupt: val " << x->val << " check " << x->check;
    }
  }
  if (i != n) return ::testing::AssertionFailure() << "list has " << i << " nodes, want " << n;
  return ::testing::AssertionSuccess();
}

// Allocates about `bytes` of short-lived garbage in 64-byte objects, to make
// the pacer start cycles while something else is supposed to survive.
struct Garbage64 {
  int64_t words[8];
};
static_assert(sizeof(Garbage64) == 64);
inline void churn(int64_t bytes) {
  for (int64_t done = 0; done < bytes; done += 64) (void)New<Garbage64>();
}

inline MemStats readMemStats() {
  MemStats m;
  ReadMemStats(&m);
  return m;
}

// GC objects the collector counts as live (allocated minus freed).
inline uint64_t liveObjects() { return gc::testing::liveObjects(); }

// Runs body under cfg with extra options (GODEBUG, GOGC...) and expects it
// to succeed.
inline void runOk(const Config& cfg, const std::function<void()>& body, Options extra = {}) {
  Outcome o = run(cfg, body, std::move(extra));
  GORT_EXPECT_OK(o, cfg);
}

inline Options withGodebug(const std::string& godebug) {
  Options o;
  o.godebug = godebug;
  return o;
}

// The parameterised fixture: one test per standard configuration (DetP1,
// DetP4, ParallelP2; the TSan job runs *Parallel*).
class GcConfigTest : public ::testing::TestWithParam<Config> {
 protected:
  void SetUp() override { gDestroyed.store(0); }
  const Config& cfg() const { return GetParam(); }
  bool det() const { return GetParam().mode == Mode::Deterministic; }
  void runOk(const std::function<void()>& body, Options extra = {}) {
    testing::runOk(GetParam(), body, std::move(extra));
  }
  // The same, with verify mode on: every cycle checks the tri-color
  // invariant and recomputes reachability.
  void runVerified(const std::function<void()>& body, const std::string& godebug = "gcverify=1") {
    runOk(body, withGodebug(godebug));
  }
};


// Whether `s` starts with `prefix`.
inline bool startsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

inline Config detP1(uint64_t seed = 1) { return Config{Mode::Deterministic, 1, seed}; }

}  // namespace gort::testing
