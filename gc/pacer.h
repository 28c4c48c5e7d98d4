// The GC pacer: when to start a cycle, and how hard mutators must help.
//
// A concurrent collector races the program it collects. The mutator keeps
// allocating while marking runs, so a cycle must start early enough that
// marking finishes before the heap reaches its *goal*, and if the estimate
// was wrong the allocating goroutines must be made to pay with mark work of
// their own (*assists*). The pacer is the arithmetic that makes those two
// decisions. This file is a port of Go 1.19's gcControllerState
// (runtime/mgcpacer.go; design 44167-gc-pacer-redesign), kept as pure
// arithmetic: no threads, no clock, no heap. The collector core measures
// and calls in; the pacer computes and answers.
//
// Terminology (Go's names, kept unchanged):
//   heapLive      bytes the GC considers live: what the last cycle marked plus
//                 everything allocated since (Go counts whole spans as they
//                 are handed to an mcache, so it slightly overestimates).
//   heapMarked    bytes marked by the last cycle; fixed until the next one.
//   heapScan      the scannable part of heapLive (pointer-free objects and
//                 pointer-free tails omitted); frozen while marking.
//   lastHeapScan, lastStackScan
//                 heap and stack bytes the last cycle actually scanned.
//   maxStackScan  allocated goroutine stack space: a worst case for stack
//                 scan work.
//   globalsScan   scannable bytes of global variables.
//   scan work     bytes scanned this cycle, heap + stack + globals.
//   GOGC          gcPercent: how far the heap may grow past the live data
//                 before the next cycle must end; -1 (off) disables pacing.
//
// The heap goal (commit, heapGoalInternal). Since Go 1.18 the goal counts
// the non-heap roots too, because scanning them costs the same:
//     goal = heapMarked + (heapMarked + lastStackScan + globalsScan) * GOGC/100
// then at least heapMinimum (4 MiB * GOGC/100), so a tiny heap is not
// collected continuously. A soft memory limit (GOMEMLIMIT) may pull the goal
// lower; otherwise two floors may push it higher: while the previous cycle's
// sweep is still running, heapLive-at-commit + 1 MiB (the sweeper needs room
// to finish), and once a cycle has triggered, triggered + 64 KiB (assists
// are proportional to the remaining distance, which must not be ~0).
//
// The trigger (trigger). The cycle should start `runway` bytes before the
// goal, where runway is what the mutator will allocate while the GC does its
// expected scan work at 25% of the CPUs:
//     runway = consMark * (1 - 0.25)/0.25 * (lastHeapScan + lastStackScan + globalsScan)
// consMark, the ratio of allocation rate to scan rate (both per CPU-ns), is
// measured at every endCycle and smoothed by a PI controller. The trigger is
// then clamped to lie between 45/64 (~0.7) and 61/64 (~0.95) of the way from
// heapMarked to the goal; for a big heap the upper bound relaxes to goal -
// 4 MiB, a runway worth one minimum heap (always the GOGC=100 minimum,
// whatever GOGC is). At start-up heapMarked = 0 and
// consMark = 0, so the first trigger is the upper clamp, 61/64 * 4 MiB =
// 3,997,696 bytes.
//
// Worker split (startCycle). Background marking gets 25% of GOMAXPROCS.
// Whole dedicated workers are rounded to the nearest integer; when that
// rounding is more than 30% off (GOMAXPROCS <= 3, or 6), the shortfall is
// made up by fractional workers that each run for a fraction of their P's
// time: 1 -> 0+0.25, 2 -> 0+0.25, 3 -> 0+0.25, 4 -> 1+0, 6 -> 1+0.0833,
// 8 -> 2+0.
//
// Assists (revise). While marking, the assist ratio is the remaining scan
// work over the remaining heap distance: a goroutine that allocates n bytes
// owes n * assistWorkPerByte units of scan work. If more work turns up than
// the last cycle scanned, the heap is taken to be growing: the goal is
// pushed out in proportion, toward the worst case where everything
// scannable is live, but never past (1 + GOGC/100) * goal.
//
// Concurrency. Go guards these fields with the heap lock or a stopped
// world, and updates a few of them with atomics. This class is plain data:
// the caller serialises every call (heap lock or STW) and, if mutators read
// the assist ratio without that lock, publishes revise()'s result in
// atomics of its own.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace gort::gc {

// Fixed CPU share of background marking (gcBackgroundUtilization). In 1.19
// the goal utilisation (gcGoalUtilization) is the same 25%; the difference,
// if there were one, would be made up by assists.
inline constexpr double kGCBackgroundUtilization = 0.25;
inline constexpr double kGCGoalUtilization = kGCBackgroundUtilization;

// Scan work a worker or assist accumulates locally before publishing it
// (gcCreditSlack), and assist nanoseconds a P accumulates before publishing
// them (gcAssistTimeSlack). Larger values mean less contention, smaller ones
// a more accurate assist ratio.
inline constexpr int64_t kGCCreditSlack = 2000;
inline constexpr int64_t kGCAssistTimeSlack = 5000;

// Extra scan work every assist does beyond its debt, to prepay for coming
// allocations and so amortise the cost of entering an assist
// (gcOverAssistWork).
inline constexpr int64_t kGCOverAssistWork = 64 << 10;

// heapMinimum at GOGC=100 (defaultHeapMinimum; the 512 KiB variant is a
// GOEXPERIMENT that is off by default).
inline constexpr uint64_t kDefaultHeapMinimum = 4 << 20;

// Stack bytes allocated or freed on a P before maxStackScan is updated
// (maxStackScanSlack); for callers that batch addScannableStack per P.
inline constexpr int64_t kMaxStackScanSlack = 8 << 10;

// How far below the memory-limit-derived goal the pacer aims, to absorb
// pacing error (memoryLimitHeapGoalHeadroom).
inline constexpr uint64_t kMemoryLimitHeapGoalHeadroom = 1 << 20;

// Minimum heap growth left to the concurrent sweeper (sweepMinHeapDistance,
// mgc.go).
inline constexpr uint64_t kSweepMinHeapDistance = 1 << 20;

// Minimum distance between the point a cycle triggered and its goal
// (heapGoalInternal's minRunway).
inline constexpr uint64_t kMinRunway = 64 << 10;

// Trigger bounds, as fractions of (goal - heapMarked) with a power-of-two
// denominator so the division is a shift.
inline constexpr uint64_t kTriggerRatioDen = 64;
inline constexpr uint64_t kMinTriggerRatioNum = 45;  // ~0.7
inline constexpr uint64_t kMaxTriggerRatioNum = 61;  // ~0.95

// No memory limit (GOMEMLIMIT unset or "off").
inline constexpr int64_t kNoMemoryLimit = std::numeric_limits<int64_t>::max();

// The value of `triggered` outside a cycle (^uint64(0)).
inline constexpr uint64_t kNotTriggered = ~uint64_t{0};

// GOGC from its environment value (readGOGC): "off" is -1, anything that
// parses as a decimal int32 (an optional '-' then digits) is used as is, and
// everything else, unset (nullptr) and "" included, is 100. Go's parser also
// accepts a lone "-" as 0.
int32_t readGOGC(const char* value);

// A proportional-integral controller (mgcpacer.go piController), used to
// smooth the noisy per-cycle cons/mark measurement. Its output is clamped
// to [min, max]; tt is the anti-windup reset time, which bleeds off the
// integral while the output is clipped.
class PIController {
 public:
  PIController(double kp, double ti, double tt, double min, double max)
      : kp_(kp), ti_(ti), tt_(tt), min_(min), max_(max) {}

  struct Result {
    double output;
    bool ok;  // false: the input or the integral overflowed; state was reset
  };

  // next() feeds one sample: `input` is the controlled variable's current
  // value, `setpoint` where it should be, `period` the time since the last
  // sample. On overflow it resets, sets the matching flag, and returns min.
  Result next(double input, double setpoint, double period);

  // reset() clears the integral but keeps the overflow flags.
  void reset() { errIntegral_ = 0; }

  double errIntegral() const { return errIntegral_; }
  bool errOverflow() const { return errOverflow_; }
  bool inputOverflow() const { return inputOverflow_; }

 private:
  double kp_, ti_, tt_, min_, max_;
  double errIntegral_ = 0;
  bool errOverflow_ = false;
  bool inputOverflow_ = false;
};

// Why a cycle started (the kinds of gcTrigger the pacer cares about).
enum class TriggerKind {
  Heap,   // heapLive reached the trigger
  Time,   // forcegc: two minutes without a cycle
  Cycle,  // runtime.GC()
};

// What a background mark worker runs as (gcMarkWorkerMode).
enum class MarkWorkerMode {
  None,        // "Not worker"
  Dedicated,   // "GC (dedicated)"
  Fractional,  // "GC (fractional)"
  Idle,        // "GC (idle)"
};

// The trigger and goal, with the clamps that produced the trigger.
struct TriggerResult {
  uint64_t trigger = 0;
  uint64_t goal = 0;
  uint64_t minTrigger = 0;
  uint64_t maxTrigger = 0;
  // False when the arithmetic produced trigger > goal, which Go treats as
  // fatal ("produced a trigger greater than the heap goal"). The pacer does
  // not abort; the caller prints diagnostic() and throws that message.
  bool ok = true;

  // Go's two lines printed before the throw, each ending in '\n':
  //   trigger=<t> heapGoal=<g>
  //   minTrigger=<min> maxTrigger=<max>
  std::string diagnostic() const;
};
inline constexpr const char* kTriggerAboveGoalMessage = "produced a trigger greater than the heap goal";

// The two assist ratios, recomputed by revise(). assistBytesPerWork is the
// reciprocal of assistWorkPerByte (computed separately, as Go does).
struct AssistRatios {
  double workPerByte = 0;
  double bytesPerWork = 0;
};

// The decisions startCycle() makes for a new cycle.
struct CycleStart {
  // The trigger the cycle is deemed to have started at (now `triggered`)
  // and the goal at cycle start. If !trigger.ok the caller throws.
  TriggerResult trigger;
  int64_t dedicatedMarkWorkersNeeded = 0;
  double fractionalUtilizationGoal = 0;
  int32_t maxIdleMarkWorkers = 0;
  AssistRatios assist;
};

// What endCycle() measured, for GODEBUG=gcpacertrace=1 and for tests.
struct CycleEnd {
  bool updated = false;           // false: heapLive <= triggered, nothing changed
  double utilization = 0;         // background (assumed 25%) + assists
  double idleUtilization = 0;
  double currentConsMark = 0;     // this cycle's raw cons/mark
  double oldConsMark = 0;
  double consMark = 0;            // the smoothed value for the next cycle
  bool controllerReset = false;   // the PI controller overflowed
};

// The memory-limit inputs of the heap goal (memoryLimitHeapGoal), as Go
// reads them from gcController: heapAlloc = totalAlloc - totalFree (bytes of
// heap objects), heapFree (free, unscavenged pages), mappedReady (mapped,
// unreleased memory). All zero, the default, is what Go's own pacer tests
// use: the memory-limit goal is then simply memoryLimit - 1 MiB. Go
// re-reads the three until heapFree + heapAlloc <= mappedReady; given a
// snapshot that breaks this, the pacer takes mappedReady as that sum.
struct MemoryStats {
  uint64_t heapAlloc = 0;
  uint64_t heapFree = 0;
  uint64_t mappedReady = 0;
};

// All pacer state, Go's field names. Read it through Pacer::state(); tests
// may write it through Pacer::mutableStateForTesting() (Go's export_test.go
// does the same with gcControllerState's fields).
struct PacerState {
  int32_t gcPercent = 100;
  int64_t memoryLimit = kNoMemoryLimit;
  uint64_t heapMinimum = kDefaultHeapMinimum;

  uint64_t runway = 0;
  double consMark = 0;

  uint64_t gcPercentHeapGoal = 0;
  uint64_t sweepDistMinTrigger = 0;
  uint64_t triggered = kNotTriggered;
  uint64_t lastHeapGoal = 0;

  uint64_t heapLive = 0;
  uint64_t heapScan = 0;
  uint64_t lastHeapScan = 0;
  uint64_t lastStackScan = 0;
  uint64_t maxStackScan = 0;
  uint64_t globalsScan = 0;
  uint64_t heapMarked = 0;

  int64_t heapScanWork = 0;
  int64_t stackScanWork = 0;
  int64_t globalsScanWork = 0;
  int64_t bgScanCredit = 0;

  int64_t assistTime = 0;
  int64_t dedicatedMarkTime = 0;
  int64_t fractionalMarkTime = 0;
  int64_t idleMarkTime = 0;
  int64_t markStartTime = 0;

  int64_t dedicatedMarkWorkersNeeded = 0;
  int32_t idleMarkWorkers = 0;     // running now
  int32_t maxIdleMarkWorkers = 0;  // allowed to run at once
  double fractionalUtilizationGoal = 0;

  double assistWorkPerByte = 0;
  double assistBytesPerWork = 0;

  MemoryStats mem;

  // From startCycle to endCycle: Go's gcBlackenEnabled != 0 (for update)
  // and gcphase != _GCoff (for the revise after a commit).
  bool marking = false;
};

// gcControllerState. Call order over one cycle, as in mgc.go:
//   sweep termination (STW):  startCycle(now, procs, kind)
//   concurrent mark:          addScanWork / addAssistTime / markWorkerStop /
//                             update(dHeapLive, 0) (which revises)
//   mark termination (STW):   endCycle(now, procs) then resetLive(marked)
//   after gcSweep:            commit(sweepDone)
// and at any time: setGCPercent / setMemoryLimit (which commit), and
// update / addScannableStack / addGlobals from the allocator.
class Pacer {
 public:
  // init(): heapMinimum, the PI controller (kp 0.9, ti 4.0, tt 1000, output
  // within +-1000), GOGC and the memory limit, then commit(true): there is
  // no sweep phase before the first cycle.
  explicit Pacer(int32_t gcPercent = 100, int64_t memoryLimit = kNoMemoryLimit);

  // --- Settings. Both recompute the goal and trigger at once (Go's
  // gcControllerCommit: commit, and revise if a mark phase is running).
  // sweepDone is the collector's isSweepDone().

  // setGCPercent stores in (negative -> -1), sets heapMinimum to
  // 4 MiB * in/100, and returns the previous GOGC. (debug.SetGCPercent with
  // a negative value also waits for a running mark to finish; that wait is
  // the caller's.)
  int32_t setGCPercent(int32_t in, bool sweepDone);

  // setMemoryLimit stores in if in >= 0 and returns the previous limit; a
  // negative in only queries. It commits only when the limit changed.
  int64_t setMemoryLimit(int64_t in, bool sweepDone);

  // The memory-limit inputs; takes effect at the next heapGoal()/trigger().
  void setMemoryStats(const MemoryStats& mem) { s_.mem = mem; }

  // --- Inputs from the allocator and the stack allocator.

  // update is Go's gcControllerState.update: heapLive += dHeapLive; outside
  // a mark phase heapScan += dHeapScan (heapScan is frozen while marking);
  // inside one, revise().
  void update(int64_t dHeapLive, int64_t dHeapScan);
  // maxStackScan += amount (Go batches per P by kMaxStackScanSlack).
  void addScannableStack(int64_t amount);
  // globalsScan += amount.
  void addGlobals(int64_t amount);

  // --- Inputs from marking.

  // Scan work done (heap, stack, globals), in bytes. Does not revise: Go
  // revises when heapLive changes, not on every flush of scan work.
  void addScanWork(int64_t heap, int64_t stack, int64_t globals);
  // Mutator assist time, ns.
  void addAssistTime(int64_t ns) { s_.assistTime += ns; }
  // Background credit that assists may steal (gcFlushBgCredit adds, an
  // assist subtracts what it takes). Reset by startCycle.
  void addBgScanCredit(int64_t work) { s_.bgScanCredit += work; }

  // A mark worker stopped after running durationNs in `mode`
  // (markWorkerStop): its time is added to the mode's total, and a
  // dedicated worker's slot or an idle worker's slot is released.
  // Returns false for MarkWorkerMode::None, or if an idle worker is removed
  // while none is counted (Go throws "markWorkerStop: unknown mark worker
  // mode" / "negative idle mark workers").
  bool markWorkerStop(MarkWorkerMode mode, int64_t durationNs);

  // --- The cycle.

  // startCycle: reset the per-cycle counters, record markStartTime, fix
  // `triggered` at the current trigger, split the 25% into dedicated and
  // fractional workers (all procs dedicated when stopTheWorld, i.e.
  // GODEBUG=gcstoptheworld > 0), cap idle workers (0 or 1 for a Time
  // trigger, else procs - dedicated) and compute the first assist ratio.
  // procs >= 1.
  CycleStart startCycle(int64_t markStartTimeNs, int procs, TriggerKind kind, bool stopTheWorld = false);

  // revise recomputes the assist ratios from heapLive, heapScan and the scan
  // work so far (see the essay). Call it whenever heapLive, heapScan or the
  // goal's inputs change during a mark phase; update() and the setters do.
  AssistRatios revise();

  // endCycle, at mark termination with nowNs the current time: records
  // lastHeapGoal and feeds this cycle's cons/mark into the PI controller.
  // It ends the mark phase (Go clears gcBlackenEnabled just before).
  // userForced is accepted for parity with Go, which ignores it too.
  CycleEnd endCycle(int64_t nowNs, int procs, bool userForced = false);

  // resetLive, after endCycle and before commit: heapMarked = heapLive =
  // bytesMarked; heapScan and lastHeapScan = the heap scan work done;
  // lastStackScan = the stack scan work done; triggered reset.
  void resetLive(uint64_t bytesMarked);

  // commit recomputes the GOGC-based goal and the runway from the current
  // heapMarked, stacks, globals and consMark (see the essay). While the
  // sweep is not done it also fixes the sweep floor at heapLive + 1 MiB.
  // Callers inside a mark phase revise() afterwards (setGCPercent and
  // setMemoryLimit do so themselves). Go's gcControllerCommit then re-paces
  // the sweeper and the scavenger from trigger(); that is the caller's.
  void commit(bool sweepDone);

  // --- Mark worker scheduling (findRunnableGCWorker, pollFractionalWorkerExit,
  // the idle worker count).

  // The kind of worker a P should run now, given that P's fractional mark
  // time so far this cycle: Dedicated if a dedicated slot is left (it takes
  // it), else Fractional if the fractional goal is non-zero and this P is
  // not ahead of it, else None.
  MarkWorkerMode chooseMarkWorker(int64_t nowNs, int64_t pFractionalMarkTimeNs);

  // Whether a fractional worker should stop: its P's mark time (including
  // the current run since workerStartNs) over the time since mark start
  // exceeds 1.2 * fractionalUtilizationGoal, or no time has passed.
  bool fractionalWorkerShouldExit(int64_t nowNs, int64_t pFractionalMarkTimeNs, int64_t workerStartNs) const;

  // Idle workers: need (a hint), add (take a slot if one is free), remove.
  // The count may exceed the maximum transiently, as Go allows. remove
  // returns false if the count would go negative (Go throws "negative idle
  // mark workers").
  bool needIdleMarkWorker() const { return s_.idleMarkWorkers < s_.maxIdleMarkWorkers; }
  bool addIdleMarkWorker();
  bool removeIdleMarkWorker();
  void setMaxIdleMarkWorkers(int32_t max) { s_.maxIdleMarkWorkers = max; }

  // --- Results.

  // The heap goal now (heapGoal / heapGoalInternal), including the memory
  // limit, the sweep floor and the minimum runway. With GOGC=off and no
  // memory limit this is about 2^63 (MaxInt64 - non-heap memory - 1 MiB),
  // not ~0: the memory-limit goal is always finite. MemStats.NextGC reports
  // this value.
  uint64_t heapGoal() const;
  // The trigger and goal now.
  TriggerResult trigger() const;

  double assistWorkPerByte() const { return s_.assistWorkPerByte; }
  double assistBytesPerWork() const { return s_.assistBytesPerWork; }
  int64_t dedicatedMarkWorkersNeeded() const { return s_.dedicatedMarkWorkersNeeded; }
  double fractionalUtilizationGoal() const { return s_.fractionalUtilizationGoal; }
  int32_t gcPercent() const { return s_.gcPercent; }
  int64_t memoryLimit() const { return s_.memoryLimit; }
  uint64_t heapMinimum() const { return s_.heapMinimum; }
  uint64_t heapLive() const { return s_.heapLive; }
  uint64_t heapMarked() const { return s_.heapMarked; }
  uint64_t triggered() const { return s_.triggered; }
  uint64_t lastHeapGoal() const { return s_.lastHeapGoal; }
  double consMark() const { return s_.consMark; }
  uint64_t runway() const { return s_.runway; }
  bool marking() const { return s_.marking; }

  const PacerState& state() const { return s_; }
  PacerState& mutableStateForTesting() { return s_; }
  const PIController& consMarkController() const { return consMarkController_; }

 private:
  struct GoalAndMinTrigger {
    uint64_t goal;
    uint64_t minTrigger;
  };
  GoalAndMinTrigger heapGoalInternal() const;
  uint64_t memoryLimitHeapGoal() const;
  void commitAndRevise(bool sweepDone);

  PacerState s_;
  PIController consMarkController_;
};

}  // namespace gort::gc
