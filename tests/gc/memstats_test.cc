// ReadMemStats (after runtime/gc_test.go TestReadMemStats, TestGcLastTime,
// runtime/debug/garbage_test.go TestReadGCStats): the invariants between
// the fields, HeapAlloc as Go would count it (size classes), the per-class
// table, the pause history, and gort's own Gort sub-struct.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "tests/gc/gc_test_util.h"

namespace gort::testing {
namespace {

template <size_t N>
struct Bytes {
  std::array<uint8_t, N> b{};
};
using B40 = Bytes<40>;        // class 48
using B100 = Bytes<100>;      // class 112
using B1000 = Bytes<1000>;    // class 1024
using B20000 = Bytes<20000>;  // class 20480 (not in BySize, which stops at 18432)
using B40000 = Bytes<40000>;  // large: 5 pages, 40960

class MemStatsTest : public GcConfigTest {};

TEST_P(MemStatsTest, HeapObjectsIsMallocsMinusFrees) {
  runOk([&] {
    Local<Node> keep = buildList(1000);
    for (int round = 0; round < 20; round++) {
      churn(512 << 10);
      MemStats m = readMemStats();
      ASSERT_EQ(m.HeapObjects, m.Mallocs - m.Frees) << "round " << round;
      // In parallel mode the background sweeper frees between the two reads.
      if (det()) {
        ASSERT_EQ(m.HeapObjects, liveObjects()) << "round " << round;
      }
      ASSERT_EQ(m.Alloc, m.HeapAlloc);
      ASSERT_EQ(m.HeapInuse, m.HeapAlloc) << "gort: HeapInuse = HeapAlloc";
      ASSERT_GE(m.HeapSys, m.HeapInuse);
      ASSERT_EQ(m.HeapIdle, m.HeapSys - m.HeapInuse);
      ASSERT_GE(m.Sys, m.HeapSys + m.StackSys);
      ASSERT_EQ(m.Lookups, 0u);
      ASSERT_TRUE(m.EnableGC);
      ASSERT_FALSE(m.DebugGC);
      ASSERT_EQ(m.Gort.HeaderBytes, 16 * m.HeapObjects);
    }
    GC();
    MemStats m = readMemStats();
    EXPECT_EQ(m.HeapObjects, m.Mallocs - m.Frees);
    EXPECT_EQ(m.HeapObjects, liveObjects());
    EXPECT_TRUE(listIntact(keep.get(), 1000));
  });
}

// After GC() with everything swept, HeapAlloc is exactly the live objects
// rounded as Go rounds them.
TEST_P(MemStatsTest, HeapAllocIsTheSumOfLiveObjectsSizeClasses) {
  runOk([&] {
    GC();
    MemStats m0 = readMemStats();
    const int n = 1000;
    std::vector<Local<B40>> b40;
    std::vector<Local<B100>> b100;
    std::vector<Local<B1000>> b1000;
    std::vector<Local<B40000>> b40000;
    for (int i = 0; i < n; i++) b40.push_back(New<B40>());
    for (int i = 0; i < n; i++) b100.push_back(New<B100>());
    for (int i = 0; i < 100; i++) b1000.push_back(New<B1000>());
    for (int i = 0; i < 10; i++) b40000.push_back(New<B40000>());
    Local<Slice<int64_t>> arr = Slice<int64_t>::make(5);  // a 40-byte array: 48
    Local<String> str = String::from(std::string(100, 's'));  // 100 bytes: 112
    churn(2 << 20);
    GC();
    MemStats m1 = readMemStats();
    uint64_t want = n * 48 + n * 112 + 100 * 1024 + 10 * 40960 + 48 + 112;
    EXPECT_EQ(gc::roundupsize(40), 48u);
    EXPECT_EQ(gc::roundupsize(40000), 40960u);
    EXPECT_EQ(m1.HeapAlloc - m0.HeapAlloc, want);
    EXPECT_EQ(m1.HeapObjects - m0.HeapObjects, static_cast<uint64_t>(2 * n + 110 + 2));
    // The brief's example: N objects of 40 bytes are N*48.
    b100.clear();
    b1000.clear();
    b40000.clear();
    GC();
    MemStats m2 = readMemStats();
    EXPECT_EQ(m2.HeapAlloc - m0.HeapAlloc, n * 48u + 48 + 112);
    // What the process really holds: payload plus the 16-byte header, at
    // least, for every live object.
    EXPECT_GE(m2.Gort.RealHeapAlloc, m2.HeapObjects * 16 + (n * 40u + 40 + 100));
    EXPECT_GT(m2.Gort.ProcessRSS, 0u);
  });
}

TEST_P(MemStatsTest, TotalAllocIsMonotone) {
  runOk([&] {
    uint64_t last = 0;
    uint64_t lastMallocs = 0, lastFrees = 0;
    for (int round = 0; round < 30; round++) {
      churn(256 << 10);
      if (round % 7 == 0) GC();
      MemStats m = readMemStats();
      ASSERT_GE(m.TotalAlloc, last) << "round " << round;
      ASSERT_GE(m.Mallocs, lastMallocs);
      ASSERT_GE(m.Frees, lastFrees);
      ASSERT_GE(m.TotalAlloc, m.HeapAlloc);
      last = m.TotalAlloc;
      lastMallocs = m.Mallocs;
      lastFrees = m.Frees;
    }
    EXPECT_GE(last, 30u * (256 << 10));
  });
}

TEST_P(MemStatsTest, BySizeCountsEachClass) {
  runOk([&] {
    MemStats m0 = readMemStats();
    for (int i = 0; i < 61; i++) {
      EXPECT_EQ(m0.BySize[i].Size, gc::classSize(i)) << "class " << i;
    }
    EXPECT_EQ(m0.BySize[0].Size, 0u);
    EXPECT_EQ(m0.BySize[5].Size, 48u);
    EXPECT_EQ(m0.BySize[60].Size, 18432u);
    const int c48 = gc::sizeToClass(40), c112 = gc::sizeToClass(100), c1024 = gc::sizeToClass(1000);
    {
      std::vector<Local<B40>> a;
      std::vector<Local<B100>> b;
      std::vector<Local<B1000>> c;
      for (int i = 0; i < 300; i++) a.push_back(New<B40>());
      for (int i = 0; i < 200; i++) b.push_back(New<B100>());
      for (int i = 0; i < 100; i++) c.push_back(New<B1000>());
      for (int i = 0; i < 7; i++) (void)New<B40000>();   // large: no class
      for (int i = 0; i < 3; i++) (void)New<B20000>();   // class 61, past BySize's end
      MemStats m1 = readMemStats();
      EXPECT_EQ(m1.BySize[c48].Mallocs - m0.BySize[c48].Mallocs, 300u);
      EXPECT_EQ(m1.BySize[c112].Mallocs - m0.BySize[c112].Mallocs, 200u);
      EXPECT_EQ(m1.BySize[c1024].Mallocs - m0.BySize[c1024].Mallocs, 100u);
      // Go leaves class 0 empty: large objects are counted apart (Go 1.19
      // prints BySize[0] = {0 0 0} after make([]byte, 100000)).
      EXPECT_EQ(m1.BySize[0].Mallocs, 0u);
      GC();
      MemStats m2 = readMemStats();
      EXPECT_EQ(m2.BySize[c48].Frees - m1.BySize[c48].Frees, 0u) << "still reachable";
    }
    GC();
    MemStats m3 = readMemStats();
    EXPECT_EQ(m3.BySize[c48].Frees - m0.BySize[c48].Frees, 300u);
    EXPECT_EQ(m3.BySize[c112].Frees - m0.BySize[c112].Frees, 200u);
    EXPECT_EQ(m3.BySize[c1024].Frees - m0.BySize[c1024].Frees, 100u);
    EXPECT_EQ(m3.BySize[0].Frees, 0u);
    // Every class's Mallocs - Frees over the table adds up to no more than
    // the live objects (the rest are large or in classes past 18432).
    uint64_t inTable = 0;
    for (int i = 0; i < 61; i++) inTable += m3.BySize[i].Mallocs - m3.BySize[i].Frees;
    EXPECT_LE(inTable, m3.HeapObjects);
  });
}

TEST_P(MemStatsTest, NumForcedGCCountsGCCalls) {
  runOk([&] {
    MemStats m0 = readMemStats();
    for (int i = 0; i < 5; i++) GC();
    MemStats m1 = readMemStats();
    EXPECT_EQ(m1.NumForcedGC - m0.NumForcedGC, 5u);
    EXPECT_GE(m1.NumGC - m0.NumGC, 5u);
    churn(scaled(24 << 20, 4));  // cycles the pacer starts are not forced
    MemStats m2 = readMemStats();
    EXPECT_EQ(m2.NumForcedGC, m1.NumForcedGC);
    EXPECT_GT(m2.NumGC, m1.NumGC);
  });
}

// TestGcLastTime. In deterministic mode the wall clock is virtual and does
// not move while goroutines run, so t0 == LastGC == t1 is allowed.
TEST_P(MemStatsTest, LastGCLiesBetweenTheWallTimesAroundGC) {
  runOk([&] {
    int64_t t0 = Now().UnixNano();
    GC();
    int64_t t1 = Now().UnixNano();
    MemStats m = readMemStats();
    EXPECT_LE(t0, static_cast<int64_t>(m.LastGC));
    EXPECT_LE(static_cast<int64_t>(m.LastGC), t1);
    uint64_t pause = m.PauseNs[(m.NumGC + 255) % 256];
    EXPECT_GT(pause, 0u) << "pauses are measured in real time, in both modes";
    EXPECT_LT(pause, uint64_t{10'000'000'000});
    EXPECT_EQ(m.PauseEnd[(m.NumGC + 255) % 256], m.LastGC);
  });
}

// TestReadGCStats: the pause history is consistent.
TEST_P(MemStatsTest, PauseHistoryIsConsistent) {
  runOk([&] {
    for (int i = 0; i < 10; i++) {
      churn(1 << 20);
      GC();
    }
    MemStats m = readMemStats();
    ASSERT_GE(m.NumGC, 10u);
    ASSERT_LE(m.NumGC, 256u);
    uint64_t total = 0;
    for (uint32_t i = 0; i < m.NumGC; i++) {
      EXPECT_GT(m.PauseNs[i], 0u) << "cycle " << i + 1;
      total += m.PauseNs[i];
      if (i > 0) {
        EXPECT_GE(m.PauseEnd[i], m.PauseEnd[i - 1]) << "cycle " << i + 1;
      }
    }
    for (uint32_t i = m.NumGC; i < 256; i++) EXPECT_EQ(m.PauseNs[i], 0u);
    EXPECT_EQ(m.PauseTotalNs, total);
    EXPECT_EQ(m.Gort.SweepTermPauseTotalNs + m.Gort.MarkTermPauseTotalNs, m.PauseTotalNs);
    EXPECT_GE(m.GCCPUFraction, 0.0);
    EXPECT_LE(m.GCCPUFraction, 1.0);
  });
}

// The pause ring wraps after 256 cycles: the newest is still at
// (NumGC+255)%256.
TEST_P(MemStatsTest, PauseRingWraps) {
  runOk([&] {
    for (int i = 0; i < 300; i++) GC();
    MemStats m = readMemStats();
    EXPECT_EQ(m.NumGC, 300u);
    EXPECT_EQ(m.PauseEnd[(m.NumGC + 255) % 256], m.LastGC);
    for (int i = 0; i < 256; i++) EXPECT_GT(m.PauseNs[i], 0u) << i;
  });
}

INSTANTIATE_TEST_SUITE_P(Configs, MemStatsTest, ::testing::ValuesIn(standardConfigs()), ConfigName());

}  // namespace
}  // namespace gort::testing
