// Helpers for tests that run code under gort::run.
//
// Every run is deterministic by default with an explicit seed, and every
// failing assertion inside one reports the seed, so
//   GORT_SEED=<n> ./build/tests/sched_test --gtest_filter=...
// replays it. (Parallel runs print their seed too, but cannot be replayed.)
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "gort/gort.h"

namespace gort::testing {

// One scheduler configuration a test runs under.
struct Config {
  Mode mode = Mode::Deterministic;
  int procs = 1;
  uint64_t seed = 1;

  std::string name() const;
};

// How gtest prints a Config (in --gtest_list_tests, hence in CTest's
// listing): its name, not its bytes.
inline void PrintTo(const Config& c, std::ostream* os) { *os << c.name(); }

// What a run ended with.
struct Outcome {
  int status = 0;
  Failure failure;
};

// Runs body as gort's main goroutine with failures captured. A GORT_SEED in
// the environment overrides cfg.seed (to replay a failure).
Outcome run(const Config& cfg, const std::function<void()>& body, Options extra = {});

// The seed for a test run: GORT_SEED if set, else `fallback`.
uint64_t seedOr(uint64_t fallback);

// The configurations most suites run under: deterministic with 1 and 4
// virtual Ps, parallel with 2 threads.
std::vector<Config> standardConfigs();
// Deterministic configurations over many seeds.
std::vector<Config> seedSweep(int procs, int nseeds, uint64_t firstSeed = 1);

// gtest parameter naming.
struct ConfigName {
  std::string operator()(const ::testing::TestParamInfo<Config>& info) const { return info.param.name(); }
};

}  // namespace gort::testing

// Fails the test with the run's report and seed when the run failed.
#define GORT_EXPECT_OK(outcome, cfg)                                                          \
  EXPECT_EQ((outcome).status, 0) << "run failed under " << (cfg).name()                      \
                                 << " (replay: GORT_SEED=" << (cfg).seed << ")\n"          \
                                 << (outcome).failure.report
