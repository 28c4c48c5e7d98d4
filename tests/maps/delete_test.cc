// Deletion and clear (M41-M46, M63-M64): tombstone compaction
// (TestMapTombstones), cleared slots (TestIncrementAfterDelete*,
// TestIncrementAfterBulkClear*), and clear()'s effects: B kept, hash0
// reseeded, extra kept, iterators under way stopped.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

// Keys that all hash alike: every one lands in the same chain.
struct Collide {
  int64_t v = 0;
  bool operator==(const Collide&) const = default;
  uint64_t hash(uint64_t seed) const { return seed * 0 + 0x5500000000000000ull; }
};

template <class K, class V>
std::vector<uint8_t> chainTophash(const Map<K, V>& m, uintptr_t bucket) {
  using L = maps::Layout<K, V>;
  std::vector<uint8_t> out;
  for (char* b = H(m)->buckets.get() + bucket * L::size; b != nullptr; b = L::overflow(b)) {
    for (int i = 0; i < 8; i++) out.push_back(L::tophash(b)[i]);
  }
  return out;
}

// TestMapTombstones (M44): emptyRest always forms a suffix of each chain.
TEST(MapDelete, Tombstones) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    const int64_t N = 10000;
    for (int64_t i = 0; i < N; i++) (*m)[i] = i;
    EXPECT_EQ(debug::tombstoneCheck(*m), "");
    for (int64_t i = 0; i < N; i += 2) m->del(i);
    EXPECT_EQ(debug::tombstoneCheck(*m), "");
    for (int64_t i = N; i < 3 * N / 2; i++) (*m)[i] = i;
    EXPECT_EQ(debug::tombstoneCheck(*m), "");
    for (int64_t i = 0; i < 3 * N / 2; i++) m->del(i);
    EXPECT_EQ(debug::tombstoneCheck(*m), "");
    EXPECT_EQ(m->len(), 0);
    debug::MapInfo info = debug::inspect(*m);
    EXPECT_EQ(info.fill[0], (uint64_t{1} << info.B) + info.overflowChained) << "every bucket in use is empty";
    EXPECT_TRUE(mapConsistent(*m));
  });
}

// M44 step by step in one chain spanning two buckets.
TEST(MapDelete, TombstonesStepByStep) {
  mapRun([] {
    auto m = make_map<Collide, int64_t>(13);  // B = 1: room for 13 without growing
    for (int64_t i = 0; i < 12; i++) (*m)[Collide{i}] = i;
    const uintptr_t b = 0x5500000000000000ull & 1;
    const uint8_t t = 0x55;
    using V = std::vector<uint8_t>;
    EXPECT_EQ(chainTophash(*m, b), (V{t, t, t, t, t, t, t, t, t, t, t, t, 0, 0, 0, 0}));
    m->del(Collide{3});  // in the middle: emptyOne
    EXPECT_EQ(chainTophash(*m, b), (V{t, t, t, 1, t, t, t, t, t, t, t, t, 0, 0, 0, 0}));
    m->del(Collide{11});  // the last entry: emptyRest
    EXPECT_EQ(chainTophash(*m, b), (V{t, t, t, 1, t, t, t, t, t, t, t, 0, 0, 0, 0, 0}));
    m->del(Collide{9});  // not last (10 follows)
    EXPECT_EQ(chainTophash(*m, b), (V{t, t, t, 1, t, t, t, t, t, 1, t, 0, 0, 0, 0, 0}));
    m->del(Collide{8});  // slot 0 of the overflow bucket, not last
    EXPECT_EQ(chainTophash(*m, b), (V{t, t, t, 1, t, t, t, t, 1, 1, t, 0, 0, 0, 0, 0}));
    m->del(Collide{10});  // last: it and the emptyOnes before it become emptyRest
    EXPECT_EQ(chainTophash(*m, b), (V{t, t, t, 1, t, t, t, t, 0, 0, 0, 0, 0, 0, 0, 0}));
    m->del(Collide{7});  // crosses back into the first bucket
    EXPECT_EQ(chainTophash(*m, b), (V{t, t, t, 1, t, t, t, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    m->del(Collide{4});
    m->del(Collide{6});
    EXPECT_EQ(chainTophash(*m, b), (V{t, t, t, 1, 1, t, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    m->del(Collide{5});  // compacts back to slot 3
    EXPECT_EQ(chainTophash(*m, b), (V{t, t, t, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(m->len(), 3);
    EXPECT_EQ(debug::tombstoneCheck(*m), "");
    // An insert reuses the first free slot.
    (*m)[Collide{100}] = 100;
    EXPECT_EQ(chainTophash(*m, b)[3], t);
    for (int64_t i : {0, 1, 2, 100}) EXPECT_EQ(m->get(Collide{i}), i);
  });
}

// TestIncrementAfterDeleteValueInt{,32,64}
template <class V>
void incrementAfterDelete() {
  mapRun([] {
    auto m = make_map<int64_t, V>();
    (*m)[12] = 99;
    m->del(12);
    (*m)[13]++;
    EXPECT_EQ(m->get(13), V{1}) << "incremented 0 to " << m->get(13);
  });
}
TEST(MapDelete, IncrementAfterDeleteValueInt) { incrementAfterDelete<int>(); }
TEST(MapDelete, IncrementAfterDeleteValueInt32) { incrementAfterDelete<int32_t>(); }
TEST(MapDelete, IncrementAfterDeleteValueInt64) { incrementAfterDelete<int64_t>(); }

// TestIncrementAfterDeleteKeyStringValueInt
TEST(MapDelete, IncrementAfterDeleteKeyStringValueInt) {
  mapRun([] {
    auto m = make_map<String, int64_t>();
    (*m)[""] = 99;
    m->del("");
    (*m)["x"]++;
    EXPECT_EQ(m->get("x"), 1);
  });
}

// TestIncrementAfterDeleteKeyValueString
TEST(MapDelete, IncrementAfterDeleteKeyValueString) {
  mapRun([] {
    auto m = make_map<String, String>();
    (*m)[""] = "99";
    m->del("");
    (*m)["x"] += "1";
    EXPECT_EQ(m->get("x")->view(), "1");
  });
}

// TestIncrementAfterBulkClearKeyStringValueInt: the range-delete idiom,
// and clear().
TEST(MapDelete, IncrementAfterBulkClearKeyStringValueInt) {
  mapRun([] {
    auto m = make_map<String, int64_t>();
    (*m)[""] = 99;
    for (auto [k, v] : *m) m->del(k);
    (*m)["x"]++;
    EXPECT_EQ(m->get("x"), 1);
    m->clear();
    (*m)["y"]++;
    EXPECT_EQ(m->get("y"), 1);
    EXPECT_EQ(m->len(), 1);
  });
}

// M43: deleting clears the slot's pointers (nothing the map dropped stays
// reachable through the bucket) and zeroes the elem.
TEST(MapDelete, DeleteClearsTheSlot) {
  mapRun([] {
    auto m = make_map<String, String>();
    (*m)["key"] = "value";
    using L = maps::Layout<String, String>;
    char* b = H(*m)->buckets.get();
    m->del("key");
    EXPECT_EQ(L::key(b, 0)->len(), 0u);
    EXPECT_EQ(L::elem(b, 0)->len(), 0u);
    EXPECT_EQ(L::tophash(b)[0], maps::emptyRest);
    auto n = make_map<int64_t, int64_t>();
    (*n)[5] = 55;
    using L2 = maps::Layout<int64_t, int64_t>;
    char* b2 = H(*n)->buckets.get();
    n->del(5);
    EXPECT_EQ(*L2::elem(b2, 0), 0) << "the elem is always zeroed";
    EXPECT_EQ(*L2::key(b2, 0), 5) << "a key without pointers is left as it was (Go does the same)";
  });
}

// M63: clear keeps B and the bucket array, reseeds hash0, zeroes the
// counters, keeps extra, and makes every preallocated bucket free again.
TEST(MapDelete, ClearKeepsCapacityAndReseeds) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 5000; i++) (*m)[i] = i;
    debug::MapInfo before = debug::inspect(*m);
    ASSERT_GT(before.noverflow, 0);
    maps::mapextra* extra = H(*m)->extra.get();
    m->clear();
    debug::MapInfo after = debug::inspect(*m);
    EXPECT_EQ(after.count, 0);
    EXPECT_EQ(after.B, before.B) << "capacity kept";
    EXPECT_EQ(after.buckets, before.buckets) << "the array is reused";
    EXPECT_NE(after.hash0, before.hash0) << "reseeded";
    EXPECT_EQ(after.noverflow, 0);
    EXPECT_EQ(after.oldbuckets, 0u);
    EXPECT_EQ(after.nevacuate, 0u);
    EXPECT_EQ(after.overflowChained, 0u) << "overflow chains dropped";
    EXPECT_EQ(after.preallocFree, after.preallocOverflow) << "all preallocated buckets free again";
    EXPECT_EQ(H(*m)->extra.get(), extra) << "mapextra is kept";
    EXPECT_EQ(after.fill[0], uint64_t{1} << after.B);
    EXPECT_TRUE(mapConsistent(*m));
    for (int64_t i = 0; i < 5000; i++) EXPECT_FALSE(m->contains(i));
    for (int64_t i = 0; i < 5000; i++) (*m)[i] = -i;
    EXPECT_EQ(debug::inspect(*m).B, before.B) << "refilling needs no growth";
    for (int64_t i = 0; i < 5000; i++) EXPECT_EQ(m->get(i), -i);
    // A nil or empty map: nothing happens (not even a new seed).
    Local<Map<int64_t, int64_t>> nil;
    nil->clear();
    auto e = make_map<int64_t, int64_t>();
    uint32_t h0 = H(*e)->hash0;
    e->clear();
    EXPECT_EQ(H(*e)->hash0, h0);
  });
}

// clear during a growth drops oldbuckets, and with pointers, clears them
// through the barrier (checked by verify mode).
TEST(MapDelete, ClearDuringGrowth) {
  mapRun(
      [] {
        auto m = make_map<String, String>();
        int64_t i = 0;
        while (!(H(*m)->growing() && H(*m)->B >= 6)) {
          (*m)[std::to_string(i)] = std::to_string(i);
          i++;
        }
        m->clear();
        EXPECT_FALSE(H(*m)->growing());
        EXPECT_FALSE(H(*m)->isSameSizeGrow());
        EXPECT_EQ(m->len(), 0);
        GC();
        for (int64_t j = 0; j < 100; j++) (*m)[std::to_string(j)] = "v";
        EXPECT_EQ(m->len(), 100);
        EXPECT_TRUE(mapConsistent(*m));
      },
      det1(), godebug("gcverify=1"));
}

// Go 1.21's clear marks every slot empty first, so an iteration under way
// sees nothing more (Go issue 59411), even one walking old buckets.
TEST(MapDelete, ClearStopsIterations) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 200; i++) (*m)[i] = i;
    int seen = 0;
    for ([[maybe_unused]] auto [k, v] : *m) {
      if (++seen == 10) m->clear();
    }
    EXPECT_EQ(seen, 10);
    // Started during a growth.
    auto g = make_map<int64_t, int64_t>();
    int64_t i = 0;
    while (!(H(*g)->growing() && H(*g)->B >= 5)) {
      (*g)[i] = i;
      i++;
    }
    seen = 0;
    for ([[maybe_unused]] auto [k, v] : *g) {
      if (++seen == 3) g->clear();
    }
    EXPECT_EQ(seen, 3);
  });
}

// Deleting the current entry, or entries not yet reached, during a range
// (the spec allows both): deleted ones are never returned.
TEST(MapDelete, DeleteDuringIteration) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 1000; i++) (*m)[i] = i;
    bool first = true;
    for (auto [k, v] : *m) {
      if (first) {
        first = false;
        for (int64_t j = 0; j < 1000; j++) {
          if (j % 3 != 0 && j != k) m->del(j);
        }
      } else {
        EXPECT_EQ(k % 3, 0) << "a deleted key came back";
      }
      m->del(k);
    }
    EXPECT_EQ(m->len(), 0);
  });
}

}  // namespace
}  // namespace gort::testing
