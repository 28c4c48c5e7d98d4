// The collector's view of maps (M9, M43, M52, M56): what a map holds stays
// alive, what it dropped can be collected, noscan buckets' overflow buckets
// survive through hmap.extra, separately allocated overflow buckets are
// traced through their tagged overflow words, and iterators keep the
// buckets they walk. Runs under GODEBUG=gcverify=1 (every cycle checks the
// tri-color invariant, recomputes reachability, and poisons freed memory)
// unless a case says otherwise.

#include <atomic>
#include <cstdint>
#include <set>
#include <string>

#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

std::atomic<int64_t> gFreed{0};

struct Obj {
  int64_t val = 0;
  int64_t check = 0;
  explicit Obj(int64_t v) : val(v), check(~v) {}
  ~Obj() { gFreed.fetch_add(1); }
  bool intact(int64_t v) const { return val == v && check == ~v; }
};

// Keys that all land in one chain: overflow buckets without preallocated
// ones (B < 4), so separately allocated. Pointer-free: the buckets are noscan.
struct Collide {
  int64_t v = 0;
  bool operator==(const Collide&) const = default;
  uint64_t hash(uint64_t) const { return 0x7700000000000000ull; }
};
// The same with a pointer inside: scanned buckets.
struct CollideStr {
  String s;
  bool operator==(const CollideStr&) const = default;
  uint64_t hash(uint64_t) const { return 0x7700000000000000ull; }
  void trace(Visitor& v) const { v(s); }
};

Rooted<CollideStr> cs(int64_t i) {
  Rooted<CollideStr> k;
  k->s = *String::from("k" + std::to_string(i));
  return k;
}

const Config kConfigs[] = {{Mode::Deterministic, 1, 1}, {Mode::Deterministic, 4, 2}, {Mode::Parallel, 2, 3}};

class MapGc : public MapConfigTest {
 protected:
  void SetUp() override { gFreed.store(0); }
};

// Go's bucket ptrdata runs to the overflow pointer, the bucket's last word,
// so a bucket with references is scanned whole (tests/gc/scanwork_test.cc).
TEST_P(MapGc, BucketsAreScannedToTheirOverflowWord) {
  runOk([] {
    auto m = make_map<int64_t, Ptr<Obj>>();
    (*m)[1] = New<Obj>(1).get();
    const TypeInfo* b = maps::mapTypeOf<int64_t, Ptr<Obj>>()->bucket;
    EXPECT_EQ(b->ptrdata.load(), b->size);
    const TypeInfo* plain = maps::mapTypeOf<int64_t, int64_t>()->bucket;
    EXPECT_EQ(plain->ptrdata.load(), 0u) << "pointer-free: never scanned";
  });
}

// A map[int64]*T keeps its values alive across collections.
TEST_P(MapGc, ValuesSurviveCollections) {
  runVerified([] {
    auto m = make_map<int64_t, Ptr<Obj>>();
    const int64_t n = mscaled(20000);
    for (int64_t i = 0; i < n; i++) (*m)[i] = New<Obj>(i).get();
    GC();
    for (int64_t i = 0; i < n; i += 3) (*m)[i + n] = New<Obj>(i + n).get();
    GC();
    for (int64_t i = 0; i < n; i++) {
      Local<Obj> o = m->get(i);
      ASSERT_TRUE(o && o->intact(i)) << "value " << i;
    }
    EXPECT_EQ(gFreed.load(), 0);
  });
}

// M43: a deleted value (and a value overwritten) becomes garbage.
TEST_P(MapGc, DeletedValuesAreCollected) {
  runVerified([] {
    auto m = make_map<int64_t, Ptr<Obj>>();
    for (int64_t i = 0; i < 1000; i++) (*m)[i] = New<Obj>(i).get();
    for (int64_t i = 0; i < 1000; i += 2) m->del(i);
    for (int64_t i = 1; i < 100; i += 2) (*m)[i] = New<Obj>(i).get();  // the old ones go
    GC();
    GC();
    EXPECT_EQ(gFreed.load(), 500 + 50);
    for (int64_t i = 1; i < 1000; i += 2) ASSERT_TRUE(Local<Obj>(m->get(i))->intact(i));
    m->clear();
    GC();
    GC();
    EXPECT_EQ(gFreed.load(), 1000 + 50);
  });
}

// String keys and elems: bytes stay while the map holds them.
TEST_P(MapGc, StringKeysAndElemsSurvive) {
  runVerified([] {
    auto m = make_map<String, String>();
    const int64_t n = mscaled(5000);
    for (int64_t i = 0; i < n; i++) (*m)["key-" + std::to_string(i)] = *String::from("val-" + std::to_string(i));
    GC();
    for (int64_t i = 0; i < n; i += 2) m->del("key-" + std::to_string(i));
    GC();
    for (int64_t i = 1; i < n; i += 2) ASSERT_EQ(m->get("key-" + std::to_string(i))->str(), "val-" + std::to_string(i));
    EXPECT_TRUE(mapConsistent(*m));
  });
}

// M9: overflow buckets of noscan buckets live through extra.overflow
// (separately allocated ones here: B = 1 has no preallocated buckets).
TEST_P(MapGc, NoscanOverflowBucketsSurvive) {
  runVerified([] {
    auto m = make_map<Collide, int64_t>(13);
    for (int64_t i = 0; i < 13; i++) (*m)[Collide{i}] = i * 10;
    debug::MapInfo info = debug::inspect(*m);
    ASSERT_TRUE(info.noscan);
    ASSERT_GE(info.overflowSeparate, 1u);
    GC();
    GC();
    for (int64_t i = 0; i < 13; i++) EXPECT_EQ(m->get(Collide{i}), i * 10);
    // And a big noscan map with preallocated and allocated overflow buckets, collected mid-growth.
    auto big = make_map<int64_t, int64_t>();
    const int64_t n = mscaled(200000);
    for (int64_t i = 0; i < n; i++) {
      (*big)[i] = i;
      if (i % (n / 8) == 0) GC();
    }
    GC();
    for (int64_t i = 0; i < n; i++) ASSERT_EQ(big->get(i), i);
  });
}

// Scanned buckets: a separately allocated overflow bucket is traced through
// its tagged overflow word.
TEST_P(MapGc, ScannedOverflowBucketsSurvive) {
  runVerified([] {
    auto m = make_map<CollideStr, String>(13);
    for (int64_t i = 0; i < 13; i++) (*m)[*cs(i)] = *String::from("v" + std::to_string(i));
    debug::MapInfo info = debug::inspect(*m);
    ASSERT_FALSE(info.noscan);
    ASSERT_GE(info.overflowSeparate, 1u);
    GC();
    GC();
    for (int64_t i = 0; i < 13; i++) EXPECT_EQ(m->get(*cs(i))->str(), "v" + std::to_string(i));
  });
}

// M52: once an old bucket is evacuated and no iterator may read the old
// buckets, the old slots let go: a value deleted from the new table can be
// collected while the growth is still going on.
TEST_P(MapGc, EvacuatedOldSlotsLetGo) {
  runVerified([] {
    auto m = make_map<int64_t, Ptr<Obj>>();
    int64_t i = 0;
    while (!(H(*m)->growing() && H(*m)->B >= 8)) {
      (*m)[i] = New<Obj>(i).get();
      i++;
    }
    ASSERT_TRUE(H(*m)->growing());
    // Key 0's old bucket: evacuate it by writing there, then delete it.
    (*m)[0] = New<Obj>(0).get();
    m->del(0);
    ASSERT_TRUE(H(*m)->growing());
    int64_t before = gFreed.load();
    GC();
    GC();
    EXPECT_EQ(gFreed.load() - before, 2) << "both objects of key 0 are garbage mid-growth";
  });
}

// ... but with an iterator that may still walk the old buckets
// (oldIterator), the old slots keep their values until the growth ends.
TEST_P(MapGc, OldIteratorKeepsOldSlots) {
  runVerified([] {
    auto m = make_map<int64_t, Ptr<Obj>>();
    // Fill to just below a growth, iterate once, then grow.
    for (int64_t i = 0; i < 208; i++) (*m)[i] = New<Obj>(i).get();
    { MapIter<int64_t, Ptr<Obj>> it(*m); }
    (*m)[208] = New<Obj>(208).get();
    ASSERT_TRUE(H(*m)->growing());
    ASSERT_NE(H(*m)->getFlags() & maps::oldIterator, 0);
    (*m)[0] = New<Obj>(0).get();  // evacuates key 0's old bucket, replaces its value
    m->del(0);
    int64_t before = gFreed.load();
    GC();
    GC();
    EXPECT_EQ(gFreed.load() - before, 1) << "the new value goes; the old one is still in an old slot";
    while (H(*m)->growing()) m->del(-1);
    GC();
    GC();
    EXPECT_EQ(gFreed.load() - before, 2) << "and goes with the old array";
  });
}

// M56: an iterator keeps its snapshot alive: the old array after the map
// dropped it, and for noscan maps the old overflow buckets (through the
// captured overflow lists).
TEST_P(MapGc, IteratorKeepsDroppedBucketsAlive) {
  runVerified([] {
    auto m = make_map<Collide, int64_t>(13);
    for (int64_t i = 0; i < 13; i++) (*m)[Collide{i}] = i;
    std::set<int64_t> seen;
    int steps = 0;
    for (auto [k, v] : *m) {
      EXPECT_EQ(k.v, v);
      EXPECT_TRUE(seen.insert(v).second);
      if (steps++ == 2) {
        // Grow twice, to completion: the array being walked and its
        // overflow bucket now belong to nothing but this iterator.
        for (int64_t i = 100; i < 130; i++) (*m)[Collide{i}] = i;
        while (H(*m)->growing()) (*m)[Collide{100}] = 100;
        GC();
        GC();
      }
    }
    for (int64_t i = 0; i < 13; i++) EXPECT_EQ(seen.count(i), 1u) << i;
  });
}

// clear() detaches overflow chains; an iterator standing in one keeps it.
TEST_P(MapGc, ClearUnderAnIterator) {
  runVerified([] {
    auto m = make_map<CollideStr, int64_t>(13);
    for (int64_t i = 0; i < 13; i++) (*m)[*cs(i)] = i;
    int n = 0;
    for ([[maybe_unused]] auto [k, v] : *m) {
      n++;
      if (n == 10) {  // the chain has 8 + 5: we are in the overflow bucket or near it
        m->clear();
        GC();
        GC();
      }
    }
    EXPECT_EQ(n, 10) << "nothing after clear";
    EXPECT_EQ(m->len(), 0);
  });
}

// An unreachable map goes entirely: hmap, buckets, overflow, extra, keys.
TEST_P(MapGc, UnreachableMapIsCollected) {
  runVerified([] {
    GC();
    uint64_t base = liveObjects();
    {
      auto m = make_map<String, Ptr<Obj>>();
      for (int64_t i = 0; i < 3000; i++) (*m)[std::to_string(i)] = New<Obj>(i).get();
      auto n = make_map<int64_t, int64_t>();
      for (int64_t i = 0; i < 3000; i++) (*n)[i] = i;
      { MapIter<int64_t, int64_t> it(*n); }
      EXPECT_GT(liveObjects(), base + 6000);
    }
    GC();
    GC();
    EXPECT_EQ(liveObjects(), base);
    EXPECT_EQ(gFreed.load(), 3000);
  });
}

INSTANTIATE_TEST_SUITE_P(Configs, MapGc, ::testing::ValuesIn(kConfigs), ConfigName());

}  // namespace
}  // namespace gort::testing
