// Item sizes (M3, M23, M28): keys and elems over 128 bytes stored
// indirectly, huge zero values, zero-size keys and elems, and the
// single-bucket string lookups. Ports of map_test.go TestBigItems,
// TestMapHugeZero, TestEmptyKeyAndValue, TestSingleBucketMapStringKeys_*,
// TestMapLargeKeyNoPointer, TestMapLargeValNoPointer.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

struct Empty {
  bool operator==(const Empty&) const = default;
  uint64_t hash(uint64_t seed) const { return seed; }  // Go's memhash0
};

char key37Name(int i, char* buf) {
  std::snprintf(buf, 16, "string%02d", i);
  return 0;
}

// TestBigItems: [256]string keys and elems (4 KiB each, indirect).
TEST(MapItems, BigItems) {
  using Big = std::array<String, 256>;
  static_assert(maps::Slot<Big>::indirect);
  mapRun(
      [] {
        Rooted<Big> key;
        for (int i = 0; i < 256; i++) (*key)[i] = *String::from("foo");
        auto m = make_map<Big, Big>(4);
        char buf[16];
        for (int i = 0; i < 100; i++) {
          key37Name(i, buf);
          (*key)[37] = *String::from(buf);
          m->set(*key, *key);
        }
        GC();
        std::vector<std::string> keys, values;
        for (auto [k, v] : *m) {
          keys.push_back(k[37].str());
          values.push_back(v[37].str());
          EXPECT_EQ(k[0].view(), "foo");
          EXPECT_EQ(v[255].view(), "foo");
        }
        std::sort(keys.begin(), keys.end());
        std::sort(values.begin(), values.end());
        ASSERT_EQ(keys.size(), 100u);
        for (int i = 0; i < 100; i++) {
          key37Name(i, buf);
          EXPECT_EQ(keys[i], buf) << "missing key";
          EXPECT_EQ(values[i], buf) << "missing value";
        }
        (*key)[37] = *String::from("string42");
        Rooted<Big> v = m->get(*key);
        EXPECT_EQ((*v)[37].view(), "string42");
        m->del(*key);
        EXPECT_EQ(m->len(), 99);
        EXPECT_TRUE(mapConsistent(*m));
      },
      det1(), godebug("gcverify=1"));
}

// TestMapHugeZero: a 4000-byte elem's zero value.
TEST(MapItems, HugeZero) {
  using T = std::array<uint8_t, 4000>;
  mapRun([] {
    auto m = make_map<int64_t, T>();
    T x = m->get(0);
    EXPECT_EQ(x, T{}) << "map value not zero";
    auto [y, ok] = m->lookup(0);
    EXPECT_FALSE(ok) << "map value should be missing";
    EXPECT_EQ(y, T{});
    T big{};
    big[3999] = 9;
    (*m)[1] = big;
    EXPECT_EQ(m->get(1)[3999], 9);
    EXPECT_EQ(m->get(2), T{});
  });
}

// TestEmptyKeyAndValue
TEST(MapItems, EmptyKeyAndValue) {
  mapRun([] {
    auto a = make_map<int64_t, Empty>(4);
    auto b = make_map<Empty, int64_t>(4);
    auto c = make_map<Empty, Empty>(4);
    (*a)[0] = Empty{};
    (*b)[Empty{}] = 0;
    (*b)[Empty{}] = 1;
    (*c)[Empty{}] = Empty{};
    EXPECT_EQ(a->len(), 1) << "empty value insert problem";
    EXPECT_EQ(b->get(Empty{}), 1) << "empty key returned wrong value";
    EXPECT_EQ(b->len(), 1);
    EXPECT_EQ(c->len(), 1);
    for (int64_t i = 0; i < 100; i++) (*a)[i] = Empty{};
    EXPECT_EQ(a->len(), 100);
    int n = 0;
    for (auto [k, v] : *a) n += k >= 0;
    EXPECT_EQ(n, 100);
    c->del(Empty{});
    EXPECT_EQ(c->len(), 0);
    EXPECT_EQ((debug::inspect(*c).bucketSize), 16u);
  });
}

void expectLookups(const std::vector<std::pair<std::string, std::string>>& kv) {
  auto m = make_map<String, String>();
  for (auto& [k, v] : kv) m->set(k, *String::from(v));
  EXPECT_EQ(debug::inspect(*m).B, 0) << "a single bucket";
  for (auto [k, v] : *m) {
    EXPECT_EQ(m->get(k)->view(), v.view()) << "m[" << k.view() << "]";
    EXPECT_EQ(m->get(k.str())->view(), v.view()) << "by bytes in another buffer";
  }
  for (auto& [k, v] : kv) EXPECT_EQ(m->get(k)->view(), v);
  EXPECT_FALSE(m->contains(std::string(128, 'z')));
  EXPECT_FALSE(m->contains("xxx"));
  // Long keys that share their first and last 4 bytes with a stored one.
  std::string tricky(128, 'x');
  tricky[64] = 'q';
  EXPECT_FALSE(m->contains(tricky));
}

// TestSingleBucketMapStringKeys_DupLen (M28)
TEST(MapItems, SingleBucketMapStringKeysDupLen) {
  mapRun([] {
    expectLookups({{"x", "x1val"},
                   {"xx", "x2val"},
                   {"foo", "fooval"},
                   {"bar", "barval"},
                   {"xxxx", "x4val"},
                   {std::string(128, 'x'), "longval1"},
                   {std::string(128, 'y'), "longval2"}});
  });
}

// TestSingleBucketMapStringKeys_NoDupLen (M28)
TEST(MapItems, SingleBucketMapStringKeysNoDupLen) {
  mapRun([] {
    expectLookups({{"x", "x1val"},
                   {"xx", "x2val"},
                   {"foo", "fooval"},
                   {"xxxx", "x4val"},
                   {"xxxxx", "x5val"},
                   {"xxxxxx", "x6val"},
                   {std::string(128, 'x'), "longval"}});
  });
}

// Two long keys that pass the first/last-4-bytes filter: the lookup falls
// back to hashing.
TEST(MapItems, SingleBucketLongKeysNeedingTheHash) {
  mapRun([] {
    auto m = make_map<String, int64_t>();
    std::string a(64, 'a'), b(64, 'a'), c(64, 'a');
    b[30] = 'b';
    c[31] = 'c';
    (*m)[a] = 1;
    (*m)[b] = 2;
    (*m)[c] = 3;
    EXPECT_EQ(m->get(a), 1);
    EXPECT_EQ(m->get(b), 2);
    EXPECT_EQ(m->get(c), 3);
    std::string d(64, 'a');
    d[40] = 'd';
    EXPECT_EQ(m->get(d), 0);
  });
}

// TestMapLargeKeyNoPointer: [64]int keys (512 bytes, indirect, no pointers).
TEST(MapItems, LargeKeyNoPointer) {
  using T = std::array<int64_t, 64>;
  mapRun(
      [] {
        const int I = 1000;
        auto m = make_map<T, int64_t>();
        for (int i = 0; i < I; i++) {
          T v;
          for (int j = 0; j < 64; j++) v[j] = i + j;
          (*m)[v] = i;
        }
        GC();
        for (int i = 0; i < I; i++) {
          T v;
          for (int j = 0; j < 64; j++) v[j] = i + j;
          EXPECT_EQ(m->get(v), i) << "corrupted map";
        }
        debug::MapInfo info = debug::inspect(*m);
        EXPECT_TRUE(info.indirectKey);
        EXPECT_FALSE(info.noscan) << "indirect slots are pointers";
        EXPECT_EQ(info.indirectBytes, uint64_t(I) * 512);
      },
      det1(), godebug("gcverify=1"));
}

// TestMapLargeValNoPointer
TEST(MapItems, LargeValNoPointer) {
  using T = std::array<int64_t, 64>;
  mapRun(
      [] {
        const int I = 1000;
        auto m = make_map<int64_t, T>();
        for (int i = 0; i < I; i++) {
          T v;
          for (int j = 0; j < 64; j++) v[j] = i + j;
          (*m)[i] = v;
        }
        GC();
        for (int i = 0; i < I; i++) {
          T v1 = m->get(i);
          for (int j = 0; j < 64; j++) ASSERT_EQ(v1[j], i + j) << "corrupted map";
        }
        EXPECT_TRUE(debug::inspect(*m).indirectElem);
      },
      det1(), godebug("gcverify=1"));
}

// Exactly 128 bytes stays inline (M3).
TEST(MapItems, Exactly128BytesInline) {
  using T = std::array<int64_t, 16>;
  mapRun([] {
    auto m = make_map<T, T>();
    T k{};
    for (int i = 0; i < 100; i++) {
      k[0] = i;
      (*m)[k] = k;
    }
    debug::MapInfo info = debug::inspect(*m);
    EXPECT_FALSE(info.indirectKey);
    EXPECT_FALSE(info.indirectElem);
    EXPECT_EQ(info.bucketSize, 8u + 8 * 128 + 8 * 128 + 8);
    k[0] = 42;
    EXPECT_EQ(m->get(k)[0], 42);
  });
}

}  // namespace
}  // namespace gort::testing
