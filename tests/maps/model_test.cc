// Maps against a reference model: random sequences of assignments,
// updates, deletes, lookups, clears and iterations, over several key and
// elem types, checked step by step against std::unordered_map, with the
// map's structure checked as it goes (counts, evacuation marks, tombstones).
// Run under many seeds, under the collector's verify mode and under
// gcstress (a cycle every few allocations), deterministic and parallel.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

struct Rng {
  uint64_t x;
  uint64_t next() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

// One model run: keyspace decides the churn; ops the length.
template <class K, class V, class MakeKey, class MakeVal, class KeyOf, class ValOf>
void modelRun(uint64_t seed, int64_t ops, int64_t keyspace, MakeKey makeKey, MakeVal makeVal, KeyOf keyOf,
              ValOf valOf) {
  Rng r{seed * 0x2545f4914f6cdd1dull + 1};
  auto m = make_map<K, V>(static_cast<int64_t>(r.below(3)) == 0 ? static_cast<int64_t>(r.below(2000)) : 0);
  std::unordered_map<int64_t, int64_t> ref;
  for (int64_t op = 0; op < ops; op++) {
    int64_t k = static_cast<int64_t>(r.below(static_cast<uint64_t>(keyspace)));
    uint64_t what = r.below(100);
    if (what < 45) {
      int64_t v = static_cast<int64_t>(r.next() >> 1);
      m->set(makeKey(k), makeVal(v));
      ref[k] = v;
    } else if (what < 70) {
      m->del(makeKey(k));
      ref.erase(k);
    } else if (what < 95) {
      auto [got, ok] = m->lookup(makeKey(k));
      auto it = ref.find(k);
      ASSERT_EQ(ok, it != ref.end()) << "key " << k << " op " << op;
      if (ok) {
        ASSERT_EQ(valOf(got), it->second) << "key " << k << " op " << op;
      }
    } else if (what < 99) {
      // A full range, with a write now and then in the middle.
      std::unordered_set<int64_t> seen;
      std::unordered_set<int64_t> gone;
      int64_t steps = 0;
      for (auto [key, val] : *m) {
        int64_t kk = keyOf(key);
        ASSERT_TRUE(seen.insert(kk).second) << "key " << kk << " twice";
        ASSERT_EQ(gone.count(kk), 0u) << "deleted key " << kk << " returned";
        if (++steps % 50 == 0) {
          int64_t d = static_cast<int64_t>(r.below(static_cast<uint64_t>(keyspace)));
          m->del(makeKey(d));
          if (ref.erase(d) && !seen.count(d)) gone.insert(d);
          int64_t a = keyspace + static_cast<int64_t>(r.below(1000));
          m->set(makeKey(a), makeVal(a));
          ref[a] = a;
        }
      }
    } else {
      m->clear();
      ref.clear();
    }
    ASSERT_EQ(m->len(), static_cast<int64_t>(ref.size()));
    if (op % 97 == 0) {
      ASSERT_TRUE(mapConsistent(*m)) << "op " << op;
    }
  }
  ASSERT_TRUE(mapConsistent(*m));
  for (auto& [rk, rv] : ref) ASSERT_EQ(valOf(m->get(makeKey(rk))), rv);
  int64_t n = 0;
  for (auto [key, val] : *m) {
    ASSERT_EQ(valOf(val), ref.at(keyOf(key)));
    n++;
  }
  ASSERT_EQ(n, static_cast<int64_t>(ref.size()));
}

void intModel(uint64_t seed, int64_t ops, int64_t keyspace) {
  modelRun<int64_t, int64_t>(
      seed, ops, keyspace, [](int64_t k) { return k; }, [](int64_t v) { return v; }, [](int64_t k) { return k; },
      [](int64_t v) { return v; });
}

void stringModel(uint64_t seed, int64_t ops, int64_t keyspace) {
  auto makeKey = [](int64_t k) { return std::to_string(k) + "-key"; };
  auto keyOf = [](const String& s) { return std::stoll(s.str()); };
  auto makeVal = [](int64_t v) { return String::from(std::to_string(v)); };
  auto valOf = [](const String& s) { return std::stoll(s.str()); };
  modelRun<String, String>(seed, ops, keyspace, makeKey, makeVal, keyOf, valOf);
}

struct Obj {
  int64_t v = 0;
  explicit Obj(int64_t x) : v(x) {}
};
void ptrModel(uint64_t seed, int64_t ops, int64_t keyspace) {
  auto makeKey = [](int64_t k) { return static_cast<int32_t>(k); };
  auto keyOf = [](int32_t k) { return static_cast<int64_t>(k); };
  auto makeVal = [](int64_t v) { return New<Obj>(v); };
  auto valOf = [](const auto& p) { return p->v; };
  modelRun<int32_t, Ptr<Obj>>(seed, ops, keyspace, makeKey, makeVal, keyOf, valOf);
}

// Indirect (over 128 bytes) keys with pointers, elems without.
using BigKey = std::array<String, 10>;
using BigVal = std::array<int64_t, 20>;
void bigModel(uint64_t seed, int64_t ops, int64_t keyspace) {
  auto makeKey = [](int64_t k) {
    Rooted<BigKey> key;
    (*key)[k % 10] = *String::from(std::to_string(k));
    return key;
  };
  auto keyOf = [](const BigKey& key) {
    for (const String& s : key) {
      if (s.len() > 0) return static_cast<int64_t>(std::stoll(s.str()));
    }
    return int64_t{-1};
  };
  auto makeVal = [](int64_t v) {
    BigVal b{};
    b[19] = v;
    return b;
  };
  auto valOf = [](const BigVal& b) { return b[19]; };
  modelRun<BigKey, BigVal>(seed, ops, keyspace, makeKey, makeVal, keyOf, valOf);
}

class MapModel : public MapConfigTest {};

TEST_P(MapModel, IntKeys) {
  for (uint64_t s = 1; s <= 6; s++) {
    runOk([s] { intModel(s, mscaled(30000), s % 2 ? 300 : 20000); });
  }
}

TEST_P(MapModel, StringKeysVerified) {
  for (uint64_t s = 1; s <= 3; s++) {
    runVerified([s] { stringModel(s, mscaled(8000), s % 2 ? 200 : 5000); });
  }
}

TEST_P(MapModel, PtrElemsUnderGcStress) {
  for (uint64_t s = 1; s <= 3; s++) {
    runVerified([s] { ptrModel(s, mscaled(6000), s % 2 ? 300 : 4000); }, "gcverify=1,gcstress=64");
  }
}

TEST_P(MapModel, IndirectItemsUnderGcStress) {
  for (uint64_t s = 1; s <= 2; s++) {
    runVerified([s] { bigModel(s, mscaled(3000), s % 2 ? 100 : 2000); }, "gcstress=32");
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, MapModel, ::testing::ValuesIn(standardConfigs()), ConfigName());

// Many seeds, deterministic: each seed is a different schedule and set of
// map seeds.
TEST(MapModelSeeds, IntKeysManySeeds) {
  for (const Config& c : seedSweep(4, mscaled(30, 3), 100)) {
    mapRun([&c] { intModel(c.seed, mscaled(4000), c.seed % 3 ? 500 : 5000); }, c, godebug("gcstress=200"));
  }
}

}  // namespace
}  // namespace gort::testing
