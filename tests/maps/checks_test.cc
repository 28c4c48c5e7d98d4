// The map's own checks, each provoked directly: a hash that panics leaves
// the map untouched (M31: the key is hashed before hashWriting is set); the
// exit check of a write catches another writer's XOR (M39, M46); a corrupt
// tophash is Go's "bad map state" throw (M50); and flags stay clean across
// panics raised outside the write.

#include <cstdint>
#include <string>

#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

// A key whose hash panics for one value, as an unhashable interface key
// does in Go.
struct Touchy {
  int64_t v = 0;
  bool operator==(const Touchy&) const = default;
  uint64_t hash(uint64_t seed) const {
    if (v == 13) panic("unlucky key");
    return hashOf(v, seed);
  }
};


TEST(MapChecks, PanickingHashLeavesTheMapUntouched) {
  mapRun([] {
    auto m = make_map<Touchy, int64_t>();
    for (int64_t i = 0; i < 10; i++) (*m)[Touchy{i}] = i;
    EXPECT_EQ(recoverMessage([&] { (*m)[Touchy{13}] = 1; }), "unlucky key");
    EXPECT_EQ(recoverMessage([&] { m->del(Touchy{13}); }), "unlucky key");
    EXPECT_EQ(recoverMessage([&] { (void)m->get(Touchy{13}); }), "unlucky key");
    EXPECT_EQ(H(*m)->getFlags() & maps::hashWriting, 0) << "the panic came before the flag";
    EXPECT_EQ(m->len(), 10);
    (*m)[Touchy{20}] = 20;  // and the map still takes writes
    EXPECT_EQ(m->get(Touchy{20}), 20);
    EXPECT_TRUE(mapConsistent(*m));
  });
}

// A second writer's XOR clears hashWriting under the first: the first one's
// exit check dies with the same message as the entry check.
TEST(MapChecks, ExitCheckCatchesAnotherWritersXor) {
  Outcome o = run(det1(), [] {
    auto m = make_map<int64_t, int64_t>();
    (*m)[1] = 1;
    maps::hmap* h = H(*m);
    maps::beginWrite(h);                              // writer A
    h->setFlags(h->getFlags() ^ maps::hashWriting);  // writer B's flip
    maps::endWrite(h);                                // A finishes
  });
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.failure.kind, FailureKind::Fatal);
  EXPECT_EQ(o.failure.message, "concurrent map writes");
}

TEST(MapChecks, EntryChecksOfEveryOperation) {
  struct Case {
    const char* what;
    std::function<void(Map<int64_t, int64_t>&)> op;
    const char* msg;
  };
  const Case cases[] = {
      {"assign", [](Map<int64_t, int64_t>& m) { m[2] = 2; }, "concurrent map writes"},
      {"delete", [](Map<int64_t, int64_t>& m) { m.del(1); }, "concurrent map writes"},
      {"clear", [](Map<int64_t, int64_t>& m) { m.clear(); }, "concurrent map writes"},
      {"lookup", [](Map<int64_t, int64_t>& m) { (void)m.get(1); }, "concurrent map read and map write"},
      {"lookup2", [](Map<int64_t, int64_t>& m) { (void)m.lookup(1); }, "concurrent map read and map write"},
      {"range", [](Map<int64_t, int64_t>& m) { for (auto [k, v] : m) (void)k; }, "concurrent map iteration and map write"},
  };
  for (const Case& c : cases) {
    Outcome o = run(det1(), [&c] {
      auto m = make_map<int64_t, int64_t>();
      (*m)[1] = 1;
      H(*m)->setFlags(maps::hashWriting);  // a writer is in the middle of a write
      c.op(*m);
    });
    EXPECT_EQ(o.failure.kind, FailureKind::Fatal) << c.what;
    EXPECT_EQ(o.failure.message, c.msg) << c.what;
    EXPECT_EQ(o.failure.report.rfind(std::string("fatal error: ") + c.msg + "\n", 0), 0u) << o.failure.report;
  }
  // len() only reads count, as Go's len does: no check.
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    (*m)[1] = 1;
    H(*m)->setFlags(maps::hashWriting);
    EXPECT_EQ(m->len(), 1);
    H(*m)->setFlags(0);
  });
}

// M50: a slot mark below minTopHash in a bucket being evacuated.
TEST(MapChecks, BadMapState) {
  Outcome o = run(det1(), [] {
    auto m = make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < 60; i++) (*m)[i] = i;
    while (H(*m)->growing()) (*m)[0] = 0;
    while (!maps::overLoadFactor(m->len() + 1, H(*m)->B)) (*m)[m->len()] = 0;
    // Corrupt slot 1 of every bucket, then grow: the first evacuation throws.
    for (uintptr_t x = 0; x < (uintptr_t{1} << H(*m)->B); x++) {
      char* b = H(*m)->buckets.get() + x * maps::Layout<int64_t, int64_t>::size;
      if (static_cast<uint8_t>(b[1]) >= maps::minTopHash) b[1] = maps::evacuatedY;
    }
    (*m)[1000000] = 1;
  });
  EXPECT_EQ(o.failure.kind, FailureKind::Fatal);
  EXPECT_EQ(o.failure.message, "bad map state");
}

}  // namespace
}  // namespace gort::testing
