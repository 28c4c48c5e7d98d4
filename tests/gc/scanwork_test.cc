// Scan work as Go counts it (mgcmark.go scanobject, malloc.go mallocgc's
// scanSize): an object is worth the bytes up to the end of its last
// reference (its type's ptrdata), not its size, both in the work a cycle
// does and in the scannable heap the pacer plans with. Go 1.19 scans a
// 64-byte list node whose only pointer is its first field as 8 bytes of work
// (tests/gc/testdata/first_cycle.go: 486496 B of heap work for 60812 nodes).

#include <gtest/gtest.h>

#include <cstdint>

#include "tests/gc/gc_test_util.h"

namespace gort::testing {
namespace {

struct First {  // the reference first, then 56 bytes without any
  Ptr<First> next;
  int64_t pad[7] = {};
  void trace(Visitor& v) const { v(next); }
};
struct Last {  // 56 bytes, then the reference
  int64_t pad[7] = {};
  Ptr<Last> next;
  void trace(Visitor& v) const { v(next); }
};
struct Middle {  // references at 0 and 16 of 48 bytes
  Ptr<Middle> a;
  int64_t x = 0;
  Ptr<Middle> b;
  int64_t pad[3] = {};
  void trace(Visitor& v) const {
    v(a);
    v(b);
  }
};
struct WithString {  // a String's reference is its first word
  int64_t x = 0;
  String s;
  int64_t pad[4] = {};
  void trace(Visitor& v) const { v(s); }
};
struct Raw {  // a runtime-internal reference without its slot: the whole object
  std::atomic<void*> p{nullptr};
  int64_t pad[5] = {};
  void trace(Visitor& v) const { v.visitRaw(p.load()); }
};
struct Plain {
  int64_t words[4];
};

class ScanWork : public GcConfigTest {};

TEST_P(ScanWork, PtrdataEndsAtTheLastReference) {
  runOk([&] {
    Local<First> f = New<First>();
    Local<Last> l = New<Last>();
    Local<Middle> m = New<Middle>();
    Local<WithString> w = New<WithString>();
    Local<Raw> r = New<Raw>();
    Local<Plain> p = New<Plain>();
    EXPECT_EQ(typeOf<First>()->ptrdata.load(), 8u);
    EXPECT_EQ(typeOf<Last>()->ptrdata.load(), 64u);
    EXPECT_EQ(typeOf<Middle>()->ptrdata.load(), 24u);
    EXPECT_EQ(typeOf<WithString>()->ptrdata.load(), 16u);
    EXPECT_EQ(typeOf<Raw>()->ptrdata.load(), sizeof(Raw));
    EXPECT_EQ(typeOf<Plain>()->ptrdata.load(), 0u) << "pointer-free: never scanned";
    KeepAlive(f);
    KeepAlive(l);
    KeepAlive(m);
    KeepAlive(w);
    KeepAlive(r);
    KeepAlive(p);
  });
}

// Exact counts need a quiet heap: deterministic mode, with 1 and 4 Ps.
TEST(ScanWorkDet, ACycleCountsEightBytesPerListNode) {
  for (int procs : {1, 4}) {
    Config cfg{Mode::Deterministic, procs, 1};
    SCOPED_TRACE(cfg.name() + " (replay: GORT_SEED=1)");
    runOk(cfg, [&] {
      constexpr int64_t kNodes = 10000;
      Local<First> head;
      for (int64_t i = 0; i < kNodes; i++) {
        Local<First> x = New<First>();
        x->next = head.get();
        head = x;
      }
      GC();
      // The cycle's heap scan work, which resetLive keeps as lastHeapScan.
      EXPECT_EQ(gc::gCollector->pacer.state().lastHeapScan, static_cast<uint64_t>(8 * kNodes));
      KeepAlive(head);
    });
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, ScanWork, ::testing::ValuesIn(standardConfigs()), ConfigName());

}  // namespace
}  // namespace gort::testing
