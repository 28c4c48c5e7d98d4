// Introspection (gort/map_debug.h): inspect() fields, bytes as Go accounts
// them, the JSON form, and the bucket dump.

#include <cstdint>
#include <string>

#include "gc/sizeclasses.h"
#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

TEST(MapDebug, InspectNilAndEmpty) {
  mapRun([] {
    Local<Map<int64_t, int64_t>> nil;
    debug::MapInfo n = debug::inspect(*nil);
    EXPECT_TRUE(n.nil);
    EXPECT_EQ(n.totalBytes, 0u);
    EXPECT_EQ(n.type, "map[long]long");
    auto m = make_map<String, int64_t>();
    debug::MapInfo e = debug::inspect(*m);
    EXPECT_FALSE(e.nil);
    EXPECT_EQ(e.count, 0);
    EXPECT_EQ(e.B, 0);
    EXPECT_EQ(e.buckets, 0u);
    EXPECT_EQ(e.bucketSize, 208u);
    EXPECT_EQ(e.keySize, 16u);
    EXPECT_EQ(e.elemSize, 8u);
    EXPECT_FALSE(e.noscan);
    EXPECT_EQ(e.hmapBytes, 48u);
    EXPECT_EQ(e.totalBytes, 48u) << "make(map[string]int): 48 bytes, one malloc (hint_to_B.json)";
    EXPECT_EQ(e.hash0, H(*m)->hash0);
    (*m)["a"] = 1;
    debug::MapInfo one = debug::inspect(*m);
    EXPECT_EQ(one.bucketsLen, 1u);
    EXPECT_EQ(one.bucketsBytes, 208u);
    EXPECT_EQ(one.fill[1], 1u);
    EXPECT_DOUBLE_EQ(one.loadFactor, 1.0);
  });
}

TEST(MapDebug, InspectDuringGrowth) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    int64_t i = 0;
    while (!(H(*m)->growing() && H(*m)->B == 9)) {
      (*m)[i] = i;
      i++;
    }
    debug::MapInfo g = debug::inspect(*m);
    EXPECT_TRUE(g.growing);
    EXPECT_FALSE(g.sameSizeGrow);
    EXPECT_EQ(g.B, 9);
    EXPECT_EQ(g.count, 1665);
    EXPECT_NE(g.oldbuckets, 0u);
    EXPECT_EQ(g.oldbucketsLen, maps::bucketArrayLen(maps::mapTypeOf<int64_t, int64_t>(), 8));
    EXPECT_EQ(g.oldbucketsBytes, gc::roundupsize(g.oldbucketsLen * 144));
    EXPECT_LE(g.nevacuate, 2u);
    EXPECT_GT(g.oldEntries, 1600u) << "almost everything is still in the old array";
    uint64_t inNew = 0;
    for (int f = 0; f <= 8; f++) inNew += g.fill[f] * static_cast<uint64_t>(f);
    EXPECT_EQ(inNew + g.oldEntries, static_cast<uint64_t>(g.count));
    EXPECT_EQ(g.totalBytes, g.hmapBytes + g.bucketsBytes + g.oldbucketsBytes + g.overflowBytes + g.extraBytes);
    std::string j = g.toJSON();
    EXPECT_NE(j.find("\"B\":9"), std::string::npos) << j;
    EXPECT_NE(j.find("\"growing\":true"), std::string::npos);
    EXPECT_NE(j.find("\"count\":1665"), std::string::npos);
    EXPECT_NE(j.find("\"fill\":["), std::string::npos);
    EXPECT_EQ(j.front(), '{');
    EXPECT_EQ(j.back(), '}');
  });
}

// memory.json: Go's HeapAlloc for map[int64]int64 with 1000 entries is
// 41120 bytes (hmap + 40960-byte array + extra and overflow lists); ours
// differs only in how many overflow buckets the keys need.
TEST(MapDebug, BytesAsGoAccountsThem) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 1000; i++) (*m)[i] = i;
    debug::MapInfo info = debug::inspect(*m);
    EXPECT_EQ(info.B, 8);
    EXPECT_EQ(info.bucketsBytes, 40960u);
    EXPECT_EQ(info.bucketsLen, 284u);
    EXPECT_EQ(info.hmapBytes + info.bucketsBytes, 41008u);
    EXPECT_GE(info.totalBytes, 41008u + 24);
    EXPECT_LE(info.totalBytes, 41008u + 24 + 24 + 128);
    // The heap agrees with inspect once garbage (old arrays) is gone.
    GC();
    MemStats a;
    ReadMemStats(&a);
    {
      auto n = make_map<int64_t, int64_t>();
      for (int64_t i = 0; i < 1000; i++) (*n)[i] = i;
      GC();
      MemStats b;
      ReadMemStats(&b);
      EXPECT_EQ(b.HeapAlloc - a.HeapAlloc, debug::inspect(*n).totalBytes);
    }
  });
}

TEST(MapDebug, DumpBuckets) {
  mapRun([] {
    auto m = make_map<String, int64_t>();
    (*m)["one"] = 1;
    (*m)["two"] = 2;
    (*m)["three"] = 3;
    m->del("two");
    std::string d = debug::dumpBuckets(*m);
    EXPECT_NE(d.find("map[gort::String]long count=2 B=0"), std::string::npos) << d;
    EXPECT_NE(d.find("bucket 0 @"), std::string::npos) << d;
    EXPECT_NE(d.find("tophash ["), std::string::npos) << d;
    EXPECT_NE(d.find("\"one\": 1"), std::string::npos) << d;
    EXPECT_NE(d.find("\"three\": 3"), std::string::npos) << d;
    EXPECT_EQ(d.find("\"two\""), std::string::npos) << d;
    EXPECT_NE(d.find("rest"), std::string::npos) << d;
    Local<Map<int64_t, int64_t>> nil;
    EXPECT_EQ(debug::dumpBuckets(*nil), "map[long]long nil\n");
    auto g = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 27; i++) (*g)[i] = i;
    std::string dg = debug::dumpBuckets(*g);
    EXPECT_NE(dg.find("oldbuckets @"), std::string::npos) << dg;
    EXPECT_NE(dg.find("(evacuated)"), std::string::npos) << dg;
  });
}

TEST(MapDebug, ChecksReportCorruption) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 5; i++) (*m)[i] = i;
    EXPECT_EQ(debug::checkMap(*m), "");
    EXPECT_EQ(debug::tombstoneCheck(*m), "");
    char* b = H(*m)->buckets.get();
    uint8_t saved = static_cast<uint8_t>(b[6]);
    b[6] = 0x33;  // an entry after the emptyRest run
    EXPECT_NE(debug::tombstoneCheck(*m), "");
    EXPECT_NE(debug::checkMap(*m), "") << "count no longer matches";
    b[6] = static_cast<char>(saved);
    b[1] = maps::evacuatedX;
    EXPECT_NE(debug::checkMap(*m), "");
    b[1] = static_cast<char>(maps::tophash(maps::KeyTraits<int64_t>::hash(1, H(*m)->hash0)));
    EXPECT_EQ(debug::checkMap(*m), "");
  });
}

}  // namespace
}  // namespace gort::testing
