// Iteration (M55-M62): random start bucket and offset, the iterator flags,
// and the range guarantees across growths, deletes and collections. Ports
// of map_test.go TestMapIterOrder, TestMapSparseIterOrder,
// TestIterGrowAndDelete, TestIterGrowWithGC; conformance iter_order.json.

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

template <class K, class V>
std::vector<K> keysInOrder(const Map<K, V>& m) {
  std::vector<K> out;
  for (auto [k, v] : m) out.push_back(k);
  return out;
}

// TestMapIterOrder: even one bucket iterates in varying orders (M57).
TEST(MapIter, IterOrder) {
  mapRun([] {
    for (int n : {3, 7, 9, 15}) {
      for (int i = 0; i < mscaled(200); i++) {
        auto m = make_map<int64_t, bool>();
        for (int64_t j = 0; j < n; j++) (*m)[j] = true;
        std::vector<int64_t> first = keysInOrder(*m);
        bool ok = false;
        for (int t = 0; t < 100 && !ok; t++) ok = keysInOrder(*m) != first;
        ASSERT_TRUE(ok) << "map with n=" << n << " elements had consistent iteration order";
      }
    }
  });
}

// TestMapSparseIterOrder (Go issue 8410): after 1000 inserts and 980
// deletes, the order still varies.
TEST(MapIter, SparseIterOrder) {
  mapRun([] {
    for (int round = 0; round < 10; round++) {
      auto m = make_map<int64_t, bool>();
      for (int64_t i = 0; i < 1000; i++) (*m)[i] = true;
      for (int64_t i = 20; i < 1000; i++) m->del(i);
      std::vector<int64_t> first = keysInOrder(*m);
      ASSERT_EQ(first.size(), 20u);
      bool changed = false;
      for (int n = 0; n < 800 && !changed; n++) changed = keysInOrder(*m) != first;
      ASSERT_TRUE(changed) << "constant iteration order on round " << round;
    }
  });
}

// iter_order.json: which of 8 keys in one bucket comes first over 10000
// fresh loops. Go: every key, close to uniform (chi-square 11.5, 7 dof).
TEST(MapIter, FirstKeyIsUniformInOneBucket) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 8; i++) (*m)[i] = i;
    ASSERT_EQ(H(*m)->B, 0);
    int64_t counts[8] = {};
    const int loops = 10000;
    for (int i = 0; i < loops; i++) {
      for (auto [k, v] : *m) {
        counts[k]++;
        break;
      }
    }
    double chi = 0;
    for (int64_t c : counts) {
      EXPECT_GT(c, 0);
      chi += (c - loops / 8.0) * (c - loops / 8.0) / (loops / 8.0);
    }
    EXPECT_LT(chi, 24.3) << "p < 0.001 for 7 degrees of freedom";
  });
}

// M57: the start bucket is random too.
TEST(MapIter, StartBucketIsRandom) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>(100);  // B = 4
    for (int64_t i = 0; i < 100; i++) (*m)[i] = i;
    std::set<uint64_t> starts;
    for (int i = 0; i < 200; i++) {
      for (auto [k, v] : *m) {
        starts.insert(maps::KeyTraits<int64_t>::hash(k, H(*m)->hash0) & 15);  // the first key's bucket
        break;
      }
    }
    EXPECT_GT(starts.size(), 10u);
  });
}

// M55, M58, M62: an empty map's range touches nothing; otherwise the
// iterator bits are set (and stay set after the loop); the end is reached
// after one full pass.
TEST(MapIter, Flags) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (auto [k, v] : *m) ADD_FAILURE() << k << v;
    EXPECT_EQ(H(*m)->getFlags(), 0) << "M55";
    (*m)[1] = 1;
    m->del(1);
    for (auto [k, v] : *m) ADD_FAILURE() << k << v;
    EXPECT_EQ(H(*m)->getFlags(), 0);
    for (int64_t i = 0; i < 50; i++) (*m)[i] = i;
    MapIter<int64_t, int64_t> it(*m);
    EXPECT_EQ(H(*m)->getFlags() & (maps::iterator | maps::oldIterator), maps::iterator | maps::oldIterator);
    int n = 0;
    for (; !it.done(); it.next()) {
      EXPECT_EQ(it.key(), it.elem());
      n++;
    }
    EXPECT_EQ(n, 50);
    EXPECT_TRUE(it.done());
    EXPECT_EQ(H(*m)->getFlags() & (maps::iterator | maps::oldIterator), maps::iterator | maps::oldIterator)
        << "never cleared";
  });
}

// TestIterGrowAndDelete
TEST(MapIter, IterGrowAndDelete) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>(4);
    for (int64_t i = 0; i < 100; i++) (*m)[i] = i;
    bool growflag = true;
    for (auto [k, v] : *m) {
      if (growflag) {
        for (int64_t i = 100; i < 1000; i++) (*m)[i] = i;
        for (int64_t i = 1; i < 1000; i += 2) m->del(i);
        growflag = false;
      } else {
        EXPECT_EQ(k & 1, 0) << "odd value returned";
      }
    }
  });
}

// TestIterGrowWithGC: old bucket arrays are not collected while an
// iterator still uses them; every key present at the start is seen once.
TEST(MapIter, IterGrowWithGC) {
  for (const char* gd : {"", "gcverify=1"}) {
    mapRun(
        [] {
          auto m = make_map<int64_t, int64_t>(4);
          for (int64_t i = 0; i < 8; i++) (*m)[i] = i;
          for (int64_t i = 8; i < 16; i++) (*m)[i] += i;
          bool growflag = true;
          int64_t bitmask = 0;
          for (auto [k, v] : *m) {
            if (k < 16) {
              EXPECT_EQ(bitmask & (int64_t{1} << k), 0) << "key " << k << " twice";
              bitmask |= int64_t{1} << k;
            }
            if (growflag) {
              for (int64_t i = 100; i < 1000; i++) (*m)[i] = i;
              GC();
              growflag = false;
            }
          }
          EXPECT_EQ(bitmask, (int64_t{1} << 16) - 1) << "missing key";
        },
        det1(), godebug(gd));
  }
}

// M61 as a property: under random inserts (with growths) and deletes during
// the loop, every key present at the start and not deleted before it is
// reached comes back exactly once, a deleted one never, none twice.
TEST(MapIter, RangeGuaranteesUnderGrowthAndDeletes) {
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(mscaled(40, 4)); seed++) {
    mapRun(
        [seed] {
          uint64_t x = seed * 0x9e3779b97f4a7c15ull;
          auto rnd = [&] {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            return x;
          };
          auto m = make_map<int64_t, int64_t>();
          const int64_t n = 50 + static_cast<int64_t>(rnd() % 3000);
          for (int64_t i = 0; i < n; i++) (*m)[i] = i;
          std::set<int64_t> atStart, deleted, returned;
          for (int64_t i = 0; i < n; i++) atStart.insert(i);
          int64_t next = 1000000;
          for (auto [k, v] : *m) {
            EXPECT_TRUE(returned.insert(k).second) << "key " << k << " returned twice";
            EXPECT_EQ(deleted.count(k), 0u) << "deleted key " << k << " returned";
            EXPECT_EQ(v, k < 1000000 ? k : -k);
            int ops = static_cast<int>(rnd() % 8);
            for (int o = 0; o < ops; o++) {
              if (rnd() % 3 == 0) {
                int64_t d = static_cast<int64_t>(rnd() % static_cast<uint64_t>(n));
                m->del(d);
                if (!returned.count(d)) deleted.insert(d);
              } else {
                (*m)[next] = -next;
                next++;
              }
            }
          }
          for (int64_t k : atStart) {
            if (!deleted.count(k)) {
              EXPECT_EQ(returned.count(k), 1u) << "key " << k << " missed";
            }
          }
          EXPECT_TRUE(mapConsistent(*m));
        },
        det1(seed));
  }
}

// An iterator that outlives two growths (it.B != h.B) still sees every
// original key once: entries found evacuated are looked up again.
TEST(MapIter, IteratorAcrossTwoGrowths) {
  mapRun(
      [] {
        auto m = make_map<String, int64_t>();
        for (int64_t i = 0; i < 100; i++) (*m)[std::to_string(i)] = i;
        std::set<int64_t> seen;
        int steps = 0;
        for (auto [k, v] : *m) {
          EXPECT_TRUE(seen.insert(std::stoll(k.str())).second);
          if (steps++ == 5) {
            for (int64_t i = 1000; i < 1500; i++) (*m)[std::to_string(i)] = i;
            GC();
            EXPECT_GE(H(*m)->B, 6);
          }
          if (std::stoll(k.str()) < 100) {
            EXPECT_EQ(v, std::stoll(k.str()));
          }
        }
        for (int64_t i = 0; i < 100; i++) EXPECT_EQ(seen.count(i), 1u) << i;
      },
      det1(), godebug("gcverify=1"));
}

// Updates made during a range are what the loop sees for entries it
// reaches later through the live table.
TEST(MapIter, UpdatesDuringRangeAfterGrowth) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 52; i++) (*m)[i] = i;  // B = 3, full
    bool first = true;
    int count = 0;
    for (auto [k, v] : *m) {
      if (first) {
        first = false;
        for (int64_t i = 100; i < 200; i++) (*m)[i] = i;  // grow, twice
        for (int64_t i = 0; i < 52; i++) (*m)[i] = i + 1000;
        while (H(*m)->growing()) (*m)[100] = 100;
        continue;
      }
      if (k < 52) {
        count++;
        EXPECT_EQ(v, k + 1000) << "an entry reached after the update shows the update";
      }
    }
    EXPECT_EQ(count, 51);
  });
}

}  // namespace
}  // namespace gort::testing
