// Float keys (M35, M40, M51, M60, M67): +0 and -0 are one key whose stored
// value follows the last assignment; NaN never equals anything, hashes
// randomly, and survives growth even in mid-iteration. Ports of
// map_test.go TestNegativeZero, TestMapAssignmentNan,
// TestMapOperatorAssignmentNan, TestGrowWithNaN, TestGrowWithNegativeZero,
// TestMapNanGrowIterator.

#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <set>

#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kNegZero = std::copysign(0.0, -1.0);

struct FloatInt {
  double x = 0;
  int64_t y = 0;
  bool operator==(const FloatInt&) const = default;
  uint64_t hash(uint64_t seed) const { return hashFields(seed, x, y); }
};

// TestNegativeZero
TEST(MapFloat, NegativeZero) {
  mapRun([] {
    auto m = make_map<double, bool>();
    (*m)[+0.0] = true;
    (*m)[kNegZero] = true;  // overwrites the +0 entry, key included
    EXPECT_EQ(m->len(), 1);
    for (auto [k, v] : *m) EXPECT_LT(std::copysign(1.0, k), 0) << "wrong sign";

    m = make_map<double, bool>();
    (*m)[kNegZero] = true;
    (*m)[+0.0] = true;
    EXPECT_EQ(m->len(), 1);
    for (auto [k, v] : *m) EXPECT_GT(std::copysign(1.0, k), 0) << "wrong sign";

    // float32 as well, and ±0 hash alike under any seed.
    auto f = make_map<float, int64_t>();
    (*f)[0.0f] = 1;
    (*f)[-0.0f] += 1;
    EXPECT_EQ(f->len(), 1);
    EXPECT_EQ(f->get(0.0f), 2);
    for (uint64_t seed : {0ull, 1ull, 12345ull}) {
      EXPECT_EQ(f64hash(0.0, seed), f64hash(kNegZero, seed));
      EXPECT_EQ(f32hash(0.0f, seed), f32hash(-0.0f, seed));
    }
  });
}

// The shared check of TestMapAssignmentNan and TestMapOperatorAssignmentNan.
void expectThreeNaNs(const Map<double, int64_t>& m) {
  EXPECT_EQ(m.len(), 3) << "length wrong";
  int64_t s = 0;
  for (auto [k, v] : m) {
    EXPECT_NE(k, k) << "nan disappeared";
    EXPECT_EQ(v & (v - 1), 0) << "value wrong";
    s |= v;
  }
  EXPECT_EQ(s, 7) << "values wrong";
}

// TestMapAssignmentNan
TEST(MapFloat, AssignmentNan) {
  mapRun([] {
    auto m = make_map<double, int64_t>();
    (*m)[kNaN] = 1;
    (*m)[kNaN] = 2;
    (*m)[kNaN] = 4;
    expectThreeNaNs(*m);
    EXPECT_EQ(m->get(kNaN), 0) << "a NaN lookup never finds anything";
    EXPECT_FALSE(m->lookup(kNaN).ok);
    m->del(kNaN);
    EXPECT_EQ(m->len(), 3) << "nor does a NaN delete";
  });
}

// TestMapOperatorAssignmentNan: m[NaN] += v is m[NaN] = m[NaN] + v, which
// adds a fresh entry with 0 + v each time.
TEST(MapFloat, OperatorAssignmentNan) {
  mapRun([] {
    auto m = make_map<double, int64_t>();
    (*m)[kNaN] += 1;
    (*m)[kNaN] += 2;
    (*m)[kNaN] += 4;
    expectThreeNaNs(*m);
  });
}

// M40: NaN hashes differ each time (under one seed).
TEST(MapFloat, NanHashIsRandom) {
  mapRun([] {
    std::set<uint64_t> seen;
    for (int i = 0; i < 100; i++) seen.insert(f64hash(kNaN, 42));
    EXPECT_GT(seen.size(), 90u);
    std::set<uint64_t> seen32;
    for (int i = 0; i < 100; i++) seen32.insert(f32hash(std::numeric_limits<float>::quiet_NaN(), 42));
    EXPECT_GT(seen32.size(), 90u);
    // clear() removes NaN entries too (they cannot be deleted one by one).
    auto m = make_map<double, int64_t>();
    for (int i = 0; i < 100; i++) (*m)[kNaN] = i;
    EXPECT_EQ(m->len(), 100);
    EXPECT_TRUE(mapConsistent(*m));
    m->clear();
    EXPECT_EQ(m->len(), 0);
  });
}

// M67: complex keys hash each half as a float: ±0 parts are one key, a NaN
// part makes a key equal to nothing.
TEST(MapFloat, ComplexKeys) {
  mapRun([] {
    auto m = make_map<std::complex<double>, int64_t>();
    (*m)[{1.0, 2.0}] = 1;
    (*m)[{0.0, 0.0}] = 2;
    (*m)[{kNegZero, kNegZero}] += 10;
    (*m)[{kNaN, 1.0}] = 3;
    (*m)[{kNaN, 1.0}] = 4;
    EXPECT_EQ(m->len(), 4);
    EXPECT_EQ(m->get({1.0, 2.0}), 1);
    EXPECT_EQ(m->get({0.0, 0.0}), 12);
    EXPECT_FALSE(m->contains({kNaN, 1.0}));
    auto f = make_map<std::complex<float>, int64_t>();
    (*f)[{0.0f, 1.0f}] = 5;
    EXPECT_EQ(f->get({-0.0f, 1.0f}), 5);
  });
}

// TestGrowWithNaN
TEST(MapFloat, GrowWithNaN) {
  mapRun([] {
    auto m = make_map<double, int64_t>(4);
    (*m)[kNaN] = 1;
    (*m)[kNaN] = 2;
    (*m)[kNaN] += 4;
    int cnt = 0;
    int64_t s = 0;
    bool growflag = true;
    for (auto [k, v] : *m) {
      if (growflag) {
        // force a resize
        for (int i = 0; i < 50; i++) (*m)[static_cast<double>(i)] = i;
        for (int i = 50; i < 100; i++) (*m)[static_cast<double>(i)] += i;
        growflag = false;
      }
      if (k != k) {
        cnt++;
        s |= v;
      }
    }
    EXPECT_EQ(cnt, 3) << "NaN keys lost during grow";
    EXPECT_EQ(s, 7) << "NaN values lost during grow";
  });
}

// TestGrowWithNegativeZero: the iterator returns the current key (-0) and
// elem of entries updated after a growth began.
TEST(MapFloat, GrowWithNegativeZero) {
  mapRun([] {
    auto m = make_map<FloatInt, int64_t>(4);
    (*m)[FloatInt{0.0, 0}] = 1;
    (*m)[FloatInt{0.0, 1}] += 2;
    (*m)[FloatInt{0.0, 2}] += 4;
    (*m)[FloatInt{0.0, 3}] = 8;
    bool growflag = true;
    int64_t s = 0;
    int cnt = 0, negcnt = 0;
    for (auto [k, v] : *m) {
      if (v == 0) continue;  // entries added to grow the table
      cnt++;
      if (std::copysign(1.0, k.x) < 0) {
        EXPECT_NE(v & 16, 0) << "key/value not updated together 1";
        negcnt++;
        s |= v & 15;
      } else {
        EXPECT_NE(v & 16, 16) << "key/value not updated together 2";
        s |= v;
      }
      if (growflag) {
        for (int64_t i = 0; i < 100; i++) (*m)[FloatInt{3.0, i}] = 0;
        (*m)[FloatInt{kNegZero, 0}] = 1 | 16;
        (*m)[FloatInt{kNegZero, 1}] = 2 | 16;
        (*m)[FloatInt{kNegZero, 2}] = 4 | 16;
        (*m)[FloatInt{kNegZero, 3}] = 8 | 16;
        growflag = false;
      }
    }
    EXPECT_EQ(s, 15) << "entry missing";
    EXPECT_EQ(cnt, 4) << "wrong number of entries returned by iterator";
    EXPECT_EQ(negcnt, 3) << "update to negzero missed by iteration";
  });
}

// TestMapNanGrowIterator: an iteration started in the middle of a growth
// of a map full of NaNs sees every entry exactly once (M51: the tophash low
// bit decides X/Y for them, in evacuate and in the iterator alike).
TEST(MapFloat, NanGrowIterator) {
  for (uint64_t seed = 1; seed <= 20; seed++) {
    mapRun(
        [] {
          auto m = make_map<double, int64_t>();
          const int nBuckets = 16;
          const int nKeys = static_cast<int>(nBuckets * 6.5);
          for (int i = 0; i < nKeys; i++) (*m)[kNaN] = i;
          // Trigger a growth.
          (*m)[1.0] = 1;
          m->del(1.0);
          ASSERT_TRUE(H(*m)->growing());
          std::set<int64_t> found;
          for (auto [k, v] : *m) {
            if (v != -1) {
              EXPECT_TRUE(found.insert(v).second) << "repeat of value " << v;
            }
            if (found.size() == static_cast<size_t>(nKeys / 2)) {
              // Halfway through, finish the growth.
              for (int i = 0; i < nBuckets; i++) m->del(1.0);
            }
          }
          EXPECT_EQ(found.size(), static_cast<size_t>(nKeys)) << "missing value";
          EXPECT_TRUE(mapConsistent(*m));
        },
        det1(seed));
  }
}

}  // namespace
}  // namespace gort::testing
