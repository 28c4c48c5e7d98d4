// Shared bits of the sched_test suites (tests/sched/ only).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/gort_test.h"

namespace gort::testing {

// The parameterised fixture most suites derive from: one test per standard
// configuration (DetP1, DetP4, ParallelP2), so parallel-mode cases carry
// "Parallel" in their names and the TSan job (--gtest_filter=*Parallel*)
// picks them up.
class ConfigTest : public ::testing::TestWithParam<Config> {
 protected:
  const Config& cfg() const { return GetParam(); }
  bool det() const { return GetParam().mode == Mode::Deterministic; }
  bool parallel() const { return GetParam().mode == Mode::Parallel; }
  // Runs body under this test's configuration and expects it to succeed.
  void runOk(const std::function<void()>& body) {
    Outcome o = run(GetParam(), body);
    GORT_EXPECT_OK(o, GetParam());
  }
};

// "GORT_SEED=<n>" for the run the helpers would make with cfg (GORT_SEED in
// the environment wins, as in run()).
inline std::string replay(const Config& cfg) { return "GORT_SEED=" + std::to_string(seedOr(cfg.seed)); }

// Deterministic configurations for the given numbers of Ps and seeds.
inline std::vector<Config> detConfigs(std::initializer_list<int> procs, std::initializer_list<uint64_t> seeds) {
  std::vector<Config> out;
  for (int p : procs) {
    for (uint64_t s : seeds) out.push_back({Mode::Deterministic, p, s});
  }
  return out;
}

// Whether `s` starts with `prefix`.
inline bool startsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Number of non-overlapping occurrences of `needle` in `s`.
inline int countOf(const std::string& s, const std::string& needle) {
  int n = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + needle.size())) n++;
  return n;
}

}  // namespace gort::testing
