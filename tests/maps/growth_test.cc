// Growth (M20, M36, M47-M54): when maps grow, how evacuation proceeds
// (only on writes, at most two old buckets per write), same-size growth,
// oldbuckets released, never shrinking, noverflow, and the seed reset when a
// map empties (M45). Conformance: growth_trajectory.json.

#include <cstdint>
#include <vector>

#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

// How many old buckets are evacuated (by reading the tophash marks).
template <class K, class V>
uint64_t evacuatedOldBuckets(const Map<K, V>& m) {
  maps::hmap* h = H(m);
  if (!h->growing()) return 0;
  uint64_t n = 0;
  for (uintptr_t x = 0; x < h->noldbuckets(); x++) {
    n += maps::evacuated(h->oldbuckets.get() + x * maps::Layout<K, V>::size);
  }
  return n;
}

// M36 and growth_trajectory.json: the count at which each growth starts is
// exact (9, 14, 27, 53, 105, ... = 6.5 * 2^B + 1), and B goes up by one.
TEST(MapGrowth, GrowthPointsAreExact) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    std::vector<int64_t> growAt;
    uint8_t lastB = 0;
    for (int64_t i = 0; i < 120000; i++) {
      (*m)[i] = i;
      uint8_t B = H(*m)->B;
      if (B != lastB) {
        EXPECT_EQ(B, lastB + 1);
        EXPECT_FALSE(H(*m)->isSameSizeGrow());
        growAt.push_back(m->len());
        lastB = B;
      }
    }
    const std::vector<int64_t> want = {9, 14, 27, 53, 105, 209, 417, 833, 1665, 3329, 6657, 13313, 26625, 53249, 106497};
    EXPECT_EQ(growAt, want);
  });
}

// growth_trajectory.json: how many further inserts finish each evacuation.
// Go's figures depend on where keys hash; ours must land near them.
TEST(MapGrowth, InsertsToFinishEvacuation) {
  struct Want {
    int64_t countAfter;
    int64_t lo, hi;  // Go's range over 5 runs, widened by 10% each way
  };
  const Want wants[] = {{9, 0, 0},          {14, 0, 0},         {27, 1, 2},         {53, 2, 6},
                        {105, 8, 13},       {209, 18, 26},      {417, 35, 48},      {833, 77, 101},
                        {1665, 157, 195},   {3329, 311, 394},   {6657, 625, 784},   {13313, 1263, 1569}};
  for (uint64_t seed : {1, 2, 3}) {
    mapRun(
        [&] {
          auto m = make_map<int64_t, int64_t>();
          int64_t growStart = -1;
          size_t w = 0;
          for (int64_t i = 0; i < 20000 && w < std::size(wants); i++) {
            bool wasGrowing = H(*m)->growing();
            uint8_t b = H(*m)->B;
            (*m)[i] = i;
            if (H(*m)->B != b) growStart = m->len();
            if (growStart >= 0 && !H(*m)->growing() && (wasGrowing || H(*m)->B != b)) {
              int64_t further = m->len() - growStart;
              EXPECT_EQ(growStart, wants[w].countAfter);
              EXPECT_GE(further, wants[w].lo) << "growth at " << growStart << " seed " << seed;
              EXPECT_LE(further, wants[w].hi) << "growth at " << growStart << " seed " << seed;
              growStart = -1;
              w++;
            }
          }
          EXPECT_EQ(w, std::size(wants));
        },
        det1(seed));
  }
}

// M49: each write evacuates at most two old buckets; reads evacuate none.
TEST(MapGrowth, EvacuationIsIncrementalAndOnlyOnWrites) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    int64_t i = 0;
    while (H(*m)->B < 10 || !H(*m)->growing()) {
      (*m)[i] = i;
      i++;
    }
    ASSERT_TRUE(H(*m)->growing());
    uint64_t before = evacuatedOldBuckets(*m);
    EXPECT_LE(before, 2u) << "the insert that started the growth moved at most two buckets";
    for (int64_t k = 0; k < i; k++) EXPECT_EQ(m->get(k), k);
    for (auto [k, v] : *m) EXPECT_EQ(k, v);
    EXPECT_EQ(evacuatedOldBuckets(*m), before) << "lookups and iteration never evacuate";
    // Writes: inserts, updates and deletes each move at most two.
    for (int step = 0; H(*m)->growing(); step++) {
      uint64_t e0 = evacuatedOldBuckets(*m);
      switch (step % 3) {
        case 0: (*m)[i] = i; i++; break;
        case 1: (*m)[step] = step; break;
        case 2: m->del(-step); break;  // absent key: still a write
      }
      uint64_t e1 = H(*m)->growing() ? evacuatedOldBuckets(*m) : H(*m)->noldbuckets();
      EXPECT_LE(e1 - e0, 2u);
      EXPECT_TRUE(mapConsistent(*m));
    }
    EXPECT_EQ(H(*m)->oldbuckets.get(), nullptr) << "M53: released when done";
    EXPECT_EQ(H(*m)->nevacuate, uintptr_t{1} << (H(*m)->B - 1));
    for (int64_t k = 0; k < i; k++) EXPECT_EQ(m->get(k), k);
  });
}

// M48, M53: hashGrow moves the overflow list to oldoverflow; the end of the
// growth drops it; a growth with an iterator keeps oldIterator.
TEST(MapGrowth, HashGrowBookkeeping) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 1000; i++) (*m)[i] = i;
    // Run to just before a growth, iterate (sets the iterator flags), grow.
    while (!maps::overLoadFactor(m->len() + 1, H(*m)->B)) (*m)[m->len()] = 0;
    { MapIter<int64_t, int64_t> it(*m); }
    EXPECT_EQ(H(*m)->getFlags() & (maps::iterator | maps::oldIterator), maps::iterator | maps::oldIterator);
    maps::ovlist* ov = H(*m)->extra.get()->overflow.get();
    uint8_t B = H(*m)->B;
    (*m)[m->len()] = 0;
    EXPECT_EQ(H(*m)->B, B + 1);
    EXPECT_TRUE(H(*m)->growing());
    EXPECT_EQ(H(*m)->noverflow, 0) << "counting restarts for the new array";
    EXPECT_EQ(H(*m)->getFlags() & (maps::iterator | maps::oldIterator), maps::oldIterator)
        << "the iterator bit moves to oldIterator";
    if (ov != nullptr) {
      EXPECT_EQ(H(*m)->extra.get()->oldoverflow.get(), ov);
    }
    while (H(*m)->growing()) (*m)[m->len()] = 0;
    EXPECT_EQ(H(*m)->extra.get()->oldoverflow.get(), nullptr);
    EXPECT_TRUE(mapConsistent(*m));
  });
}

// M54 and growth_trajectory.json's churn: deletes never shrink a map, and
// churning fresh keys through an emptied map reuses its slots: no overflow
// bucket is added, so no same-size growth starts (as measured on Go).
TEST(MapGrowth, NeverShrinksAndChurnReusesSlots) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    const int64_t n = mscaled(100000);
    for (int64_t i = 0; i < n; i++) (*m)[i] = i;
    while (H(*m)->growing()) (*m)[0] = 0;
    uint8_t B = H(*m)->B;
    uint16_t nov = H(*m)->noverflow;
    for (int64_t i = 0; i < n; i++) m->del(i);
    EXPECT_EQ(m->len(), 0);
    EXPECT_EQ(H(*m)->B, B) << "M54: a map never shrinks";
    bool sawGrowth = false;
    for (int64_t i = 0; i < mscaled(1000000); i++) {
      int64_t k = 1000000000 + i;
      (*m)[k] = k;
      sawGrowth |= H(*m)->growing();
      m->del(k);
    }
    EXPECT_FALSE(sawGrowth);
    EXPECT_EQ(H(*m)->B, B);
    EXPECT_EQ(H(*m)->noverflow, nov);
    EXPECT_EQ(H(*m)->getFlags(), 0);
  });
}

// M47: too many overflow buckets (and not over the load factor) starts a
// same-size growth at the next insert of a new key; it keeps B, moves every
// entry, and clears its flag at the end.
TEST(MapGrowth, TooManyOverflowBucketsStartsSameSizeGrowth) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 60; i++) (*m)[i] = i;  // B = 4
    while (H(*m)->growing()) (*m)[0] = 0;
    uint8_t B = H(*m)->B;
    ASSERT_EQ(B, 4);
    H(*m)->noverflow = static_cast<uint16_t>(uint16_t{1} << B);  // pretend the chains grew long
    (*m)[0] = 0;
    EXPECT_FALSE(H(*m)->growing()) << "only a new key starts a growth";
    (*m)[100] = 100;
    EXPECT_TRUE(H(*m)->growing());
    EXPECT_TRUE(H(*m)->isSameSizeGrow());
    EXPECT_EQ(H(*m)->B, B);
    EXPECT_EQ(H(*m)->noldbuckets(), uintptr_t{1} << B);
    EXPECT_TRUE(mapConsistent(*m));
    while (H(*m)->growing()) (*m)[0] = 0;
    EXPECT_FALSE(H(*m)->isSameSizeGrow());
    EXPECT_EQ(H(*m)->B, B);
    for (int64_t i = 1; i < 60; i++) EXPECT_EQ(m->get(i), i);
    EXPECT_EQ(m->get(100), 100);
    EXPECT_TRUE(mapConsistent(*m));
  });
}

// M19, M20: noverflow counts every overflow bucket exactly below B = 16;
// preallocated ones are used before any is allocated.
TEST(MapGrowth, NoverflowIsExactBelowB16) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>(50000);  // B = 13, no growth below
    for (int64_t i = 0; i < 50000; i++) (*m)[i] = i;
    debug::MapInfo info = debug::inspect(*m);
    ASSERT_FALSE(info.growing);
    EXPECT_EQ(info.B, 13);
    EXPECT_EQ(info.noverflow, info.overflowChained) << "exact count";
    uint64_t preallocUsed = info.preallocOverflow - info.preallocFree;
    EXPECT_EQ(info.overflowChained, preallocUsed + info.overflowSeparate);
    if (info.overflowSeparate > 0) {
      EXPECT_EQ(info.preallocFree, 0u) << "preallocated buckets go first";
    }
  });
}

// M20 above B = 16: sampled, so noverflow is far below the real count.
TEST(MapGrowth, NoverflowIsSampledFromB16) {
  if (kMapSanitized) GTEST_SKIP() << "too big for a sanitizer build";
  mapRun([] {
    auto m = make_map<int64_t, int64_t>(600000);  // B = 17
    for (int64_t i = 0; i < 600000; i++) (*m)[i] = i;
    debug::MapInfo info = debug::inspect(*m);
    EXPECT_EQ(info.B, 17);
    ASSERT_GT(info.overflowChained, 1000u);
    // Probability 1/4 at B = 17.
    EXPECT_LT(info.noverflow, info.overflowChained / 2);
    EXPECT_GT(info.noverflow, info.overflowChained / 8);
  });
}

// M45, conformance delete_and_churn_states: emptying a map reseeds hash0
// but keeps B and noverflow.
TEST(MapGrowth, Hash0ReseededWhenEmptied) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 1000; i++) (*m)[i] = i;
    while (H(*m)->growing()) (*m)[0] = 0;
    uint32_t h0 = H(*m)->hash0;
    uint8_t B = H(*m)->B;
    uint16_t nov = H(*m)->noverflow;
    for (int64_t i = 0; i < 999; i++) m->del(i);
    EXPECT_EQ(H(*m)->hash0, h0) << "not yet empty";
    m->del(999);
    EXPECT_EQ(m->len(), 0);
    EXPECT_NE(H(*m)->hash0, h0) << "reseeded at count 0";
    EXPECT_EQ(H(*m)->B, B);
    EXPECT_EQ(H(*m)->noverflow, nov);
    EXPECT_EQ(H(*m)->getFlags() & maps::hashWriting, 0);
    // Still a working map under the new seed.
    for (int64_t i = 0; i < 100; i++) (*m)[i] = -i;
    for (int64_t i = 0; i < 100; i++) EXPECT_EQ(m->get(i), -i);
    EXPECT_TRUE(mapConsistent(*m));
  });
}

}  // namespace
}  // namespace gort::testing
