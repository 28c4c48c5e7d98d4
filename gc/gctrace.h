// The GODEBUG=gctrace=1 line, in Go 1.19's exact format.
//
// With gctrace=1 Go prints one line per cycle to stderr at the end of mark
// termination, once the world is running again and before the next cycle
// may start (runtime/mgc.go gcMarkTermination):
//
//   gc 9 @1.369s 17%: 0.015+454+0.006 ms clock, 0.015+1.0/123/0+0.006 ms cpu, 236->287->261 MB, 421 MB goal, 0 MB stacks, 0 MB globals, 1 P (forced)
//
// Left to right: the cycle number (counting from 1); seconds since the
// runtime started, to the millisecond; the share of all CPU time since start
// spent in the GC (idle marking excluded); wall time of the three phases
// (sweep termination STW, concurrent mark, mark termination STW); CPU time
// of sweep termination, of assists / background workers / idle workers
// during mark, and of mark termination; heapLive at cycle start, heapLive at
// mark termination, and the heap marked live; the heap goal; allocated
// stacks and scannable globals; GOMAXPROCS; and " (forced)" when the cycle
// came from runtime.GC(). Megabytes are MiB, truncated (bytes >> 20).
//
// The documented form in runtime/extern.go stops at "# MB goal, # P"; it is
// out of date: the 1.19 code also prints the stacks and globals fields, and
// the code, not the comment, is what tools parse.
//
// Durations use Go's fmtNSAsMS: whole milliseconds from 10 ms up, below
// that two significant digits with at most three decimals, *truncated*, not
// rounded (9.999 ms prints as 9.9, 1999 ns as 0.001, 100 us as 0.10, and
// anything under 1 us as 0). Both it and the timestamp are built by Go's
// itoaDiv, which writes a decimal number with a fixed count of decimals.
#pragma once

#include <cstdint>
#include <string>

namespace gort::gc {

// One cycle's figures, as gcMarkTermination has them when it prints.
struct GCTraceCycle {
  uint32_t numGC = 0;          // memstats.numgc after this cycle's increment
  int64_t sinceStartNs = 0;    // tSweepTerm - runtimeInitTime
  double gcCpuFraction = 0;    // memstats.gc_cpu_fraction, printed as int(f * 100)

  // Wall clock, ns: tMark - tSweepTerm, tMarkTerm - tMark, tEnd - tMarkTerm.
  int64_t sweepTermClockNs = 0;
  int64_t markClockNs = 0;
  int64_t markTermClockNs = 0;

  // CPU, ns. Go computes sweepTermCpuNs = stwprocs * sweepTermClockNs and
  // markTermCpuNs = stwprocs * markTermClockNs, with stwprocs =
  // min(GOMAXPROCS, ncpu); background is dedicated + fractional mark time.
  int64_t sweepTermCpuNs = 0;
  int64_t assistCpuNs = 0;
  int64_t backgroundCpuNs = 0;
  int64_t idleCpuNs = 0;
  int64_t markTermCpuNs = 0;

  // Bytes.
  uint64_t heap0 = 0;     // heapLive at sweep termination (work.heap0)
  uint64_t heap1 = 0;     // heapLive at mark termination (work.heap1)
  uint64_t heap2 = 0;     // bytes marked (work.heap2)
  uint64_t heapGoal = 0;  // the pacer's lastHeapGoal
  uint64_t stacks = 0;    // the pacer's maxStackScan
  uint64_t globals = 0;   // the pacer's globalsScan

  int32_t procs = 0;      // work.maxprocs
  bool forced = false;    // work.userForced
};

// itoaDiv(val, dec): val / 10^dec in decimal with exactly dec decimals,
// e.g. (1369, 3) -> "1.369", (12, 3) -> "0.012". Like Go's, with dec = 0 it
// emits at least two digits ((5, 0) -> "05"); Go never asks for that case.
// dec is capped at 24.
std::string itoaDiv(uint64_t val, int dec);

// fmtNSAsMS: ns as milliseconds, as described above.
std::string fmtNSAsMS(uint64_t ns);

// The full line, newline included.
std::string formatGCTrace(const GCTraceCycle& c);

}  // namespace gort::gc
