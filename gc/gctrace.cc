// The gctrace line (runtime/mgc.go gcMarkTermination, itoaDiv, fmtNSAsMS).
// See gctrace.h.

#include "gc/gctrace.h"

#include <limits>

namespace gort::gc {
namespace {

// int(f) as Go on amd64 computes it: truncation, and INT64_MIN for NaN or
// out-of-range values (a garbage fraction must not be undefined behaviour
// here).
int64_t goInt(double f) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (!(f >= -kTwo63 && f < kTwo63)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(f);
}

void appendMB(std::string& out, uint64_t bytes) { out += std::to_string(bytes >> 20); }

}  // namespace

std::string itoaDiv(uint64_t val, int dec) {
  // Digits are produced from the right. The loop runs at least until the
  // decimal point has been placed (and, as in Go, one digit past it, which
  // is where the dec = 0 case gets its extra leading zero); the final digit
  // is written after the loop.
  // Go's callers pass dec <= 3; the cap only keeps the buffer safe
  // (20 digits, a point, and the leading zeros of a small val).
  if (dec > 24) {
    dec = 24;
  }
  char buf[48];
  int i = static_cast<int>(sizeof buf) - 1;
  int idec = i - dec;
  while (val >= 10 || i >= idec) {
    buf[i--] = static_cast<char>('0' + val % 10);
    if (i == idec) {
      buf[i--] = '.';
    }
    val /= 10;
  }
  buf[i] = static_cast<char>('0' + val);
  return std::string(buf + i, buf + sizeof buf);
}

std::string fmtNSAsMS(uint64_t ns) {
  if (ns >= 10'000'000) {
    return itoaDiv(ns / 1'000'000, 0);
  }
  // Microseconds, cut down to two significant digits; every digit dropped
  // is one decimal fewer, starting from three (1 us = 0.001 ms).
  uint64_t x = ns / 1000;
  if (x == 0) {
    return "0";
  }
  int dec = 3;
  while (x >= 100) {
    x /= 10;
    dec--;
  }
  return itoaDiv(x, dec);
}

std::string formatGCTrace(const GCTraceCycle& c) {
  std::string out;
  out.reserve(192);
  out += "gc ";
  out += std::to_string(c.numGC);
  out += " @";
  out += itoaDiv(static_cast<uint64_t>(c.sinceStartNs) / 1'000'000, 3);
  out += "s ";
  out += std::to_string(goInt(c.gcCpuFraction * 100));
  out += "%: ";

  // Durations are printed as unsigned, as Go does (a negative difference
  // would show as a huge number rather than be hidden).
  out += fmtNSAsMS(static_cast<uint64_t>(c.sweepTermClockNs));
  out += '+';
  out += fmtNSAsMS(static_cast<uint64_t>(c.markClockNs));
  out += '+';
  out += fmtNSAsMS(static_cast<uint64_t>(c.markTermClockNs));
  out += " ms clock, ";

  // The three mark components are separated by '/', the STW parts by '+'.
  out += fmtNSAsMS(static_cast<uint64_t>(c.sweepTermCpuNs));
  out += '+';
  out += fmtNSAsMS(static_cast<uint64_t>(c.assistCpuNs));
  out += '/';
  out += fmtNSAsMS(static_cast<uint64_t>(c.backgroundCpuNs));
  out += '/';
  out += fmtNSAsMS(static_cast<uint64_t>(c.idleCpuNs));
  out += '+';
  out += fmtNSAsMS(static_cast<uint64_t>(c.markTermCpuNs));
  out += " ms cpu, ";

  appendMB(out, c.heap0);
  out += "->";
  appendMB(out, c.heap1);
  out += "->";
  appendMB(out, c.heap2);
  out += " MB, ";
  appendMB(out, c.heapGoal);
  out += " MB goal, ";
  appendMB(out, c.stacks);
  out += " MB stacks, ";
  appendMB(out, c.globals);
  out += " MB globals, ";
  out += std::to_string(c.procs);
  out += " P";
  if (c.forced) {
    out += " (forced)";
  }
  out += '\n';
  return out;
}

}  // namespace gort::gc
