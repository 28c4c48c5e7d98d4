// The cycle (see collector.h for the numbered phases): starting it, deciding
// marking is done, and mark termination.

#include "gc/collector.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "gc/finalizer.h"
#include "gc/gctrace.h"
#include "gc/verify.h"
#include "sched/fatal.h"

namespace gort::gc {

// Real time since the run started: gctrace, pauses, MemStats.
int64_t realNow() { return sched::realNanotime() - gCollector->runStartReal; }

// The pacer's clock. Deterministic mode must make the same decisions on
// every run, so there the pacer measures time in scheduling decisions
// (detTicks), not nanoseconds; parallel mode uses real time.
int64_t pacerNow() {
  Collector* c = gCollector;
  return sched::deterministic() ? c->detTicks.load(std::memory_order_relaxed) : realNow();
}

void publishPacer() {
  Collector* c = gCollector;
  TriggerResult t = c->pacer.trigger();
  c->triggerBytes.store(static_cast<int64_t>(std::min<uint64_t>(t.trigger, INT64_MAX)), std::memory_order_relaxed);
  c->assistWorkPerByte.store(c->pacer.assistWorkPerByte(), std::memory_order_relaxed);
  c->assistBytesPerWork.store(c->pacer.assistBytesPerWork(), std::memory_order_relaxed);
}

void flushAlloc(sched::P*, PState* ps) {
  Collector* c = gCollector;
  int64_t n = ps->unflushed;
  int64_t scan = ps->unflushedScan;
  ps->unflushed = 0;
  ps->unflushedScan = 0;
  int64_t live;
  {
    std::lock_guard<sched::SpinLock> lk(c->pacerLock);
    c->pacer.update(n, scan);
    live = static_cast<int64_t>(c->pacer.heapLive());
    if (c->pacer.marking()) {
      c->assistWorkPerByte.store(c->pacer.assistWorkPerByte(), std::memory_order_relaxed);
      c->assistBytesPerWork.store(c->pacer.assistBytesPerWork(), std::memory_order_relaxed);
    }
  }
  c->heapLive.store(live, std::memory_order_relaxed);
  if (c->phase.load(std::memory_order_relaxed) != kGCoff) return;
  if (live >= c->triggerBytes.load(std::memory_order_relaxed) && c->pacer.gcPercent() >= 0) ps->triggerPending = true;
  // Proportional sweep: a chunk per sweepBytesPerChunk allocated, so that
  // sweeping ends before the heap reaches the next trigger
  // (deductSweepCredit).
  if (c->unsweptChunks.load(std::memory_order_relaxed) > 0) {
    ps->sweepCredit += n;
    int64_t per = c->sweepBytesPerChunk;
    if (ps->sweepCredit >= per) {
      int64_t k = ps->sweepCredit / per;
      ps->sweepDebt += k;
      ps->sweepCredit -= k * per;
    }
  }
}

void paySweepDebt(PState* ps) {
  while (ps->sweepDebt > 0) {
    ps->sweepDebt--;
    if (!sweepOne()) {
      ps->sweepDebt = 0;
      break;
    }
    sched::safepoint();
    ps = pstate(sched::getp());
  }
}

namespace {

// Stack bytes goroutines use now (Go's maxStackScan, the worst case of
// stack scan work).
int64_t stackBytesNow(std::vector<sched::G*>* gs) {
  int64_t total = 0;
  sched::forEachG([&](sched::G* g) {
    uint32_t s = g->status() & ~sched::kGscan;
    if (s == sched::kGidle) return;
    gs->push_back(g);
    if (g->started) total += std::max<int64_t>(2048, static_cast<int64_t>(g->stack.size / 64));
  });
  return total;
}

void markTermination();

}  // namespace

void gcStart(bool forced, bool stress) {
  Collector* c = gCollector;
  sched::G* me = sched::getg();
  if (me == nullptr) return;
  if (c->starting.exchange(true, std::memory_order_acq_rel)) return;  // someone else is starting one
  // A gcstress cycle is due by allocation count, not heap size.
  if (c->phase.load() != kGCoff ||
      (!forced && (c->pacer.gcPercent() < 0 ||
                   (!stress &&
                    c->heapLive.load(std::memory_order_relaxed) < c->triggerBytes.load(std::memory_order_relaxed))))) {
    c->starting.store(false, std::memory_order_release);
    return;
  }
  startBackgroundGoroutines();
  // Sweep what is left before stopping the world, so the pause stays short;
  // with safepoints, so that another stop (a cycle's end) is not held off.
  while (sweepOne()) sched::safepoint();

  int64_t t0 = realNow();
  sched::stopTheWorld("GC sweep termination");
  finishSweep();
  releaseQuarantine();

  c->cycles.fetch_add(1);
  uint32_t e = c->epoch.fetch_add(1) + 1;
  (void)e;
  c->cur = CycleRecord{};
  c->cur.n = c->numGC + 1;
  c->cur.forced = forced;
  c->cur.tStart = t0;
  c->cur.heap0 = c->heapLive.load();
  c->cur.procs = c->procs;

  // The roots of this cycle.
  std::vector<sched::G*> gs;
  int64_t stacks = stackBytesNow(&gs);
  // Assist credit and debt are per cycle (gcResetMarkState): left over,
  // a big credit would exempt a goroutine from assisting in later cycles.
  for (sched::G* g : gs) gstate(g)->assistBytes = 0;
  int64_t globals = kGoRuntimeGlobals;
  forEachGlobal([&](detail::RootNode*) { globals += 8; });
  c->roots.clear();
  c->roots.push_back({RootJob::Globals, nullptr});
  c->roots.push_back({RootJob::FinalizerObjects, nullptr});
  c->roots.push_back({RootJob::FinalizerQueue, nullptr});
  for (sched::G* g : gs) c->roots.push_back({RootJob::Goroutine, g});
  c->nextRoot.store(0);
  c->rootsLeft.store(static_cast<int64_t>(c->roots.size()));
  c->bytesMarked.store(0);
  c->scanWorkDone.store(0);
  c->markDoneRestarts = 0;
  c->detTicks.store(0);
  for (sched::P* p : sched::gSched->allp) {
    PState* ps = pstate(p);
    ps->fractionalTime = 0;
    ps->scanWork = 0;
  }

  {
    std::lock_guard<sched::SpinLock> lk(c->pacerLock);
    c->pacer.addScannableStack(stacks - c->lastStacks);
    c->pacer.addGlobals(globals - c->lastGlobals);
    c->lastStacks = stacks;
    c->lastGlobals = globals;
    CycleStart cs = c->pacer.startCycle(pacerNow(), c->procs, forced ? TriggerKind::Cycle : TriggerKind::Heap,
                                        c->cfg.stopTheWorld > 0);
    if (!cs.trigger.ok) {
      std::fputs(cs.trigger.diagnostic().c_str(), stderr);
      sched::throwError(kTriggerAboveGoalMessage);
    }
    publishPacer();
  }
  c->cur.stacks = stacks;
  c->cur.globals = globals;

  sched::setGcScanning(true);
  c->phase.store(kGCmark, std::memory_order_release);
  detail::gWriteBarrier.store(true, std::memory_order_seq_cst);
  c->blackenEnabled.store(true, std::memory_order_release);
  c->cur.tMark = realNow();
  c->cur.sweepTermNs = c->cur.tMark - t0;

  if (c->cfg.stopTheWorld > 0) {
    // GODEBUG=gcstoptheworld: mark with the world stopped.
    PState* ps = pstate(sched::getp());
    do {
      scanPendingGoroutines();
      for (sched::P* p : sched::gSched->allp) flushWorkBuf(pstate(p));
      drain(ps, -1, 0);
    } while (markWorkAvailable());
    c->cur.tMarkTerm = realNow();
    markTermination();
    c->starting.store(false, std::memory_order_release);
    return;
  }
  sched::startTheWorld();
  c->starting.store(false, std::memory_order_release);
  // Idle Ps can mark: wake one (it wakes the next if it finds more work).
  sched::wakep();
}

void gcMarkDone() {
  Collector* c = gCollector;
  if (c->markDoneRunning.exchange(true, std::memory_order_acq_rel)) return;
  // Someone still marking will try again when done (it is the last out).
  if (c->phase.load() != kGCmark || !c->blackenEnabled.load() || markWorkAvailable() || markersActive()) {
    c->markDoneRunning.store(false, std::memory_order_release);
    return;
  }
  fillSpareChunks();  // so that mark termination allocates no logs
  int64_t t0 = realNow();  // the pause counts from the stop request, as Go's does
  sched::stopTheWorld("GC mark termination");
  // Every goroutine is stopped at a safepoint now: the ones not yet scanned
  // can be, and every P's local grey objects become visible.
  scanPendingGoroutines();
  for (sched::P* p : sched::gSched->allp) flushWorkBuf(pstate(p));
  if (markWorkAvailable()) {
    if (c->markDoneRestarts++ < 4) {
      // Grey objects turned up (the write barrier shaded them on some P):
      // let the workers take them concurrently, as gcMarkDone does. The
      // stop still counts as a pause of this cycle.
      c->cur.restartPauseNs += realNow() - t0;
      sched::startTheWorld();
      c->markDoneRunning.store(false, std::memory_order_release);
      return;
    }
    // Still more after four restarts: finish with the world stopped.
    PState* ps = pstate(sched::getp());
    do {
      drain(ps, -1, 0);
      scanPendingGoroutines();
      for (sched::P* p : sched::gSched->allp) flushWorkBuf(pstate(p));
    } while (markWorkAvailable());
  }
  c->cur.tMarkTerm = t0;
  markTermination();
  c->markDoneRunning.store(false, std::memory_order_release);
}

namespace {

// Mark termination, with the world stopped; starts it again.
void markTermination() {
  Collector* c = gCollector;
  c->phase.store(kGCmarktermination, std::memory_order_release);
  c->blackenEnabled.store(false, std::memory_order_release);

  // Objects with finalizers that nothing reaches are queued and kept alive
  // for one more cycle; what they reference must be marked too.
  queueUnreachableFinalizers();
  PState* ps = pstate(sched::getp());
  drain(ps, -1, 0);
  for (sched::P* p : sched::gSched->allp) flushWorkBuf(pstate(p));
  while (markWorkAvailable()) {
    drain(ps, -1, 0);
    for (sched::P* p : sched::gSched->allp) flushWorkBuf(pstate(p));
  }

  if (c->cfg.verify) verifyHeap();

  int64_t marked = c->bytesMarked.load();
  // The rest of the heap work (drain published most of it; the roots'
  // work was published as they were scanned).
  int64_t heapWork = 0;
  for (sched::P* p : sched::gSched->allp) {
    heapWork += pstate(p)->unpublishedWork;
    pstate(p)->unpublishedWork = 0;
  }
  c->cur.heap1 = c->heapLive.load();
  c->cur.heap2 = marked;
  {
    std::lock_guard<sched::SpinLock> lk(c->pacerLock);
    c->pacer.addScanWork(heapWork, 0, 0);
    c->pacer.endCycle(pacerNow(), c->procs, c->cur.forced);
    c->cur.goal = static_cast<int64_t>(c->pacer.lastHeapGoal());
    c->pacer.resetLive(static_cast<uint64_t>(marked));
    c->heapLive.store(marked);
  }

  c->phase.store(kGCoff, std::memory_order_release);
  detail::gWriteBarrier.store(false, std::memory_order_seq_cst);
  sched::setGcScanning(false);
  sched::clearGcAttention(nullptr);

  // Every allocation log goes to the sweeper.
  int64_t chunks = 0;
  {
    std::lock_guard<sched::SpinLock> lk(c->sweepLock);
    for (sched::P* p : sched::gSched->allp) {
      AllocChunk* ch = takeChunk(pstate(p));
      if (ch->n == 0) {
        freeChunk(ch);
        continue;
      }
      ch->next = c->swept;
      c->swept = ch;
      c->sweptChunks++;
    }
    c->unswept = c->swept;
    c->swept = nullptr;
    chunks = c->sweptChunks;
    c->sweptChunks = 0;
    c->unsweptChunks.store(chunks);
  }
  {
    std::lock_guard<sched::SpinLock> lk(c->pacerLock);
    c->pacer.commit(/*sweepDone=*/chunks == 0);
    publishPacer();
  }
  // Sweep pacing: the chunks spread over the distance to the next trigger
  // (with GOGC=off it is near INT64_MAX), but at least one chunk per 64 KiB
  // allocated while any is left.
  int64_t distance = std::max<int64_t>(1 << 20, c->triggerBytes.load() - c->heapLive.load());
  c->sweepBytesPerChunk = std::clamp<int64_t>(chunks > 0 ? distance / chunks : distance, 1, 64 << 10);
  for (sched::P* p : sched::gSched->allp) pstate(p)->sweepCredit = 0;

  c->numGC++;
  if (c->cur.forced) c->numForcedGC++;
  c->cur.tEnd = realNow();
  c->cur.markTermNs = c->cur.tEnd - c->cur.tMarkTerm;
  uint64_t pause = static_cast<uint64_t>(c->cur.sweepTermNs + c->cur.markTermNs + c->cur.restartPauseNs);
  uint64_t wall = static_cast<uint64_t>(sched::walltime());
  c->pauseNs[(c->numGC + 255) % 256] = pause;
  c->pauseEnd[(c->numGC + 255) % 256] = wall;
  c->pauseTotalNs += pause;
  c->lastGC = wall;
  c->gcCpuNs += static_cast<int64_t>(pause) * c->stwProcs;
  c->gcCpuNs += c->cur.assistNs + c->cur.dedicatedNs + c->cur.fractionalNs;
  c->history.push_back(c->cur);
  // The gctrace line's record, copied while the world is stopped: once it
  // starts, assists of this cycle still finishing add to c->cur (under
  // pacerLock), and the next cycle resets it.
  const CycleRecord done = c->cur;
  c->marksDone.fetch_add(1, std::memory_order_acq_rel);

  if (c->cfg.stopTheWorld >= 2) finishSweep();
  sched::startTheWorld();

  wakeAssists();
  wakeCycleWaiters();
  wakeSweeper();
  wakeFinalizer();
  if (c->cfg.gctrace) printGctrace(done);
}

}  // namespace

// The GODEBUG=gctrace=1 line, to stderr, after the world restarts.
void printGctrace(const CycleRecord& r) {
  Collector* c = gCollector;
  // stwprocs scales the two STW phases' CPU; the fraction is over all Ps.
  int stwProcs = std::min(r.procs, c->stwProcs);
  GCTraceCycle t;
  t.numGC = r.n;
  t.sinceStartNs = r.tStart;
  int64_t total = realNow();
  if (total > 0) t.gcCpuFraction = static_cast<double>(c->gcCpuNs) / (static_cast<double>(total) * r.procs);
  t.sweepTermClockNs = r.sweepTermNs;
  t.markClockNs = r.tMarkTerm - r.tMark;
  t.markTermClockNs = r.markTermNs;
  t.sweepTermCpuNs = r.sweepTermNs * stwProcs;
  t.assistCpuNs = r.assistNs;
  t.backgroundCpuNs = r.dedicatedNs + r.fractionalNs;
  t.idleCpuNs = r.idleNs;
  t.markTermCpuNs = r.markTermNs * stwProcs;
  t.heap0 = static_cast<uint64_t>(r.heap0);
  t.heap1 = static_cast<uint64_t>(r.heap1);
  t.heap2 = static_cast<uint64_t>(r.heap2);
  t.heapGoal = static_cast<uint64_t>(r.goal);
  t.stacks = static_cast<uint64_t>(r.stacks);
  t.globals = static_cast<uint64_t>(r.globals);
  t.procs = r.procs;
  t.forced = r.forced;
  std::string line = formatGCTrace(t);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace gort::gc
