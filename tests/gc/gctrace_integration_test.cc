// GODEBUG=gctrace=1 in a running program: one line per cycle on stderr, in
// Go 1.19's format (tests/gc/gctrace_regex.h), numbered 1..N, " (forced)"
// on exactly the cycles GC() ran, and figures that agree with MemStats.

// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s <regex>
// under -O1 -fsanitize=address (GCC bug 105562); silenced before any
// standard header, as in gctrace_test.cc.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/gc/gc_test_util.h"
#include "tests/gc/gctrace_regex.h"

namespace gort::testing {
namespace {

struct TraceLine {
  std::string text;
  uint32_t n = 0;
  double at = 0;
  int util = 0;
  uint64_t heap0 = 0, heap1 = 0, heap2 = 0, goal = 0;
  int procs = 0;
  bool forced = false;
};

struct Traced {
  std::vector<TraceLine> lines;
  std::vector<std::string> unmatched;  // lines that look like gctrace but do not match
  std::vector<bool> forced;            // per cycle, from the collector's own record
  uint32_t numGC = 0, numForcedGC = 0;
  Outcome outcome;
};

// Runs body with gctrace=1 (plus `godebug`), capturing stderr.
Traced traced(const Config& cfg, const std::function<void()>& body, const std::string& godebug = "") {
  Traced t;
  ::testing::internal::CaptureStderr();
  t.outcome = run(cfg, [&] {
    body();
    MemStats m = readMemStats();
    t.numGC = m.NumGC;
    t.numForcedGC = m.NumForcedGC;
    for (const gc::CycleRecord& r : gc::gCollector->history) t.forced.push_back(r.forced);
  }, withGodebug("gctrace=1" + (godebug.empty() ? "" : "," + godebug)));
  std::string err = ::testing::internal::GetCapturedStderr();
  std::istringstream in(err);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.rfind("gc ", 0) != 0) continue;
    if (!std::regex_match(line, m, gcTraceLineRegex())) {
      t.unmatched.push_back(line);
      continue;
    }
    TraceLine l;
    l.text = line;
    l.n = static_cast<uint32_t>(std::stoul(m[kGCTraceNum]));
    l.at = std::stod(m[kGCTraceAt]);
    l.util = std::stoi(m[kGCTraceUtil]);
    l.heap0 = std::stoull(m[kGCTraceHeap0]);
    l.heap1 = std::stoull(m[kGCTraceHeap1]);
    l.heap2 = std::stoull(m[kGCTraceHeap2]);
    l.goal = std::stoull(m[kGCTraceGoal]);
    l.procs = std::stoi(m[kGCTraceProcs]);
    l.forced = m[kGCTraceForced].matched && m[kGCTraceForced].length() > 0;
    t.lines.push_back(l);
  }
  return t;
}

class GCTraceRun : public GcConfigTest {};

TEST_P(GCTraceRun, LinesMatchGo119FormatAndAreNumberedInOrder) {
  Traced t = traced(cfg(), [] {
    Local<Node> keep = buildList(scaled(50000));
    churn(scaled(24 << 20, 4));  // cycles the pacer starts
    for (int i = 0; i < 3; i++) GC();
    churn(scaled(8 << 20, 4));
    GC();
  });
  GORT_EXPECT_OK(t.outcome, cfg());
  for (const std::string& l : t.unmatched) ADD_FAILURE() << "not a Go 1.19 gctrace line: " << l;
  ASSERT_FALSE(t.lines.empty());
  // One line per cycle. A parallel run may end between a cycle's end and its
  // line (the line is printed after the world restarts), so allow the last
  // one to be missing there.
  if (det()) {
    EXPECT_EQ(t.lines.size(), t.numGC);
  } else {
    EXPECT_GE(t.lines.size() + 1, t.numGC);
    EXPECT_LE(t.lines.size(), t.numGC);
  }
  double lastAt = 0;
  for (size_t i = 0; i < t.lines.size(); i++) {
    const TraceLine& l = t.lines[i];
    EXPECT_EQ(l.n, i + 1) << l.text;
    EXPECT_GE(l.at, lastAt) << l.text;
    lastAt = l.at;
    EXPECT_GE(l.util, 0) << l.text;
    EXPECT_LE(l.util, 100) << l.text;
    EXPECT_EQ(l.procs, cfg().procs) << l.text;
    EXPECT_GE(l.goal, 4u) << "the goal is never under the 4 MiB minimum: " << l.text;
    ASSERT_LT(i, t.forced.size());
    EXPECT_EQ(l.forced, t.forced[i]) << "cycle " << l.n << ": ' (forced)' exactly on GC()'s cycles: " << l.text;
  }
  size_t forcedLines = 0;
  for (const TraceLine& l : t.lines) forcedLines += l.forced;
  EXPECT_EQ(t.numForcedGC, 4u);
  EXPECT_GE(forcedLines + (det() ? 0 : 1), t.numForcedGC);
  EXPECT_LE(forcedLines, t.numForcedGC);
  EXPECT_GT(t.numGC, t.numForcedGC) << "the churn should have started cycles of its own";
}

TEST_P(GCTraceRun, FirstCycleLineShowsTheFirstTrigger) {
  Traced t = traced(cfg(), [] {
    churn(5 << 20);
    GC();  // so that no cycle is still running when the body reads the collector's record
  });
  GORT_EXPECT_OK(t.outcome, cfg());
  ASSERT_FALSE(t.lines.empty());
  const TraceLine& first = t.lines[0];
  EXPECT_EQ(first.n, 1u);
  EXPECT_FALSE(first.forced) << first.text;
  EXPECT_EQ(first.heap0, 3u) << "3997696 bytes is 3 MB, truncated as Go prints it: " << first.text;
  EXPECT_EQ(first.goal, 4u) << first.text;
}

TEST_P(GCTraceRun, ForcedCyclesOnlyWhenGOGCIsOff) {
  Options o;
  o.gogc = "off";
  o.godebug = "gctrace=1";
  ::testing::internal::CaptureStderr();
  Outcome out = run(cfg(), [] {
    churn(8 << 20);
    GC();
    GC();
  }, o);
  std::string err = ::testing::internal::GetCapturedStderr();
  GORT_EXPECT_OK(out, cfg());
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("gc ", 0) == 0) lines.push_back(l);
  }
  ASSERT_GE(lines.size(), det() ? 2u : 1u) << err;
  ASSERT_LE(lines.size(), 2u) << err;
  for (size_t i = 0; i < lines.size(); i++) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, gcTraceLineRegex())) << lines[i];
    EXPECT_EQ(std::stoul(m[kGCTraceNum]), i + 1);
    EXPECT_EQ(m[kGCTraceForced].str(), " (forced)") << lines[i];
  }
}

TEST_P(GCTraceRun, NoTraceWithoutTheKey) {
  ::testing::internal::CaptureStderr();
  Outcome out = run(cfg(), [] {
    churn(8 << 20);
    GC();
  });
  std::string err = ::testing::internal::GetCapturedStderr();
  GORT_EXPECT_OK(out, cfg());
  EXPECT_EQ(err.find("gc 1 @"), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Configs, GCTraceRun, ::testing::ValuesIn(standardConfigs()), ConfigName());

}  // namespace
}  // namespace gort::testing
