// Who does the mark work: background workers and mutator assists.
//
// Background workers (gcBgMarkWorker). Every P has one worker goroutine,
// parked while the P runs other goroutines. When the P's scheduler looks for
// work while marking, it first asks whether its worker should run
// (findRunnableGCWorker), and the pacer answers: as a dedicated worker (it
// marks until no work is left), a fractional one (it marks until this P's
// share of mark time exceeds the fractional goal) or not at all. A P that
// finds nothing else to do runs its worker as an idle worker. In
// deterministic mode the pacer's clock counts scheduling decisions, so a
// fractional worker takes its 25% share of those, a fixed quantum of work
// at a time.
//
// Assists (gcAssistAlloc). A goroutine that allocates while marking runs up
// a debt in bytes; when it is negative the goroutine pays in scan work:
// assistWorkPerByte units per byte, at least 64 KiB (over-assisting pays
// ahead), first with credit the background workers have banked, then by
// marking itself. If there is no work left to do and the debt remains, it
// parks on the assist queue until the workers bank more credit or the cycle
// ends.

#include <algorithm>

#include "gc/collector.h"
#include "gc/finalizer.h"
#include "sched/fatal.h"

namespace gort::gc {
namespace {

// Deterministic mode: scan work a fractional or idle worker does per turn.
constexpr int64_t kDetWorkerQuantum = 32 << 10;
// Parallel mode: scan work between checks of the fractional time budget.
constexpr int64_t kFractionalSlice = 64 << 10;

int64_t workerDurationSince(int64_t t0) {
  // In deterministic mode one turn of a worker counts as one decision.
  return sched::deterministic() ? 1 : pacerNow() - t0;
}


void workerMain(void* arg) {
  Collector* c = gCollector;
  auto* home = static_cast<sched::P*>(arg);
  for (;;) {
    sched::park(sched::WaitReason::GCWorkerIdle, nullptr, nullptr);
    sched::P* p = sched::getp();
    PState* ps = pstate(p);
    (void)home;
    MarkWorkerMode mode = ps->workerMode;
    int64_t t0 = pacerNow();
    int64_t r0 = realNow();
    int64_t work = 0;
    constexpr unsigned kFlags = kDrainPreemptible | kDrainFlushBgCredit;
    if (sched::deterministic()) {
      work = drain(ps, mode == MarkWorkerMode::Dedicated ? -1 : kDetWorkerQuantum, kFlags);
    } else if (mode == MarkWorkerMode::Dedicated) {
      work = drain(ps, -1, kFlags);
    } else if (mode == MarkWorkerMode::Fractional) {
      for (;;) {
        int64_t w = drain(ps, kFractionalSlice, kFlags);
        work += w;
        if (w == 0 || !c->blackenEnabled.load()) break;
        std::lock_guard<sched::SpinLock> lk(c->pacerLock);
        if (c->pacer.fractionalWorkerShouldExit(pacerNow(), ps->fractionalTime, t0)) break;
      }
    } else {
      // Idle: mark until the P has something else to run.
      for (;;) {
        int64_t w = drain(ps, kFractionalSlice, kFlags);
        work += w;
        if (w == 0 || !c->blackenEnabled.load() || !p->runq.empty() || sched::gSched->runq.size() > 0) break;
      }
    }
    flushWorkBuf(ps);
    int64_t dt = workerDurationSince(t0);
    int64_t real = realNow() - r0;
    {
      // Under the lock: the workers of several Ps stop at once, and this
      // cycle's record is theirs to share.
      std::lock_guard<sched::SpinLock> lk(c->pacerLock);
      c->pacer.markWorkerStop(mode, dt);
      switch (mode) {
        case MarkWorkerMode::Dedicated: c->cur.dedicatedNs += real; break;
        case MarkWorkerMode::Fractional: c->cur.fractionalNs += real; break;
        case MarkWorkerMode::Idle: c->cur.idleNs += real; break;
        case MarkWorkerMode::None: break;
      }
    }
    if (mode == MarkWorkerMode::Fractional) ps->fractionalTime += dt;
    ps->workerMode = MarkWorkerMode::None;
    if (c->blackenEnabled.load() && !markWorkAvailable()) gcMarkDone();
  }
}

sched::G* spawnSystem(void (*fn)(void*), void* arg) {
  sched::G* g = sched::allocG();
  g->fnRun = fn;
  g->fnArg = arg;
  sched::startG(g, 0, /*system=*/true);
  return g;
}

void sweeperEntry(void*) { sweeperMain(); }

}  // namespace

void startBackgroundGoroutines() {
  Collector* c = gCollector;
  if (c->backgroundStarted.exchange(true)) return;
  for (sched::P* p : sched::gSched->allp) pstate(p)->worker = spawnSystem(workerMain, p);
  c->sweeperG = spawnSystem(sweeperEntry, nullptr);
  c->finalizerG = spawnSystem(finalizerMain, nullptr);
}

sched::G* findWorker(sched::P* p, bool idle) {
  Collector* c = gCollector;
  if (c == nullptr || !c->blackenEnabled.load(std::memory_order_relaxed) || testing::manualMarking()) return nullptr;
  if (sched::deterministic() && !idle) c->detTicks.fetch_add(1, std::memory_order_relaxed);
  PState* ps = pstate(p);
  sched::G* w = ps->worker;
  if (w == nullptr || w->status() != sched::kGwaiting) return nullptr;
  // An idle P runs its worker even when no work is visible: grey objects may
  // sit in other Ps' buffers, or a goroutine scan may wait for a safepoint
  // its goroutine will never reach (it parked). The worker then calls
  // gcMarkDone, which stops the world and finds them. A P that goes idle
  // in the middle of a cycle would otherwise leave it unfinished.
  // But not while another marker is at work: it will end the cycle itself
  // when done, and an idle worker with nothing to do would only spin (in
  // deterministic mode, forever: the marker it waits for never gets the CPU).
  if (!markWorkAvailable() && (!idle || markersActive())) return nullptr;
  MarkWorkerMode mode;
  {
    std::lock_guard<sched::SpinLock> lk(c->pacerLock);
    if (idle) {
      mode = c->pacer.addIdleMarkWorker() ? MarkWorkerMode::Idle : MarkWorkerMode::None;
    } else {
      mode = c->pacer.chooseMarkWorker(pacerNow(), ps->fractionalTime);
    }
    if (mode == MarkWorkerMode::None) return nullptr;
    if (!sched::makeRunnable(w)) {
      c->pacer.markWorkerStop(mode, 0);  // give the slot back
      return nullptr;
    }
  }
  ps->workerMode = mode;
  return w;
}

// ---------------------------------------------------------------------------
// Assists

void flushBgCredit(int64_t work) {
  Collector* c = gCollector;
  if (work <= 0) return;
  // Credit first, then the look at the queue (parkAssist queues first, then
  // looks at the credit): a worker banking while an assist parks either
  // sees it queued or is seen to have banked. Workers bank every 2000
  // units of work, so with no assist parked this costs no lock.
  c->bgScanCredit.fetch_add(work, std::memory_order_seq_cst);
  if (c->assistsParked.load(std::memory_order_seq_cst) > 0) wakeAssists();
}

void wakeAssists() {
  Collector* c = gCollector;
  std::vector<sched::G*> gs;
  {
    std::lock_guard<sched::SpinLock> lk(c->waitLock);
    gs.swap(c->assistQueue);
    c->assistsParked.store(0, std::memory_order_seq_cst);
  }
  for (sched::G* g : gs) sched::ready(g, false);
}

namespace {

bool unlockWait(sched::G*, void*) {
  gCollector->waitLock.unlock();
  return true;
}

// Parks g on the assist queue unless the cycle ended or credit appeared
// meanwhile (gcParkAssist). True if it parked (and was woken).
bool parkAssist(sched::G* g) {
  Collector* c = gCollector;
  c->waitLock.lock();
  c->assistQueue.push_back(g);
  c->assistsParked.store(static_cast<int64_t>(c->assistQueue.size()), std::memory_order_seq_cst);
  if (!c->blackenEnabled.load() || c->bgScanCredit.load(std::memory_order_seq_cst) > 0) {
    c->assistQueue.pop_back();
    c->assistsParked.store(static_cast<int64_t>(c->assistQueue.size()), std::memory_order_seq_cst);
    c->waitLock.unlock();
    return false;
  }
  sched::park(sched::WaitReason::GCAssistWait, unlockWait, nullptr);
  return true;
}

}  // namespace

void gcAssistAlloc(sched::G* g, GState* gs) {
  Collector* c = gCollector;
  if (g->system || g->noPreempt > 0 || g->unwinding || testing::manualMarking()) return;
  int64_t t0 = realNow();
  for (int rounds = 0; c->blackenEnabled.load(std::memory_order_relaxed) && gs->assistBytes < 0; rounds++) {
    // This P's allocation into heapLive first, which revises the ratio:
    // Go's is revised at every span an mcache takes (8 KiB), gort's Ps
    // flush every 64 KiB, and an assist paid and credited at a ratio that
    // stale can let the heap reach the goal before the work passes the
    // pacer's estimate (the first cycle did, where Go's does not).
    if (PState* here = pstate(sched::getp()); here->unflushed > 0) flushAlloc(sched::getp(), here);
    double perByte = c->assistWorkPerByte.load(std::memory_order_relaxed);
    double perWork = c->assistBytesPerWork.load(std::memory_order_relaxed);
    int64_t debt = -gs->assistBytes;
    auto scanWork = static_cast<int64_t>(perByte * static_cast<double>(debt));
    if (scanWork < kGCOverAssistWork) {
      scanWork = kGCOverAssistWork;
      debt = static_cast<int64_t>(perWork * static_cast<double>(scanWork));
    }
    // Credit the background workers banked first.
    int64_t credit = c->bgScanCredit.load(std::memory_order_acquire);
    if (credit > 0) {
      int64_t stolen;
      if (credit < scanWork) {
        stolen = credit;
        gs->assistBytes += 1 + static_cast<int64_t>(perWork * static_cast<double>(stolen));
      } else {
        stolen = scanWork;
        gs->assistBytes += debt;
      }
      c->bgScanCredit.fetch_sub(stolen, std::memory_order_acq_rel);
      scanWork -= stolen;
      if (scanWork <= 0) break;
    }
    PState* ps = pstate(sched::getp());
    int64_t done = drain(ps, scanWork, kDrainPreemptible);
    // Publish the work, so that the next revise() counts it, and credit it
    // at the ratio as it stands (Go reloads assistBytesPerWork after the
    // drain; the ratio is revised when heapLive next moves, not here).
    if (done > 0) {
      PState* now = pstate(sched::getp());  // drain may have moved us to another P
      std::lock_guard<sched::SpinLock> lk(c->pacerLock);
      if (now->unpublishedWork > 0) {
        c->pacer.addScanWork(now->unpublishedWork, 0, 0);
        now->unpublishedWork = 0;
      }
    }
    perWork = c->assistBytesPerWork.load(std::memory_order_relaxed);
    gs->assistBytes += static_cast<int64_t>(perWork * static_cast<double>(done));
    if (!c->blackenEnabled.load()) break;
    // An assist that ran out of work has reached a completion point, paid
    // up or not (gcAssistAlloc1): try to end the mark. Otherwise, with the
    // debt paid, nobody might look until a worker next runs (deterministic
    // mode: the end of this goroutine's time slice).
    if (done < scanWork && !markWorkAvailable()) {
      flushWorkBuf(pstate(sched::getp()));  // drain may have moved us to another P
      gcMarkDone();
      if (!c->blackenEnabled.load()) break;
    }
    if (gs->assistBytes >= 0) break;
    if (done == 0 && !parkAssist(g)) {
      // Credit appeared or marking ended; take another look.
      continue;
    }
  }
  int64_t dt = realNow() - t0;
  gs->assistNs += dt;
  {
    // Goroutines on several Ps may assist at once.
    std::lock_guard<sched::SpinLock> lk(c->pacerLock);
    c->cur.assistNs += dt;
    if (!sched::deterministic()) c->pacer.addAssistTime(dt);
  }
}

// ---------------------------------------------------------------------------
// Waiting for a cycle

void wakeCycleWaiters() {
  Collector* c = gCollector;
  std::vector<sched::G*> gs;
  {
    std::lock_guard<sched::SpinLock> lk(c->waitLock);
    gs.swap(c->cycleWaiters);
  }
  for (sched::G* g : gs) sched::ready(g, false);
}

void waitForMark(uint32_t n) {
  Collector* c = gCollector;
  for (;;) {
    c->waitLock.lock();
    if (c->marksDone.load(std::memory_order_acquire) >= n || c->phase.load() == kGCoff) {
      c->waitLock.unlock();
      if (c->marksDone.load(std::memory_order_acquire) >= n) return;
      // No cycle running and n not reached: the caller starts one.
      return;
    }
    c->cycleWaiters.push_back(sched::getg());
    sched::park(sched::WaitReason::WaitForGCCycle, unlockWait, nullptr);
  }
}

}  // namespace gort::gc
