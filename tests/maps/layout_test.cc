// The map's shape: constants, hmap and bucket layout, tophash, the load
// factor, and what make(map, hint) allocates (rules M1-M21; map_test.go
// TestHmapSize, TestIgnoreBogusMapHint, TestMapBuckets; conformance
// hint_to_B.json).

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "gc/sizeclasses.h"
#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

using maps::Layout;

struct Empty {
  bool operator==(const Empty&) const = default;
  uint64_t hash(uint64_t seed) const { return seed; }
};

// M1, M2, M3, M4, M6: the constants.
TEST(MapLayout, ConstantsAreGos) {
  EXPECT_EQ(maps::kBucketCntBits, 3);
  EXPECT_EQ(maps::kBucketCnt, 8);
  EXPECT_EQ(maps::kLoadFactorNum, 13);
  EXPECT_EQ(maps::kLoadFactorDen, 2);
  EXPECT_EQ(maps::kMaxKeySize, 128u);
  EXPECT_EQ(maps::kMaxElemSize, 128u);
  EXPECT_EQ(maps::emptyRest, 0);
  EXPECT_EQ(maps::emptyOne, 1);
  EXPECT_EQ(maps::evacuatedX, 2);
  EXPECT_EQ(maps::evacuatedY, 3);
  EXPECT_EQ(maps::evacuatedEmpty, 4);
  EXPECT_EQ(maps::minTopHash, 5);
  EXPECT_EQ(maps::iterator, 1);
  EXPECT_EQ(maps::oldIterator, 2);
  EXPECT_EQ(maps::hashWriting, 4);
  EXPECT_EQ(maps::sameSizeGrow, 8);
  EXPECT_TRUE(maps::isEmpty(maps::emptyRest));
  EXPECT_TRUE(maps::isEmpty(maps::emptyOne));
  EXPECT_FALSE(maps::isEmpty(maps::evacuatedX));
}

// M7, M8 (TestHmapSize): 8 + 5*PtrSize bytes, count first.
TEST(MapLayout, HmapSize) {
  EXPECT_EQ(sizeof(maps::hmap), 8 + 5 * sizeof(void*));
  EXPECT_EQ(sizeof(maps::hmap), 48u);
  EXPECT_EQ(offsetof(maps::hmap, count), 0u);
  EXPECT_EQ(sizeof(Map<int64_t, int64_t>), sizeof(void*)) << "a map value is a pointer";
  EXPECT_EQ(sizeof(maps::hiter), 12 * sizeof(void*)) << "M11: hiter is 12 words";
  EXPECT_EQ(sizeof(maps::mapextra), 3 * sizeof(void*));
}

// M10: bucket sizes as Go computes them.
TEST(MapLayout, BucketSizes) {
  EXPECT_EQ((Layout<int64_t, int64_t>::size), 144u);
  EXPECT_EQ((Layout<String, int64_t>::size), 208u);
  EXPECT_EQ((Layout<int64_t, int8_t>::size), 88u);
  EXPECT_EQ((Layout<int8_t, int8_t>::size), 32u);
  EXPECT_EQ((Layout<int32_t, int32_t>::size), 80u);
  EXPECT_EQ((Layout<Empty, Empty>::size), 16u) << "zero-size keys and elems take no room";
  EXPECT_EQ((Layout<int64_t, int64_t>::keysOff), maps::kDataOffset);
  EXPECT_EQ(maps::kDataOffset, 8u);
  EXPECT_EQ((Layout<int64_t, int8_t>::elemsOff), 72u);
  EXPECT_EQ((Layout<int64_t, int8_t>::overflowOff), 80u);
}

// M3: over 128 bytes is stored indirectly; exactly 128 stays inline.
TEST(MapLayout, IndirectAbove128Bytes) {
  using K128 = std::array<uint8_t, 128>;
  using K129 = std::array<uint8_t, 129>;
  EXPECT_FALSE(maps::Slot<K128>::indirect);
  EXPECT_EQ(maps::Slot<K128>::size, 128u);
  EXPECT_TRUE(maps::Slot<K129>::indirect);
  EXPECT_EQ(maps::Slot<K129>::size, 8u);
  EXPECT_EQ((Layout<K129, K129>::size), 8u + 64 + 64 + 8);
  // Indirect slots are pointers: such buckets are scanned even when the
  // types themselves hold no pointers (as in Go).
  EXPECT_FALSE((Layout<K129, int64_t>::noscan));
  EXPECT_TRUE((Layout<K128, int64_t>::noscan));
  EXPECT_FALSE((Layout<String, int64_t>::noscan));
  EXPECT_FALSE((Layout<int64_t, Ptr<String>>::noscan));
}

// M5: tophash is the top byte, bumped by minTopHash when below it.
TEST(MapLayout, Tophash) {
  EXPECT_EQ(maps::tophash(0), 5);
  EXPECT_EQ(maps::tophash(uint64_t{4} << 56), 9);
  EXPECT_EQ(maps::tophash(uint64_t{5} << 56), 5);
  EXPECT_EQ(maps::tophash(uint64_t{0xab} << 56 | 0x1234), 0xab);
  EXPECT_EQ(maps::tophash(~uint64_t{0}), 0xff);
  for (uint64_t top = 0; top < 256; top++) EXPECT_GE(maps::tophash(top << 56), maps::minTopHash);
}

// M13: the most entries a table holds without growing.
TEST(MapLayout, OverLoadFactor) {
  const int64_t maxFor[] = {8, 13, 26, 52, 104, 208, 416, 832};
  for (uint8_t B = 0; B < 8; B++) {
    EXPECT_FALSE(maps::overLoadFactor(maxFor[B], B)) << "B=" << int(B);
    EXPECT_TRUE(maps::overLoadFactor(maxFor[B] + 1, B)) << "B=" << int(B);
  }
  EXPECT_FALSE(maps::overLoadFactor(8, 0));
  EXPECT_TRUE(maps::overLoadFactor(9, 0));
  EXPECT_FALSE(maps::overLoadFactor(-1, 0));
  // 6.5 per bucket from B = 1 on.
  for (uint8_t B = 1; B < 40; B++) {
    int64_t cap = static_cast<int64_t>(13 * (uint64_t{1} << B) / 2);
    EXPECT_FALSE(maps::overLoadFactor(cap, B));
    EXPECT_TRUE(maps::overLoadFactor(cap + 1, B));
  }
}

// M21: as many overflow buckets as buckets, saturating at 2^15.
TEST(MapLayout, TooManyOverflowBuckets) {
  EXPECT_FALSE(maps::tooManyOverflowBuckets(0, 0) && false);
  EXPECT_TRUE(maps::tooManyOverflowBuckets(1, 0));
  EXPECT_FALSE(maps::tooManyOverflowBuckets(15, 4));
  EXPECT_TRUE(maps::tooManyOverflowBuckets(16, 4));
  EXPECT_FALSE(maps::tooManyOverflowBuckets(32767, 15));
  EXPECT_TRUE(maps::tooManyOverflowBuckets(32768, 15));
  EXPECT_TRUE(maps::tooManyOverflowBuckets(32768, 20)) << "B is capped at 15";
  EXPECT_FALSE(maps::tooManyOverflowBuckets(32767, 20));
}

// M14, M18, conformance/hint_to_B.json: B, the bucket array (with its
// preallocated overflow buckets after rounding to the size class), and the
// allocations make(map[int64]int64, hint) makes, as measured on Go 1.19.
TEST(MapHint, HintToB) {
  struct Row {
    int64_t hint;
    int B;
    uint64_t arrayBytes;
    uint64_t arrayLen;
    uint64_t prealloc;
    uint64_t makeBytes;
    uint64_t mallocs;
  };
  const Row rows[] = {
      {0, 0, 0, 0, 0, 48, 1},          {1, 0, 0, 0, 0, 48, 1},          {7, 0, 0, 0, 0, 48, 1},
      {8, 0, 0, 0, 0, 48, 1},          {9, 1, 288, 2, 0, 336, 2},       {12, 1, 288, 2, 0, 336, 2},
      {13, 1, 288, 2, 0, 336, 2},      {14, 2, 576, 4, 0, 624, 2},      {26, 2, 576, 4, 0, 624, 2},
      {27, 3, 1152, 8, 0, 1200, 2},    {52, 3, 1152, 8, 0, 1200, 2},    {53, 4, 2688, 18, 2, 2760, 3},
      {100, 4, 2688, 18, 2, 2760, 3},
  };
  mapRun([&] {
    for (const Row& r : rows) {
      MemStats before;
      ReadMemStats(&before);
      auto m = make_map<int64_t, int64_t>(r.hint);
      MemStats after;
      ReadMemStats(&after);
      debug::MapInfo info = debug::inspect(*m);
      EXPECT_EQ(info.B, r.B) << "hint " << r.hint;
      EXPECT_EQ(info.buckets == 0, r.B == 0) << "hint " << r.hint << ": B=0 allocates no bucket until the first insert";
      EXPECT_EQ(info.bucketsLen, r.arrayLen) << "hint " << r.hint;
      EXPECT_EQ(info.bucketsBytes, r.arrayBytes) << "hint " << r.hint;
      EXPECT_EQ(info.preallocOverflow, r.prealloc) << "hint " << r.hint;
      EXPECT_EQ(info.totalBytes, r.makeBytes) << "hint " << r.hint;
      EXPECT_EQ(after.Mallocs - before.Mallocs, r.mallocs) << "hint " << r.hint;
      EXPECT_EQ(after.TotalAlloc - before.TotalAlloc, r.makeBytes) << "hint " << r.hint;
      (*m)[1] = 1;
      EXPECT_EQ(debug::inspect(*m).B, r.B) << "B after the first insert";
      EXPECT_NE(debug::inspect(*m).buckets, 0u);
    }
  });
}

// M18 for larger B: 2^B + 2^(B-4) buckets, rounded up to the size class
// (large objects to 8 KiB pages), for a few bucket sizes.
TEST(MapHint, BucketArrayRounding) {
  mapRun([] {
    const maps::MapType* t = maps::mapTypeOf<int64_t, int64_t>();
    for (uint8_t B = 0; B < 22; B++) {
      uint64_t base = uint64_t{1} << B;
      uint64_t want = base;
      if (B >= 4) {
        want += base >> 4;
        uint64_t up = gc::roundupsize(want * 144);
        want = up / 144;
      }
      EXPECT_EQ(maps::bucketArrayLen(t, B), want) << "B=" << int(B);
    }
    // B = 8 as in Go: 272 buckets of 144 bytes round to 40960 bytes = 284 buckets.
    EXPECT_EQ(maps::bucketArrayLen(t, 8), 284u);
    const maps::MapType* ts = maps::mapTypeOf<String, int64_t>();
    EXPECT_EQ(maps::bucketArrayLen(ts, 4), gc::roundupsize(17 * 208) / 208);
  });
}

// M15 (TestIgnoreBogusMapHint): bogus hints are ignored, never a panic.
TEST(MapHint, IgnoreBogusMapHint) {
  mapRun([] {
    for (int64_t hint : {int64_t{-1}, int64_t{1} << 62, INT64_MIN, INT64_MAX, (int64_t{1} << 48) / 144 + 1}) {
      auto m = make_map<int64_t, int64_t>(hint);
      EXPECT_EQ(debug::inspect(*m).B, 0) << "hint " << hint;
      EXPECT_EQ(m->len(), 0);
      (*m)[1] = 2;
      EXPECT_EQ(m->get(1), 2);
    }
    // The largest hint that is not bogus still works (without allocating it all: just B).
    auto m = make_map<int8_t, int8_t>(1000000);
    EXPECT_EQ(debug::inspect(*m).B, 18);
  });
}

// TestMapBuckets: bucket counts after n inserts, with and without a hint.
TEST(MapHint, MapBuckets) {
  struct Case {
    int n;
    uint64_t buckets;
  };
  const Case cases[] = {{0, 1}, {1, 1}, {8, 1}, {9, 2}, {13, 2}, {14, 4}, {26, 4}};
  mapRun([&] {
    for (const Case& c : cases) {
      for (bool hint : {false, true}) {
        auto m = hint ? make_map<int64_t, int64_t>(c.n) : make_map<int64_t, int64_t>();
        EXPECT_EQ(uint64_t{1} << debug::inspect(*m).B, hint ? c.buckets : 1u) << "n=" << c.n;
        if (c.n <= 8) {
          EXPECT_EQ(debug::inspect(*m).buckets, 0u) << "escaping maps with hint <= 8 start without buckets";
        }
        for (int i = 0; i < c.n; i++) (*m)[i] = i;
        EXPECT_EQ(uint64_t{1} << debug::inspect(*m).B, c.buckets) << "n=" << c.n << " hint=" << hint;
      }
    }
  });
}

// M17: each map gets its own seed from fastrand; a map's seed is stable
// while it is in use.
TEST(MapHint, Hash0FromFastrand) {
  mapRun([] {
    auto a = make_map<int64_t, int64_t>();
    auto b = make_map<int64_t, int64_t>();
    auto c = make_map<int64_t, int64_t>(100);
    EXPECT_NE(H(*a)->hash0, H(*b)->hash0);
    EXPECT_NE(H(*b)->hash0, H(*c)->hash0);
    uint32_t h = H(*a)->hash0;
    for (int i = 0; i < 100; i++) (*a)[i] = i;
    EXPECT_EQ(H(*a)->hash0, h) << "growth keeps the seed";
  });
}

// The same seed makes the same maps: hash0 and iteration order come from
// the deterministic stream.
TEST(MapHint, SeedFixesHash0AndOrder) {
  auto once = [](uint64_t seed) {
    std::vector<int64_t> order;
    uint32_t h0 = 0;
    mapRun(
        [&] {
          auto m = make_map<int64_t, int64_t>();
          for (int i = 0; i < 50; i++) (*m)[i] = i;
          h0 = H(*m)->hash0;
          for (auto [k, v] : *m) order.push_back(k);
        },
        det1(seed));
    return std::make_pair(h0, order);
  };
  EXPECT_EQ(once(42), once(42));
  if (std::getenv("GORT_SEED") == nullptr) {
    EXPECT_NE(once(42), once(43)) << "GORT_SEED would make both runs one";
  }
}

}  // namespace
}  // namespace gort::testing
