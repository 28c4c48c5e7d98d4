// The GC pacer (runtime/mgcpacer.go gcControllerState). See pacer.h for
// the model; this file is the arithmetic.
//
// Go does this arithmetic in uint64 and int64 with wrap-around, and converts
// float64 results to integers with the amd64 instructions' rules. Those
// corners are reachable (a negative consMark gives a huge runway, GOGC=off
// with a finite goal near 2^63 overflows the hard goal), so the same results
// are reproduced here without C++ undefined behaviour: signed sums go
// through uint64, and float-to-integer conversions go through goInt64 and
// goUint64 below.

#include "gc/pacer.h"

#include <cmath>
#include <cstdio>

namespace gort::gc {
namespace {

constexpr double kTwo63 = 9223372036854775808.0;

// int64(f) as Go on amd64 computes it (CVTTSD2SQ): truncation toward zero,
// and the "integer indefinite" value INT64_MIN for NaN and anything out of
// range.
int64_t goInt64(double f) {
  if (!(f >= -kTwo63 && f < kTwo63)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(f);
}

// uint64(f) as Go on amd64 computes it: below 2^63 the signed conversion,
// reinterpreted (so -5.5 gives 2^64-5); from 2^63 the signed conversion of
// f - 2^63 with the top bit set. NaN and values of 2^64 or more give 2^63.
uint64_t goUint64(double f) {
  if (f < kTwo63) {
    return static_cast<uint64_t>(goInt64(f));
  }
  return static_cast<uint64_t>(goInt64(f - kTwo63)) | (uint64_t{1} << 63);
}

int64_t wrapAdd(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b)); }
int64_t wrapSub(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b)); }
int64_t wrapMul(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b)); }
uint64_t addSigned(uint64_t a, int64_t d) { return a + static_cast<uint64_t>(d); }

// How far the rounded number of dedicated workers may miss the 25% before
// fractional workers make up the difference.
constexpr double kMaxUtilError = 0.3;
// Once heapLive is past even the extrapolated goal, aim this much further
// so the cycle still has somewhere to finish.
constexpr double kMaxOvershoot = 1.1;
// A floor on the remaining scan work: marking is racy (objects can be
// scanned twice), so the remaining estimate can go to zero or below.
constexpr int64_t kMinScanWorkRemaining = 1000;
// revise()'s stand-in for GOGC=off, for cycles forced with runtime.GC().
constexpr int32_t kGCPercentWhenOff = 100000;
// The fractional worker's slack over its goal before it yields, so it is
// not behind again the moment it stops.
constexpr double kFractionalExitSlack = 1.2;

}  // namespace

int32_t readGOGC(const char* value) {
  if (value == nullptr) {
    return 100;
  }
  std::string s(value);
  if (s == "off") {
    return -1;
  }
  // Go's atoi64 then a range check to int32. Note it accepts "-" alone as 0
  // (the sign is stripped and no digits remain) and rejects a '+' sign.
  if (s.empty()) {
    return 100;
  }
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
  }
  uint64_t un = 0;
  for (; i < s.size(); i++) {
    char c = s[i];
    if (c < '0' || c > '9') {
      return 100;
    }
    if (un > std::numeric_limits<uint64_t>::max() / 10) {
      return 100;
    }
    un *= 10;
    uint64_t un1 = un + static_cast<uint64_t>(c - '0');
    if (un1 < un) {
      return 100;
    }
    un = un1;
  }
  constexpr uint64_t kMaxI32 = static_cast<uint64_t>(std::numeric_limits<int32_t>::max());
  if (!neg && un > kMaxI32) {
    return 100;
  }
  if (neg && un > kMaxI32 + 1) {
    return 100;
  }
  return neg ? static_cast<int32_t>(-static_cast<int64_t>(un)) : static_cast<int32_t>(un);
}

// --- PIController

PIController::Result PIController::next(double input, double setpoint, double period) {
  double prop = kp_ * (setpoint - input);
  double rawOutput = prop + errIntegral_;

  double output = rawOutput;
  if (std::isinf(output) || std::isnan(output)) {
    // The input was already huge, or became so: nothing sensible can be
    // said, so start over from a clean integral.
    reset();
    inputOverflow_ = true;
    return {min_, false};
  }
  if (output < min_) {
    output = min_;
  } else if (output > max_) {
    output = max_;
  }

  if (ti_ != 0 && tt_ != 0) {
    // Integral term, plus anti-windup: while the output is clipped,
    // (output - rawOutput) pulls the integral back at rate 1/tt.
    errIntegral_ += (kp_ * period / ti_) * (setpoint - input) + (period / tt_) * (output - rawOutput);
    if (std::isinf(errIntegral_) || std::isnan(errIntegral_)) {
      reset();
      errOverflow_ = true;
      return {min_, false};
    }
  }
  return {output, true};
}

// --- TriggerResult

std::string TriggerResult::diagnostic() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "trigger=%llu heapGoal=%llu\nminTrigger=%llu maxTrigger=%llu\n",
                static_cast<unsigned long long>(trigger), static_cast<unsigned long long>(goal),
                static_cast<unsigned long long>(minTrigger), static_cast<unsigned long long>(maxTrigger));
  return buf;
}

// --- Pacer

Pacer::Pacer(int32_t gcPercent, int64_t memoryLimit)
    // kp and ti came from Ziegler-Nichols tuning in simulation, with ti then
    // raised by hand against real programs to ride out the noise in the
    // measured cons/mark. tt is deliberately long: clipping is harmless here,
    // so the integral should unwind from it slowly.
    : consMarkController_(0.9, 4.0, 1000, -1000, 1000) {
  s_.heapMinimum = kDefaultHeapMinimum;
  s_.triggered = kNotTriggered;
  // Like Go's init: store both settings, then one commit. No cycle has run,
  // so there is no sweep to leave room for.
  if (gcPercent < 0) {
    gcPercent = -1;
  }
  s_.heapMinimum = kDefaultHeapMinimum * static_cast<uint64_t>(static_cast<int64_t>(gcPercent)) / 100;
  s_.gcPercent = gcPercent;
  if (memoryLimit >= 0) {
    s_.memoryLimit = memoryLimit;
  }
  commit(true);
}

int32_t Pacer::setGCPercent(int32_t in, bool sweepDone) {
  int32_t out = s_.gcPercent;
  if (in < 0) {
    in = -1;
  }
  // With in = -1 the unsigned product wraps, as in Go; the result is
  // meaningless but harmless, since the GOGC goal is then ~0 anyway.
  s_.heapMinimum = kDefaultHeapMinimum * static_cast<uint64_t>(static_cast<int64_t>(in)) / 100;
  s_.gcPercent = in;
  commitAndRevise(sweepDone);
  return out;
}

int64_t Pacer::setMemoryLimit(int64_t in, bool sweepDone) {
  int64_t out = s_.memoryLimit;
  if (in < 0 || in == out) {
    return out;
  }
  s_.memoryLimit = in;
  commitAndRevise(sweepDone);
  return out;
}

void Pacer::commitAndRevise(bool sweepDone) {
  commit(sweepDone);
  if (s_.marking) {
    revise();
  }
}

void Pacer::update(int64_t dHeapLive, int64_t dHeapScan) {
  if (dHeapLive != 0) {
    s_.heapLive = addSigned(s_.heapLive, dHeapLive);
  }
  if (!s_.marking) {
    // heapScan is the worst case for this cycle's scan work, so it is only
    // allowed to move between cycles.
    if (dHeapScan != 0) {
      s_.heapScan = addSigned(s_.heapScan, dHeapScan);
    }
  } else {
    revise();
  }
}

void Pacer::addScannableStack(int64_t amount) { s_.maxStackScan = addSigned(s_.maxStackScan, amount); }

void Pacer::addGlobals(int64_t amount) { s_.globalsScan = addSigned(s_.globalsScan, amount); }

void Pacer::addScanWork(int64_t heap, int64_t stack, int64_t globals) {
  s_.heapScanWork = wrapAdd(s_.heapScanWork, heap);
  s_.stackScanWork = wrapAdd(s_.stackScanWork, stack);
  s_.globalsScanWork = wrapAdd(s_.globalsScanWork, globals);
}

bool Pacer::markWorkerStop(MarkWorkerMode mode, int64_t durationNs) {
  switch (mode) {
    case MarkWorkerMode::Dedicated:
      s_.dedicatedMarkTime += durationNs;
      s_.dedicatedMarkWorkersNeeded++;
      return true;
    case MarkWorkerMode::Fractional:
      s_.fractionalMarkTime += durationNs;
      return true;
    case MarkWorkerMode::Idle:
      s_.idleMarkTime += durationNs;
      return removeIdleMarkWorker();
    case MarkWorkerMode::None:
      break;
  }
  return false;
}

CycleStart Pacer::startCycle(int64_t markStartTimeNs, int procs, TriggerKind kind, bool stopTheWorld) {
  s_.heapScanWork = 0;
  s_.stackScanWork = 0;
  s_.globalsScanWork = 0;
  s_.bgScanCredit = 0;
  s_.assistTime = 0;
  s_.dedicatedMarkTime = 0;
  s_.fractionalMarkTime = 0;
  s_.idleMarkTime = 0;
  s_.markStartTime = markStartTimeNs;

  // Go 1.19 records the *computed* trigger here, not the heapLive at which
  // the cycle actually began: with the real point the PI controller flails
  // (golang/go#53738), so 1.19 keeps the less accurate but steadier value.
  CycleStart out;
  out.trigger = trigger();
  s_.triggered = out.trigger.trigger;

  // Round the dedicated workers to the nearest whole P. Rounding is too
  // coarse for small GOMAXPROCS (and for 6), so then fractional workers
  // make up what the dedicated ones miss.
  double totalUtilizationGoal = static_cast<double>(procs) * kGCBackgroundUtilization;
  s_.dedicatedMarkWorkersNeeded = static_cast<int64_t>(totalUtilizationGoal + 0.5);
  double utilError = static_cast<double>(s_.dedicatedMarkWorkersNeeded) / totalUtilizationGoal - 1;
  if (utilError < -kMaxUtilError || utilError > kMaxUtilError) {
    if (static_cast<double>(s_.dedicatedMarkWorkersNeeded) > totalUtilizationGoal) {
      s_.dedicatedMarkWorkersNeeded--;
    }
    s_.fractionalUtilizationGoal =
        (totalUtilizationGoal - static_cast<double>(s_.dedicatedMarkWorkersNeeded)) / static_cast<double>(procs);
  } else {
    s_.fractionalUtilizationGoal = 0;
  }

  // Stop-the-world marking: every P marks.
  if (stopTheWorld) {
    s_.dedicatedMarkWorkersNeeded = procs;
    s_.fractionalUtilizationGoal = 0;
  }

  if (kind == TriggerKind::Time) {
    // A periodic cycle comes when the program is idle anyway; no need to
    // flood every idle P with marking. But fractional workers alone are not
    // scheduled reliably enough to guarantee progress, so without a
    // dedicated worker one idle worker stays allowed.
    s_.maxIdleMarkWorkers = s_.dedicatedMarkWorkersNeeded > 0 ? 0 : 1;
  } else {
    s_.maxIdleMarkWorkers = static_cast<int32_t>(procs) - static_cast<int32_t>(s_.dedicatedMarkWorkersNeeded);
  }

  s_.marking = true;
  out.assist = revise();
  out.dedicatedMarkWorkersNeeded = s_.dedicatedMarkWorkersNeeded;
  out.fractionalUtilizationGoal = s_.fractionalUtilizationGoal;
  out.maxIdleMarkWorkers = s_.maxIdleMarkWorkers;
  return out;
}

AssistRatios Pacer::revise() {
  int32_t gcPercent = s_.gcPercent;
  if (gcPercent < 0) {
    // A forced cycle with GOGC=off: pace as if GOGC were enormous.
    gcPercent = kGCPercentWhenOff;
  }
  uint64_t live = s_.heapLive;
  uint64_t scan = s_.heapScan;
  int64_t work = wrapAdd(wrapAdd(s_.heapScanWork, s_.stackScanWork), s_.globalsScanWork);

  // Aim at the goal as if the heap were in a steady state: this cycle will
  // scan what the last one scanned, plus this cycle's globals.
  int64_t heapGoal = static_cast<int64_t>(this->heapGoal());
  int64_t scanWorkExpected = static_cast<int64_t>(s_.lastHeapScan + s_.lastStackScan + s_.globalsScan);

  // The worst case: every scannable heap byte is live and every allocated
  // stack byte is scanned.
  int64_t maxScanWork = static_cast<int64_t>(scan + s_.maxStackScan + s_.globalsScan);
  int64_t triggered = static_cast<int64_t>(s_.triggered);
  if (work > scanWorkExpected) {
    // More work than expected means the heap is growing. Stretch the runway
    // planned for scanWorkExpected to cover maxScanWork, so the assist
    // ratio stays flat: the next cycle will need at least this much memory
    // anyway. The stretch stops at the hard goal, (1 + GOGC/100) * goal.
    int64_t extHeapGoal = wrapAdd(goInt64(static_cast<double>(wrapSub(heapGoal, triggered)) /
                                          static_cast<double>(scanWorkExpected) * static_cast<double>(maxScanWork)),
                                  triggered);
    scanWorkExpected = maxScanWork;
    int64_t hardGoal = goInt64((1.0 + static_cast<double>(gcPercent) / 100.0) * static_cast<double>(heapGoal));
    if (extHeapGoal > hardGoal) {
      extHeapGoal = hardGoal;
    }
    heapGoal = extHeapGoal;
  }
  if (static_cast<int64_t>(live) > heapGoal) {
    // Past even that goal: leave a little more room, and assume the worst
    // case for the work left.
    heapGoal = goInt64(static_cast<double>(heapGoal) * kMaxOvershoot);
    scanWorkExpected = maxScanWork;
  }

  int64_t scanWorkRemaining = wrapSub(scanWorkExpected, work);
  if (scanWorkRemaining < kMinScanWorkRemaining) {
    scanWorkRemaining = kMinScanWorkRemaining;
  }
  int64_t heapRemaining = wrapSub(heapGoal, static_cast<int64_t>(live));
  if (heapRemaining <= 0) {
    // Cannot happen by construction; never divide by zero or go negative.
    heapRemaining = 1;
  }

  // By the time the mutator has allocated heapRemaining more bytes it must
  // have done (or stolen) scanWorkRemaining units of scan work.
  AssistRatios r;
  r.workPerByte = static_cast<double>(scanWorkRemaining) / static_cast<double>(heapRemaining);
  r.bytesPerWork = static_cast<double>(heapRemaining) / static_cast<double>(scanWorkRemaining);
  s_.assistWorkPerByte = r.workPerByte;
  s_.assistBytesPerWork = r.bytesPerWork;
  return r;
}

CycleEnd Pacer::endCycle(int64_t nowNs, int procs, bool /*userForced*/) {
  CycleEnd out;
  s_.marking = false;
  // The scavenger paces itself against the goal the cycle ended with,
  // before the next commit moves it.
  s_.lastHeapGoal = heapGoal();

  // Assists ran from mark start until now. Background marking is assumed
  // to have met its 25%.
  int64_t assistDuration = nowNs - s_.markStartTime;
  double utilization = kGCBackgroundUtilization;
  if (assistDuration > 0) {
    utilization += static_cast<double>(s_.assistTime) / static_cast<double>(wrapMul(assistDuration, procs));
  }
  out.utilization = utilization;
  out.oldConsMark = s_.consMark;
  out.consMark = s_.consMark;

  if (s_.heapLive <= s_.triggered) {
    // A cycle too short to have allocated anything says nothing about the
    // cons/mark ratio.
    return out;
  }
  double idleUtilization = 0.0;
  if (assistDuration > 0) {
    idleUtilization = static_cast<double>(s_.idleMarkTime) / static_cast<double>(wrapMul(assistDuration, procs));
  }
  out.idleUtilization = idleUtilization;

  // cons/mark = (bytes allocated per mutator CPU-ns) / (bytes scanned per
  // GC CPU-ns). The mutator had (1 - utilization) of the CPUs; the GC had
  // utilization plus whatever idle time it soaked up (idle time is not
  // counted against the mutator, which could have taken it at any moment).
  // The duration and the number of Ps cancel out of the ratio.
  int64_t scanWork = wrapAdd(wrapAdd(s_.heapScanWork, s_.stackScanWork), s_.globalsScanWork);
  double currentConsMark = (static_cast<double>(s_.heapLive - s_.triggered) * (utilization + idleUtilization)) /
                           (static_cast<double>(scanWork) * (1 - utilization));
  out.currentConsMark = currentConsMark;

  // The raw value is what would have been exactly right for this cycle,
  // but it is far too noisy to use as is; the overdamped PI controller
  // converges on the steady value hidden under the noise instead.
  PIController::Result r = consMarkController_.next(s_.consMark, currentConsMark, 1.0);
  s_.consMark = r.ok ? r.output : 0;
  out.consMark = s_.consMark;
  out.controllerReset = !r.ok;
  out.updated = true;
  return out;
}

void Pacer::resetLive(uint64_t bytesMarked) {
  s_.marking = false;
  s_.heapMarked = bytesMarked;
  s_.heapLive = bytesMarked;
  s_.heapScan = static_cast<uint64_t>(s_.heapScanWork);
  s_.lastHeapScan = static_cast<uint64_t>(s_.heapScanWork);
  s_.lastStackScan = static_cast<uint64_t>(s_.stackScanWork);
  s_.triggered = kNotTriggered;
}

void Pacer::commit(bool sweepDone) {
  // Concurrent sweep runs while the heap grows from heapLive to the
  // trigger; if a sudden change (a new GOGC, say) moved the trigger close,
  // keep at least 1 MiB of growth for it. This floor binds the goal too.
  s_.sweepDistMinTrigger = sweepDone ? 0 : s_.heapLive + kSweepMinHeapDistance;

  // Grow by GOGC/100 over the last marked heap, counting stacks and
  // globals as part of what there is to scan.
  uint64_t goal = ~uint64_t{0};
  if (s_.gcPercent >= 0) {
    goal = s_.heapMarked + (s_.heapMarked + s_.lastStackScan + s_.globalsScan) *
                               static_cast<uint64_t>(s_.gcPercent) / 100;
  }
  if (goal < s_.heapMinimum) {
    goal = s_.heapMinimum;
  }
  s_.gcPercentHeapGoal = goal;

  // consMark is a ratio of rates per CPU; weighting it by the intended
  // split of CPUs (75% mutator, 25% GC) turns the expected scan work into
  // the bytes the mutator will allocate meanwhile.
  s_.runway = goUint64((s_.consMark * (1 - kGCGoalUtilization) / kGCGoalUtilization) *
                       static_cast<double>(s_.lastHeapScan + s_.lastStackScan + s_.globalsScan));
}

Pacer::GoalAndMinTrigger Pacer::heapGoalInternal() const {
  GoalAndMinTrigger r{s_.gcPercentHeapGoal, 0};
  uint64_t limitGoal = memoryLimitHeapGoal();
  if (limitGoal < r.goal) {
    // Memory-limited: none of the floors below apply, since each could push
    // the goal past the limit (and the sweep floor is then kept out of the
    // trigger too, which must stay below the goal).
    r.goal = limitGoal;
    return r;
  }
  uint64_t sweepDistTrigger = s_.sweepDistMinTrigger;
  if (sweepDistTrigger > r.goal) {
    r.goal = sweepDistTrigger;
  }
  r.minTrigger = sweepDistTrigger;
  // A late start, or one huge allocation across the trigger, can leave the
  // trigger next to the goal; assists scale with the distance left, so
  // keep some.
  if (s_.triggered != kNotTriggered && r.goal < s_.triggered + kMinRunway) {
    r.goal = s_.triggered + kMinRunway;
  }
  return r;
}

uint64_t Pacer::memoryLimitHeapGoal() const {
  uint64_t heapFree = s_.mem.heapFree;
  uint64_t heapAlloc = s_.mem.heapAlloc;
  uint64_t mappedReady = s_.mem.mappedReady;
  if (heapFree + heapAlloc > mappedReady) {
    mappedReady = heapFree + heapAlloc;
  }
  uint64_t memoryLimit = static_cast<uint64_t>(s_.memoryLimit);

  // What counts against the limit but cannot hold heap objects. Free heap
  // pages are left out: in the steady state they are just where the next
  // objects go.
  uint64_t nonHeapMemory = mappedReady - heapFree - heapAlloc;
  // How far over the limit we already are; pulling the goal down by that
  // much makes the next cycle come sooner and give memory back.
  uint64_t overage = mappedReady > memoryLimit ? mappedReady - memoryLimit : 0;

  if (nonHeapMemory + overage >= memoryLimit) {
    // Non-heap memory alone fills the limit: collect continuously, at the
    // lowest goal that makes sense.
    return s_.heapMarked;
  }
  uint64_t goal = memoryLimit - (nonHeapMemory + overage);
  // Headroom for pacing error, which matters most for small heaps; never
  // below the headroom itself, nor below the live heap.
  if (goal < kMemoryLimitHeapGoalHeadroom || goal - kMemoryLimitHeapGoalHeadroom < kMemoryLimitHeapGoalHeadroom) {
    goal = kMemoryLimitHeapGoalHeadroom;
  } else {
    goal -= kMemoryLimitHeapGoalHeadroom;
  }
  if (goal < s_.heapMarked) {
    goal = s_.heapMarked;
  }
  return goal;
}

uint64_t Pacer::heapGoal() const { return heapGoalInternal().goal; }

TriggerResult Pacer::trigger() const {
  GoalAndMinTrigger g = heapGoalInternal();
  uint64_t goal = g.goal;
  uint64_t minTrigger = g.minTrigger;
  TriggerResult r;
  r.goal = goal;

  if (s_.heapMarked >= goal) {
    // Defensive: a goal at or under the live heap can only mean "collect
    // continuously", at the goal.
    r.trigger = r.minTrigger = r.maxTrigger = goal;
    return r;
  }
  if (minTrigger < s_.heapMarked) {
    minTrigger = s_.heapMarked;
  }

  // Too low a trigger under a fast allocator means marking nearly all the
  // time while allocating black, and the heap creeps up; better to spend
  // more CPU in assists.
  uint64_t distance = goal - s_.heapMarked;
  uint64_t triggerLowerBound = (distance / kTriggerRatioDen) * kMinTriggerRatioNum + s_.heapMarked;
  if (minTrigger < triggerLowerBound) {
    minTrigger = triggerLowerBound;
  }

  // Always leave some headroom at start: 1/16 of the distance for small
  // heaps, but for large ones no more than one minimum heap (the runway a
  // cycle with almost nothing to scan needs).
  uint64_t maxTrigger = (distance / kTriggerRatioDen) * kMaxTriggerRatioNum + s_.heapMarked;
  if (goal > kDefaultHeapMinimum && goal - kDefaultHeapMinimum > maxTrigger) {
    maxTrigger = goal - kDefaultHeapMinimum;
  }
  if (maxTrigger < minTrigger) {
    maxTrigger = minTrigger;
  }

  uint64_t trig;
  if (s_.runway > goal) {
    trig = minTrigger;
  } else {
    trig = goal - s_.runway;
  }
  if (trig < minTrigger) {
    trig = minTrigger;
  }
  if (trig > maxTrigger) {
    trig = maxTrigger;
  }
  r.trigger = trig;
  r.minTrigger = minTrigger;
  r.maxTrigger = maxTrigger;
  r.ok = trig <= goal;
  return r;
}

MarkWorkerMode Pacer::chooseMarkWorker(int64_t nowNs, int64_t pFractionalMarkTimeNs) {
  if (s_.dedicatedMarkWorkersNeeded > 0) {
    s_.dedicatedMarkWorkersNeeded--;
    return MarkWorkerMode::Dedicated;
  }
  if (s_.fractionalUtilizationGoal == 0) {
    return MarkWorkerMode::None;
  }
  int64_t delta = nowNs - s_.markStartTime;
  if (delta > 0 &&
      static_cast<double>(pFractionalMarkTimeNs) / static_cast<double>(delta) > s_.fractionalUtilizationGoal) {
    return MarkWorkerMode::None;  // this P is ahead of its share
  }
  return MarkWorkerMode::Fractional;
}

bool Pacer::fractionalWorkerShouldExit(int64_t nowNs, int64_t pFractionalMarkTimeNs, int64_t workerStartNs) const {
  int64_t delta = nowNs - s_.markStartTime;
  if (delta <= 0) {
    return true;
  }
  int64_t selfTime = pFractionalMarkTimeNs + (nowNs - workerStartNs);
  return static_cast<double>(selfTime) / static_cast<double>(delta) >
         kFractionalExitSlack * s_.fractionalUtilizationGoal;
}

bool Pacer::addIdleMarkWorker() {
  if (s_.idleMarkWorkers >= s_.maxIdleMarkWorkers || s_.idleMarkWorkers < 0) {
    return false;
  }
  s_.idleMarkWorkers++;
  return true;
}

bool Pacer::removeIdleMarkWorker() {
  if (s_.idleMarkWorkers - 1 < 0) {
    return false;
  }
  s_.idleMarkWorkers--;
  return true;
}

}  // namespace gort::gc
