// Regular expressions for Go 1.19's GODEBUG=gctrace=1 output, for tests that
// check gort's trace lines (unit tests of the formatter, and integration
// tests that read a program's stderr).
//
// Durations are matched exactly as fmtNSAsMS can print them: "0", whole
// milliseconds from 10 up, or two significant digits with at most three
// decimals (0.00d, 0.0dd, 0.dd, d.d). Match a line without its '\n'.
//
// Under GCC 12 with -O1 -fsanitize=address, any use of std::regex draws a
// false -Wmaybe-uninitialized from libstdc++ (GCC bug 105562); see the top
// of gctrace_test.cc for the pragma that silences it.
#pragma once

#include <regex>
#include <string>

namespace gort::testing {

// One fmtNSAsMS duration (non-capturing).
inline const std::string kGCTraceDuration = R"((?:0|[1-9]\d+|0\.00[1-9]|0\.0[1-9]\d|0\.[1-9]\d|[1-9]\.\d))";

// Capture groups of gcTraceLineRegex().
enum GCTraceGroup {
  kGCTraceNum = 1,     // gc <N>
  kGCTraceAt,          // @<seconds>s, three decimals
  kGCTraceUtil,        // <U>%
  kGCTraceClockSweepTerm,
  kGCTraceClockMark,
  kGCTraceClockMarkTerm,
  kGCTraceCpuSweepTerm,
  kGCTraceCpuAssist,
  kGCTraceCpuBackground,
  kGCTraceCpuIdle,
  kGCTraceCpuMarkTerm,
  kGCTraceHeap0,       // MB at start
  kGCTraceHeap1,       // MB at mark termination
  kGCTraceHeap2,       // MB marked
  kGCTraceGoal,
  kGCTraceStacks,
  kGCTraceGlobals,
  kGCTraceProcs,
  kGCTraceForced,      // " (forced)" or empty
};

inline std::string gcTraceLinePattern() {
  const std::string d = "(" + kGCTraceDuration + ")";
  return R"(gc (\d+) @(\d+\.\d{3})s (\d+)%: )" + d + R"(\+)" + d + R"(\+)" + d + " ms clock, " + d + R"(\+)" + d +
         "/" + d + "/" + d + R"(\+)" + d +
         R"( ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (\d+) MB stacks, (\d+) MB globals, (\d+) P( \(forced\))?)";
}

// The whole gctrace line, e.g.
//   gc 9 @1.369s 17%: 0.015+454+0.006 ms clock, 0.015+1.0/123/0+0.006 ms cpu, 236->287->261 MB, 421 MB goal, 0 MB stacks, 0 MB globals, 1 P (forced)
inline const std::regex& gcTraceLineRegex() {
  static const std::regex re(gcTraceLinePattern());
  return re;
}

// The scavenger's line, which gctrace=1 also enables (mgcscavenge.go
// printScavTrace): released KiB this time, released KiB in total, percent
// of retained memory in use, then " (forced)" or " [controller reset]".
inline const std::regex& scavTraceLineRegex() {
  static const std::regex re(R"(scav (\d+) KiB work, (\d+) KiB total, (\d+)% util( \(forced\)| \[controller reset\])?)");
  return re;
}

}  // namespace gort::testing
