// Shared pieces of the map suites (tests/maps/ only): the parameterised
// fixture, runners with GODEBUG settings, and small helpers that read a
// map's internals.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gc/testing.h"
#include "gort/gort.h"
#include "gort/map.h"
#include "gort/map_debug.h"
#include "tests/support/gort_test.h"

namespace gort::testing {

#if defined(GORT_ASAN) || defined(GORT_TSAN)
inline constexpr bool kMapSanitized = true;
#else
inline constexpr bool kMapSanitized = false;
#endif

// n in Release, n/div under a sanitizer (at least 1).
constexpr int64_t mscaled(int64_t n, int64_t div = 10) { return kMapSanitized ? (n / div > 0 ? n / div : 1) : n; }

inline Options godebug(const std::string& s) {
  Options o;
  o.godebug = s;
  return o;
}

inline Config det1(uint64_t seed = 1) { return Config{Mode::Deterministic, 1, seed}; }

// Runs body under cfg (deterministic, one P, seed 1 by default) and expects
// success; the failure report and the replay seed are printed otherwise.
inline void mapRun(const std::function<void()>& body, Config cfg = det1(), Options extra = {}) {
  Outcome o = run(cfg, body, std::move(extra));
  GORT_EXPECT_OK(o, cfg);
}

// The fixture for suites that run under every standard configuration
// (DetP1, DetP4, ParallelP2: the TSan job runs *Parallel*).
class MapConfigTest : public ::testing::TestWithParam<Config> {
 protected:
  const Config& cfg() const { return GetParam(); }
  bool det() const { return GetParam().mode == Mode::Deterministic; }
  void runOk(const std::function<void()>& body, Options extra = {}) { mapRun(body, GetParam(), std::move(extra)); }
  // With the heap verified at every cycle.
  void runVerified(const std::function<void()>& body, const std::string& gd = "gcverify=1") {
    runOk(body, godebug(gd));
  }
};

// The hmap behind a map.
template <class K, class V>
maps::hmap* H(const Map<K, V>& m) {
  return m.hmapPtr();
}

// Fails with checkMap's and tombstoneCheck's complaint, if any.
template <class K, class V>
::testing::AssertionResult mapConsistent(const Map<K, V>& m) {
  std::string e = debug::checkMap(m);
  if (e.empty()) e = debug::tombstoneCheck(m);
  if (e.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << e;
}

inline uint64_t liveObjects() { return gc::testing::liveObjects(); }

// Runs f inside a function with a deferred recover; returns the recovered
// panic's message ("" when f did not panic).
inline std::string recoverMessage(const std::function<void()>& f) {
  std::string msg;
  func([&](Defer& defer) {
    defer([&] {
      if (auto p = recover()) msg = p->message();
    });
    f();
  });
  return msg;
}

}  // namespace gort::testing
