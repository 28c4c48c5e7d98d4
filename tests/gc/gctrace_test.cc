// The gctrace line: fmtNSAsMS and itoaDiv against values printed by Go
// 1.19, whole lines rebuilt from real Go traces, and the format regex.

// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s <regex>
// whenever a std::regex is built under -O1 -fsanitize=address (the Asan
// build type); GCC bug 105562. It must be silenced before any standard
// header is included to take effect.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <gtest/gtest.h>

#include <cstdint>
#include <regex>
#include <string>

#include "gc/gctrace.h"
#include "tests/gc/gctrace_regex.h"

namespace gort::gc {
namespace {

using gort::testing::gcTraceLineRegex;

struct NsCase {
  uint64_t ns;
  const char* text;
};

// Go 1.19's fmtNSAsMS on these inputs (printed by a Go program). Note the
// truncation: nothing is rounded.
constexpr NsCase kNsCases[] = {
    {0u, "0"},
    {999u, "0"},
    {1000u, "0.001"},
    {1999u, "0.001"},
    {5000u, "0.005"},
    {9999u, "0.009"},
    {10000u, "0.010"},
    {56000u, "0.056"},
    {99999u, "0.099"},
    {100000u, "0.10"},
    {123456u, "0.12"},
    {999999u, "0.99"},
    {1000000u, "1.0"},
    {1234000u, "1.2"},
    {1999999u, "1.9"},
    {9999999u, "9.9"},
    {10000000u, "10"},
    {10999999u, "10"},
    {454000000u, "454"},
    {1251000000u, "1251"},
    {123456789012u, "123456"},
    {18446744073709551615u, "18446744073709"},
};

TEST(GCTrace, FmtNSAsMS) {
  for (const NsCase& c : kNsCases) {
    EXPECT_EQ(fmtNSAsMS(c.ns), c.text) << c.ns << " ns";
  }
}

TEST(GCTrace, FmtNSAsMSMatchesDurationPattern) {
  std::regex re(gort::testing::kGCTraceDuration);
  for (const NsCase& c : kNsCases) {
    EXPECT_TRUE(std::regex_match(fmtNSAsMS(c.ns), re)) << c.text;
  }
  // Every value up to 10 ms in 1 us steps, then a spread of larger ones.
  for (uint64_t us = 0; us <= 10000; us++) {
    ASSERT_TRUE(std::regex_match(fmtNSAsMS(us * 1000 + 999), re)) << us;
  }
  for (uint64_t ms = 10; ms < 100000; ms = ms * 3 + 1) {
    ASSERT_TRUE(std::regex_match(fmtNSAsMS(ms * 1000000), re)) << ms;
  }
}

TEST(GCTrace, ItoaDiv) {
  // As Go 1.19 prints them, the odd dec = 0 cases included.
  EXPECT_EQ(itoaDiv(0, 3), "0.000");
  EXPECT_EQ(itoaDiv(12, 3), "0.012");
  EXPECT_EQ(itoaDiv(1369, 3), "1.369");
  EXPECT_EQ(itoaDiv(4034, 3), "4.034");
  EXPECT_EQ(itoaDiv(123456, 3), "123.456");
  EXPECT_EQ(itoaDiv(7, 1), "0.7");
  EXPECT_EQ(itoaDiv(12, 0), "12");
  EXPECT_EQ(itoaDiv(5, 0), "05");
  EXPECT_EQ(itoaDiv(0, 0), "00");
  EXPECT_EQ(itoaDiv(18446744073709551615u, 3), "18446744073709551.615");
}

// The first raw line of the GOMAXPROCS=1, unthrottled run in
// ../shared/conformance/gctrace.json (results[0].raw_gctrace_sample[0]),
// measured with Go 1.19.8:
constexpr const char* kGoLine1 =
    "gc 9 @1.369s 17%: 0.015+454+0.006 ms clock, 0.015+1.0/123/0+0.006 ms cpu, 236->287->261 MB, 421 MB goal, "
    "0 MB stacks, 0 MB globals, 1 P (forced)";
// A GOMAXPROCS=2 line from the same file (results[6].raw_gctrace_sample[0]),
// with a non-zero idle component and STW CPU = 2 * clock:
constexpr const char* kGoLine2 =
    "gc 9 @1.834s 15%: 0.12+439+0.21 ms clock, 0.25+0.10/214/274+0.43 ms cpu, 232->253->231 MB, 421 MB goal, "
    "0 MB stacks, 0 MB globals, 2 P (forced)";
// A natural (unforced) cycle from the same file (results[14].raw_gctrace_sample[2]).
constexpr const char* kGoLine3 =
    "gc 11 @4.036s 8%: 0.083+261+0.005 ms clock, 0.16+88/144/141+0.011 ms cpu, 442->450->218 MB, 450 MB goal, "
    "0 MB stacks, 0 MB globals, 2 P";

TEST(GCTrace, RebuildsARealLine) {
  // Inputs chosen inside the ranges that print as kGoLine1: any ns value
  // that truncates to the printed digits would do.
  GCTraceCycle c;
  c.numGC = 9;
  c.sinceStartNs = 1'369'456'789;
  c.gcCpuFraction = 0.1799;
  c.sweepTermClockNs = 15'900;
  c.markClockNs = 454'999'999;
  c.markTermClockNs = 6'200;
  c.sweepTermCpuNs = 15'900;
  c.assistCpuNs = 1'099'000;
  c.backgroundCpuNs = 123'400'000;
  c.idleCpuNs = 0;
  c.markTermCpuNs = 6'200;
  c.heap0 = (uint64_t{236} << 20) + 12345;
  c.heap1 = (uint64_t{287} << 20) + (uint64_t{1} << 20) - 1;
  c.heap2 = uint64_t{261} << 20;
  c.heapGoal = (uint64_t{421} << 20) + 99;
  c.stacks = 8192 * 3;
  c.globals = 100000;
  c.procs = 1;
  c.forced = true;
  EXPECT_EQ(formatGCTrace(c), std::string(kGoLine1) + "\n");

  GCTraceCycle d;
  d.numGC = 9;
  d.sinceStartNs = 1'834'000'000;
  d.gcCpuFraction = 0.155;
  d.sweepTermClockNs = 125'000;
  d.markClockNs = 439'100'000;
  d.markTermClockNs = 215'000;
  d.sweepTermCpuNs = 2 * 125'000;
  d.assistCpuNs = 100'000;
  d.backgroundCpuNs = 214'000'000;
  d.idleCpuNs = 274'000'000;
  d.markTermCpuNs = 2 * 215'000;
  d.heap0 = uint64_t{232} << 20;
  d.heap1 = uint64_t{253} << 20;
  d.heap2 = uint64_t{231} << 20;
  d.heapGoal = uint64_t{421} << 20;
  d.procs = 2;
  d.forced = true;
  EXPECT_EQ(formatGCTrace(d), std::string(kGoLine2) + "\n");

  GCTraceCycle e;
  e.numGC = 11;
  e.sinceStartNs = 4'036'000'000;
  e.gcCpuFraction = 0.085;
  e.sweepTermClockNs = 83'000;
  e.markClockNs = 261'000'000;
  e.markTermClockNs = 5'000;
  e.sweepTermCpuNs = 166'000;
  e.assistCpuNs = 88'000'000;
  e.backgroundCpuNs = 144'000'000;
  e.idleCpuNs = 141'000'000;
  e.markTermCpuNs = 11'000;
  e.heap0 = uint64_t{442} << 20;
  e.heap1 = uint64_t{450} << 20;
  e.heap2 = uint64_t{218} << 20;
  e.heapGoal = uint64_t{450} << 20;
  e.procs = 2;
  EXPECT_EQ(formatGCTrace(e), std::string(kGoLine3) + "\n");
}

TEST(GCTrace, Fields) {
  GCTraceCycle c;
  c.numGC = 1;
  c.sinceStartNs = 12'000'000;
  c.procs = 8;
  EXPECT_EQ(formatGCTrace(c),
            "gc 1 @0.012s 0%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 0->0->0 MB, 0 MB goal, 0 MB stacks, 0 MB globals, 8 P\n");

  // MB are MiB, truncated; the utilisation is truncated too.
  c.heap0 = (uint64_t{4} << 20) - 1;
  c.heap1 = uint64_t{4} << 20;
  c.heap2 = uint64_t{5} << 20;
  c.heapGoal = 4194304;
  c.stacks = uint64_t{3} << 20;
  c.globals = (uint64_t{2} << 20) + 1;
  c.gcCpuFraction = 0.029999;
  c.forced = true;
  EXPECT_EQ(formatGCTrace(c),
            "gc 1 @0.012s 2%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 3->4->5 MB, 4 MB goal, 3 MB stacks, 2 MB globals, 8 P "
            "(forced)\n");
}

TEST(GCTrace, RegexAcceptsGoLines) {
  for (const char* line : {kGoLine1, kGoLine2, kGoLine3}) {
    EXPECT_TRUE(std::regex_match(line, gcTraceLineRegex())) << line;
  }
  // The extern.go doc form (no stacks/globals) is not what 1.19 prints.
  EXPECT_FALSE(std::regex_match(
      "gc 9 @1.369s 17%: 0.015+454+0.006 ms clock, 0.015+1.0/123/0+0.006 ms cpu, 236->287->261 MB, 421 MB goal, 1 P",
      gcTraceLineRegex()));
  // Nor rounded or over-precise durations.
  EXPECT_FALSE(std::regex_match(
      "gc 9 @1.369s 17%: 0.0150+454+0.006 ms clock, 0.015+1.0/123/0+0.006 ms cpu, 236->287->261 MB, 421 MB goal, "
      "0 MB stacks, 0 MB globals, 1 P",
      gcTraceLineRegex()));
  EXPECT_FALSE(std::regex_match(
      "gc 9 @1.37s 17%: 0.015+454+0.006 ms clock, 0.015+1.0/123/0+0.006 ms cpu, 236->287->261 MB, 421 MB goal, "
      "0 MB stacks, 0 MB globals, 1 P",
      gcTraceLineRegex()));
}

TEST(GCTrace, RegexCapturesFields) {
  std::cmatch m;
  ASSERT_TRUE(std::regex_match(kGoLine2, m, gcTraceLineRegex()));
  using namespace gort::testing;
  EXPECT_EQ(m[kGCTraceNum].str(), "9");
  EXPECT_EQ(m[kGCTraceAt].str(), "1.834");
  EXPECT_EQ(m[kGCTraceUtil].str(), "15");
  EXPECT_EQ(m[kGCTraceClockSweepTerm].str(), "0.12");
  EXPECT_EQ(m[kGCTraceClockMark].str(), "439");
  EXPECT_EQ(m[kGCTraceClockMarkTerm].str(), "0.21");
  EXPECT_EQ(m[kGCTraceCpuSweepTerm].str(), "0.25");
  EXPECT_EQ(m[kGCTraceCpuAssist].str(), "0.10");
  EXPECT_EQ(m[kGCTraceCpuBackground].str(), "214");
  EXPECT_EQ(m[kGCTraceCpuIdle].str(), "274");
  EXPECT_EQ(m[kGCTraceCpuMarkTerm].str(), "0.43");
  EXPECT_EQ(m[kGCTraceHeap0].str(), "232");
  EXPECT_EQ(m[kGCTraceHeap1].str(), "253");
  EXPECT_EQ(m[kGCTraceHeap2].str(), "231");
  EXPECT_EQ(m[kGCTraceGoal].str(), "421");
  EXPECT_EQ(m[kGCTraceStacks].str(), "0");
  EXPECT_EQ(m[kGCTraceGlobals].str(), "0");
  EXPECT_EQ(m[kGCTraceProcs].str(), "2");
  EXPECT_EQ(m[kGCTraceForced].str(), " (forced)");
  ASSERT_TRUE(std::regex_match(kGoLine3, m, gcTraceLineRegex()));
  EXPECT_EQ(m[kGCTraceForced].str(), "");
}

TEST(GCTrace, FormattedLinesMatchRegex) {
  GCTraceCycle c;
  for (uint32_t n = 1; n < 200; n++) {
    c.numGC = n;
    c.sinceStartNs = static_cast<int64_t>(n) * 7'777'777;
    c.gcCpuFraction = n / 250.0;
    c.sweepTermClockNs = n * 1'111;
    c.markClockNs = n * 333'333;
    c.markTermClockNs = n * 77;
    c.sweepTermCpuNs = 2 * c.sweepTermClockNs;
    c.assistCpuNs = n * 55'555;
    c.backgroundCpuNs = n * 444'444;
    c.idleCpuNs = n * 99'999;
    c.markTermCpuNs = 2 * c.markTermClockNs;
    c.heap0 = uint64_t{n} << 19;
    c.heap1 = uint64_t{n} << 20;
    c.heap2 = uint64_t{n} << 18;
    c.heapGoal = uint64_t{n} << 21;
    c.procs = 2;
    c.forced = n % 3 == 0;
    std::string line = formatGCTrace(c);
    ASSERT_EQ(line.back(), '\n');
    line.pop_back();
    ASSERT_TRUE(std::regex_match(line, gcTraceLineRegex())) << line;
  }
}

TEST(GCTrace, ScavRegex) {
  EXPECT_TRUE(std::regex_match("scav 0 KiB work, 1024 KiB total, 97% util", gort::testing::scavTraceLineRegex()));
  EXPECT_TRUE(std::regex_match("scav 64 KiB work, 64 KiB total, 99% util (forced)", gort::testing::scavTraceLineRegex()));
  EXPECT_FALSE(std::regex_match("scav 64 KiB work", gort::testing::scavTraceLineRegex()));
}

}  // namespace
}  // namespace gort::gc
