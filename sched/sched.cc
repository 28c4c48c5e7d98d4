#include "sched/sched.h"

#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "gort/panic.h"
#include "sched/fatal.h"
#include "sched/hooks.h"
#include "sched/spinlock.h"
#include "sched/stack_overflow.h"
#include "sched/traceback.h"

namespace gort::sched {

Sched* gSched = nullptr;
bool gOneGoroutineThread = false;

void spinLockHeldAcrossSwitch() { throwError("schedule: holding locks"); }

namespace {

thread_local M* tM = nullptr;
thread_local G* tConstructingFor = nullptr;

Hooks gDefaultHooks;
Hooks* gHooks = &gDefaultHooks;

// The deterministic clock's wall time starts where the Go playground's does
// (2009-11-10 23:00:00 UTC), so printed times are the same in every run.
constexpr int64_t kDetWallStart = 1257894000LL * 1000000000LL;

}  // namespace

void installHooks(Hooks* h) { gHooks = h != nullptr ? h : &gDefaultHooks; }
Hooks& hooks() { return *gHooks; }

[[gnu::noinline]] M* getm() { return tM; }
[[gnu::noinline]] G* getg() {
  M* m = tM;
  return m != nullptr ? m->curg : nullptr;
}
[[gnu::noinline]] P* getp() {
  M* m = tM;
  return m != nullptr ? m->p : nullptr;
}
[[gnu::noinline]] void setm(M* m) { tM = m; }
[[gnu::noinline]] G* rootOwner() {
  if (tConstructingFor != nullptr) return tConstructingFor;
  M* m = tM;
  return m != nullptr ? m->curg : nullptr;
}
[[gnu::noinline]] M* getmAndRootOwner(G** owner) {
  M* m = tM;
  *owner = tConstructingFor != nullptr ? tConstructingFor : (m != nullptr ? m->curg : nullptr);
  return m;
}
[[gnu::noinline]] void setConstructingFor(G* g) { tConstructingFor = g; }

// Inside this file: the running M, read straight from the thread-local, for
// functions that never switch goroutines after reading it (so no TLS
// address computed before a switch can be reused after it, see getm()).
inline M* thisM() { return tM; }
inline P* thisP() {
  M* m = tM;
  return m != nullptr ? m->p : nullptr;
}

// ---------------------------------------------------------------------------
// Time and randomness

int64_t realNanotime() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

int64_t nanotime() {
  if (deterministic()) return gSched->virtualNow.load(std::memory_order_relaxed);
  return realNanotime() - gSched->startMono;
}

unsigned numCPUs() {
  static const unsigned n = std::thread::hardware_concurrency();
  return n;
}

int64_t walltime() {
  if (deterministic()) return kDetWallStart + gSched->virtualNow.load(std::memory_order_relaxed);
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

uint32_t fastrand() { return static_cast<uint32_t>(fastrand64()); }

uint64_t fastrand64() {
  if (gSched == nullptr) {
    static thread_local Rand r{static_cast<uint64_t>(realNanotime())};
    return r.next64();
  }
  if (deterministic()) return gSched->detRand.next64();
  P* p = thisP();
  if (p != nullptr) return p->rand.next64();
  static thread_local Rand r{static_cast<uint64_t>(realNanotime())};
  return r.next64();
}

namespace {

int64_t newSlice() {
  // Deterministic time slices vary, like real ones: uniform in [1, 2*mean].
  int64_t mean = gSched->cfg.detSliceMean;
  return 1 + static_cast<int64_t>(gSched->detRand.next64() % static_cast<uint64_t>(2 * mean));
}

// ---------------------------------------------------------------------------
// G allocation

void addToAllgs(G* g) {
  std::lock_guard<std::mutex> lk(gSched->allglock);
  if (gSched->allgTail != nullptr) {
    gSched->allgTail->alllink = g;
  } else {
    gSched->allgHead = g;
  }
  gSched->allgTail = g;
}

// Called on p's own M (or before any M runs), so a plain add suffices.
void countGoroutines(P* p, int64_t delta) {
  p->goroutines.store(p->goroutines.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

void releaseG(G* g) {
  P* p = thisP();
  if (p != nullptr && p->ngfree < P::kCacheMax) {
    g->schedlink = p->gfree;
    p->gfree = g;
    p->ngfree++;
    return;
  }
  std::lock_guard<std::mutex> lk(gSched->gfreeLock);
  g->schedlink = gSched->gfree;
  gSched->gfree = g;
}

bool getStack(Stack* out) {
  P* p = thisP();
  if (p != nullptr && p->nstacks > 0) {
    *out = p->stacks[--p->nstacks];
    return true;
  }
  return stackPool().get(out);
}

void putStack(const Stack& s) {
  P* p = thisP();
  if (p != nullptr && p->nstacks < P::kCacheMax && s.size == stackPool().stackSize()) {
#if defined(GORT_ASAN)
    stackPool().unpoison(s);
#endif
    p->stacks[p->nstacks++] = s;
    return;
  }
  stackPool().put(s);
}

void casToRunning(G* g) {
  if (!gSched->gcScanning.load(std::memory_order_relaxed)) {
    // No scanner can set kGscan until the next stop-the-world.
    g->atomicstatus.store(kGrunning, std::memory_order_release);
    return;
  }
  for (;;) {
    uint32_t s = kGrunnable;
    if (g->atomicstatus.compare_exchange_weak(s, kGrunning, std::memory_order_acq_rel)) return;
    // The collector is reading this G's roots (kGscan); wait for it.
    if ((s & ~kGscan) != kGrunnable) throwError("execute: G not runnable");
    std::this_thread::yield();
  }
}

void gEntry(void* arg);
}  // namespace
void casFromWaiting(G* g);
namespace {

// Runs the closure's destructor and frees it if it lives on the heap.
void destroyClosure(G* g) {
  if (g->fnDestroy != nullptr) g->fnDestroy(g->fnArg);
  g->fnDestroy = nullptr;
  if (g->closureOnHeap) ::operator delete(g->fnArg, std::align_val_t(kClosureHeapAlign));
  g->closureOnHeap = false;
  g->fnArg = nullptr;
}

// Makes g the running goroutine of m: status, time slice, and a stack if it
// is starting for the first time.
void prepareToRun(M* m, G* g, bool inheritTime) {
  casToRunning(g);
  m->curg = g;
  g->m = m;
  // Only the owner writes schedtick (sysmon just reads it): no RMW needed.
  if (!inheritTime) m->p->schedtick.store(m->p->schedtick.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (deterministic()) g->sliceLeft = newSlice();
  if (!g->started) {
    if (!getStack(&g->stack)) {
      fatal("runtime: cannot allocate goroutine stack (too many goroutines hold stacks; see vm.max_map_count)");
    }
    makeContext(&g->ctx, g->stack.lo, g->stack.size, gEntry, g);
    g->started = true;
  }
}

// ---------------------------------------------------------------------------
// Deterministic mode: switching between virtual Ms.

void afterDetSwitch(Context*, void* arg) { setm(static_cast<M*>(arg)); }

// Suspends whatever runs on `from` (saved into *self) and resumes virtual M
// `to` where it left off.
void detSwitchM(M* from, M* to, Context* self) {
  from->resume = self;
  Context* target = to->resume;
  to->resume = nullptr;
  switchTo(self, target, afterDetSwitch, to);
}

// A virtual M other than `m` that has work, chosen by the seeded PRNG.
M* detPickOther(M* m) {
  M* cand[64];
  int n = 0;
  for (M* o : gSched->allm) {
    if (o != m && !o->detIdle && n < 64) cand[n++] = o;
  }
  if (n == 0) return nullptr;
  return cand[gSched->detRand.below(static_cast<uint32_t>(n))];
}

// ---------------------------------------------------------------------------
// Waking and sleeping Ms

void notewakeup(M* m) {
  if (deterministic()) {
    m->detIdle = false;
    return;
  }
  std::lock_guard<std::mutex> lk(m->noteMu);
  m->noteWoken = true;
  m->noteCv.notify_one();
}

P* pidleGet() {
  if (gSched->pidle.empty()) return nullptr;
  // Deterministic mode picks a random idle P so that which P steals varies
  // with the seed; parallel mode takes the most recently idled (warm) one.
  size_t i = gSched->pidle.size() - 1;
  if (deterministic()) i = gSched->detRand.below(static_cast<uint32_t>(gSched->pidle.size()));
  P* p = gSched->pidle[i];
  gSched->pidle.erase(gSched->pidle.begin() + static_cast<long>(i));
  gSched->npidle.fetch_sub(1, std::memory_order_seq_cst);
  return p;
}

bool pidleRemove(P* p) {
  auto it = std::find(gSched->pidle.begin(), gSched->pidle.end(), p);
  if (it == gSched->pidle.end()) return false;
  gSched->pidle.erase(it);
  gSched->npidle.fetch_sub(1, std::memory_order_seq_cst);
  return true;
}

void runqputslow(P* p, G* g) {
  G* batch[kLocalRunqSize / 2 + 1];
  uint32_t n = 0;
  for (;;) {
    if (p->runq.takeHalfForGlobal(g, batch, &n)) break;
    G* displaced = nullptr;
    if (p->runq.put(g, false, &displaced)) return;
  }
  std::lock_guard<SpinLock> lk(gSched->runq.lock());
  gSched->runq.putBatch(batch, n);
}

void runqput(P* p, G* g, bool next) {
  G* displaced = nullptr;
  if (!p->runq.put(g, next, &displaced)) runqputslow(p, displaced);
}

// Takes a batch from the global queue (caller holds its lock): one G to run
// now, the rest onto p's local queue (globrunqget).
G* globrunqget(P* p, uint32_t max) {
  uint32_t size = gSched->runq.size();
  if (size == 0) return nullptr;
  uint32_t n = std::min(size, size / static_cast<uint32_t>(gSched->cfg.gomaxprocs) + 1);
  if (max > 0 && n > max) n = max;
  if (n > kLocalRunqSize / 2) n = kLocalRunqSize / 2;
  G* g = gSched->runq.pop();
  for (uint32_t i = 1; i < n; i++) {
    G* x = gSched->runq.pop();
    G* displaced = nullptr;
    if (!p->runq.put(x, false, &displaced)) {
      gSched->runq.put(displaced);
      break;
    }
  }
  return g;
}

void runTimers() {
  Timers& t = gSched->timers;
  if (t.empty() || t.next() > nanotime()) return;
  std::vector<Timer> due;
  t.takeExpired(nanotime(), &due);
  for (const Timer& x : due) x.fire(x.arg);
}

void spinPause() {
#if defined(__x86_64__)
  for (int i = 0; i < 20; i++) _mm_pause();
#endif
}

bool workVisible(P* self) {
  if (gSched->runq.size() > 0) return true;
  for (P* o : gSched->allp) {
    if (o != self && !o->runq.empty()) return true;
  }
  return !gSched->timers.empty() && gSched->timers.next() <= nanotime();
}

// How long an M with nothing to do keeps looking before it sleeps.
constexpr int64_t kIdleSpinNs = 20'000;

bool spinForWork(P* p) {
  if (numCPUs() <= 1) return false;
  int64_t until = realNanotime() + kIdleSpinNs;
  while (realNanotime() < until) {
    if (workVisible(p) || gSched->gcwaiting.load(std::memory_order_relaxed) ||
        gSched->exiting.load(std::memory_order_relaxed)) {
      return true;
    }
    spinPause();
  }
  return false;
}

// Work stealing: up to 4 rounds over the other Ps in random order; the last
// round also takes a victim's runnext (findRunnable's stealWork).
G* stealWork(P* p) {
  int n = gSched->cfg.gomaxprocs;
  G* batch[kLocalRunqSize / 2];
  for (int round = 0; round < 4; round++) {
    bool stealRunNext = round == 3;
    uint32_t start = fastrand() % static_cast<uint32_t>(n);
    for (int i = 0; i < n; i++) {
      P* victim = gSched->allp[(start + static_cast<uint32_t>(i)) % static_cast<uint32_t>(n)];
      if (victim == p) continue;
      if (stealRunNext && !deterministic() && victim->status.load(std::memory_order_relaxed) == kPrunning &&
          victim->runq.size() == 0) {
        if (G* seen = victim->runq.peekRunnext()) {
          // Only runnext is left, and its P is running: it is about to run
          // that goroutine itself (the one it just readied or created, as
          // a goroutine does that then blocks). Sleep ~3 us, as Go's
          // runqgrab does, and take the goroutine only if it is still the
          // same one: a newer one there means the owner is keeping up, and
          // taking it would move the pair's work to this thread and back.
          // A sleep, not a spin: polling the victim's runnext would pull
          // its cache line away from the owner at every hand-off.
          std::this_thread::sleep_for(std::chrono::microseconds(3));
          if (victim->runq.takeRunnext(seen)) return seen;
          continue;
        }
      }
      uint32_t got = victim->runq.grab(batch, stealRunNext);
      if (got == 0) continue;
      G* g = batch[got - 1];
      if (got > 1) p->runq.putBatch(batch, got - 1);
      return g;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Stop the world

// Called on the M of a running P that must stop (at a safepoint or in the
// scheduler), with sched.lock held. Returns with the world started again (or
// exiting).
void stopSelfLocked(std::unique_lock<std::mutex>& lk, P* p) {
  p->status.store(kPgcstop, std::memory_order_release);
  if (--gSched->stopwait == 0) gSched->stopCv.notify_all();
  // Wait for this stop's start, not for gcwaiting to clear: the stopper may
  // stop the world again before we wake, and that stop must count us anew.
  uint64_t gen = gSched->startGen;
  gSched->startCv.wait(lk, [gen] { return gSched->startGen != gen || gSched->exiting.load(); });
  p->status.store(kPrunning, std::memory_order_release);
}

// An idle P's M woke while the world was stopped (stopTheWorld took its P
// off the idle list): wait for the start, which puts the P back.
void waitWhileStoppedIdleLocked(std::unique_lock<std::mutex>& lk, P* p) {
  gSched->startCv.wait(lk, [p] { return !p->stoppedWhileIdle || gSched->exiting.load(); });
}

// The M found work while counted as spinning: stop counting, and if it was
// the last spinning M, wake another in case there is more (resetspinning).
void resetSpinning(M* m) {
  if (!m->spinning) return;
  m->spinning = false;
  if (gSched->nmspinning.fetch_sub(1, std::memory_order_seq_cst) == 1) wakep();
}

// ---------------------------------------------------------------------------
// Idle

bool deadlockedLocked();
[[noreturn]] void reportDeadlock();
void sleepIdle(M* m, bool recheck);

// Parallel mode: nothing to run on m's P. Publishes the P as idle, sleeps
// until woken or until the next timer is due, and returns to let
// findRunnable look again.
void idleParallel(M* m) {
  P* p = m->p;
  // Spin a little before sleeping: work that turns up within a few
  // microseconds (a goroutine just created or readied elsewhere) is then
  // found without a futex round trip on either side, since a P that has not
  // published itself idle is not woken (Go's spinning Ms).
  if (spinForWork(p)) return;
  bool deadlock = false;
  {
    std::unique_lock<std::mutex> lk(gSched->lock);
    if (gSched->exiting.load()) return;
    if (gSched->gcwaiting.load()) {
      stopSelfLocked(lk, p);
      return;
    }
    if (gSched->runq.size() > 0) return;
    p->status.store(kPidle, std::memory_order_release);
    gSched->pidle.push_back(p);
    gSched->npidle.fetch_add(1, std::memory_order_seq_cst);
    if (m->spinning) {
      m->spinning = false;
      gSched->nmspinning.fetch_sub(1, std::memory_order_seq_cst);
    }
    deadlock = deadlockedLocked();
  }
  if (deadlock) reportDeadlock();
  sleepIdle(m, /*recheck=*/true);
}

// Parallel mode: sleeps while m's P is on the idle list. With recheck, first
// looks for goroutines queued between our last look and publishing
// idleness: whoever queued them saw npidle == 0 and did not wake anyone (Go's
// "check all runqueues once again"). Returns with the P running again.
void sleepIdle(M* m, bool recheck) {
  P* p = m->p;
  bool work = false;
  if (recheck) {
    work = gSched->runq.size() > 0;
    for (P* o : gSched->allp) {
      if (o != p && !o->runq.empty()) work = true;
    }
  }
  if (!work) {
    std::unique_lock<std::mutex> nl(m->noteMu);
    int64_t next = gSched->timers.next();
    auto woken = [m] { return m->noteWoken; };
    if (next == INT64_MAX) {
      m->noteCv.wait(nl, woken);
    } else {
      int64_t wait = next - nanotime();
      if (wait > 0) m->noteCv.wait_for(nl, std::chrono::nanoseconds(wait), woken);
    }
    m->noteWoken = false;
  }
  std::unique_lock<std::mutex> lk(gSched->lock);
  if (p->stoppedWhileIdle) waitWhileStoppedIdleLocked(lk, p);
  // Still on the idle list: we woke by ourselves (timer, recheck). Off it:
  // wakep took our P and made us the spinning M.
  if (pidleRemove(p)) p->status.store(kPrunning, std::memory_order_release);
}

// Deterministic mode: nothing to run on m's P. Hands the CPU to another
// virtual M; when every M is idle, advances the virtual clock to the next
// timer, or reports the deadlock.
void idleDeterministic(M* m) {
  P* p = m->p;
  if (gSched->exiting.load()) return;
  p->status.store(kPidle, std::memory_order_release);
  gSched->pidle.push_back(p);
  gSched->npidle.fetch_add(1, std::memory_order_seq_cst);
  if (m->spinning) {
    m->spinning = false;
    gSched->nmspinning.fetch_sub(1, std::memory_order_seq_cst);
  }
  m->detIdle = true;
  for (;;) {
    if (M* other = detPickOther(m)) {
      detSwitchM(m, other, &m->g0);
      if (gSched->exiting.load() || !m->detIdle) break;
      continue;
    }
    // Every virtual M is idle.
    int64_t next = gSched->timers.next();
    if (next != INT64_MAX) {
      if (next > gSched->virtualNow.load()) gSched->virtualNow.store(next);
      break;  // findRunnable runs the timers
    }
    bool deadlock = false;
    {
      std::lock_guard<std::mutex> lk(gSched->lock);
      deadlock = deadlockedLocked();
    }
    if (deadlock) reportDeadlock();
    break;
  }
  if (pidleRemove(p)) p->status.store(kPrunning, std::memory_order_release);
  m->detIdle = false;
}

// Every P is idle and no timer is pending: nothing can ever run again
// (checkdead). System goroutines do not count, as in Go.
bool deadlockedLocked() {
  if (gSched->exiting.load() || gSched->failing.load()) return false;
  if (gSched->npidle.load() != gSched->cfg.gomaxprocs) return false;
  if (gSched->runq.size() > 0 || !gSched->timers.empty()) return false;
  for (P* p : gSched->allp) {
    if (!p->runq.empty()) return false;
  }
  return true;
}

void reportDeadlock() {
  // No user goroutine left at all: main must have called Goexit (checkdead).
  if (goroutineCount() == 0) fatal("no goroutines (main called runtime.Goexit) - deadlock!");
  fatal("all goroutines are asleep - deadlock!");
}

// ---------------------------------------------------------------------------
// findRunnable and the scheduler loop

G* findRunnable(M* m, bool* inheritTime) {
  P* p = m->p;
  for (;;) {
    *inheritTime = false;
    if (gSched->exiting.load()) return nullptr;
    if (!deterministic() && gSched->gcwaiting.load()) {
      std::unique_lock<std::mutex> lk(gSched->lock);
      if (gSched->gcwaiting.load() && (gSched->stopper == nullptr || gSched->stopper->m != m)) {
        stopSelfLocked(lk, p);
        continue;
      }
    }
    runTimers();
    G* g = hooks().findRunnableGCWorker(p);
    // Every 61st tick, look at the global queue first so that a pair of
    // goroutines handing each other runnext cannot starve it.
    if (g == nullptr && p->schedtick.load(std::memory_order_relaxed) % 61 == 0 && gSched->runq.size() > 0) {
      std::lock_guard<SpinLock> lk(gSched->runq.lock());
      g = globrunqget(p, 1);
    }
    if (g == nullptr) g = p->runq.get(inheritTime);
    if (g == nullptr && gSched->runq.size() > 0) {
      std::lock_guard<SpinLock> lk(gSched->runq.lock());
      g = globrunqget(p, 0);
    }
    if (g == nullptr && gSched->cfg.gomaxprocs > 1) {
      if (!m->spinning) {
        m->spinning = true;
        gSched->nmspinning.fetch_add(1, std::memory_order_seq_cst);
      }
      g = stealWork(p);
    }
    if (g == nullptr) g = hooks().findIdleGCWorker(p);
    if (g != nullptr) {
      resetSpinning(m);
      return g;
    }
    if (deterministic()) {
      idleDeterministic(m);
    } else {
      idleParallel(m);
    }
  }
}

void execute(M* m, G* g, bool inheritTime) {
  prepareToRun(m, g, inheritTime);
  switchTo(&m->g0, &g->ctx, nullptr, nullptr);
  // Back on g0: g parked, yielded or exited without a direct hand-off.
}

void schedule(M* m) {
  while (!gSched->exiting.load()) {
    bool inheritTime = false;
    G* g = findRunnable(m, &inheritTime);
    if (g != nullptr) execute(m, g, inheritTime);
  }
}

// ---------------------------------------------------------------------------
// Goroutine entry and exit

// After a goroutine's last switch: its stack goes back to the pool and the G
// to the free list. Runs on the next stack, so freeing this one is safe.
void afterExit(Context*, void* arg) {
  G* g = static_cast<G*>(arg);
  putStack(g->stack);
  g->stack = Stack{};
  destroyContext(&g->ctx);
  g->started = false;
  g->atomicstatus.store(kGdead, std::memory_order_release);
  releaseG(g);
}

G* handoffCandidate(M* m, bool* inheritTime);

[[noreturn]] void goexit0(G* g) {
  M* m = g->m;
  destroyClosure(g);  // first: Locals the closure holds unregister from g
  hooks().onGExit(g);
  if (g == gSched->mainG && !gSched->exiting.load() && !gSched->mainGoexited) {
    g->fnRun = nullptr;  // nothing left to unwind: teardown just frees it
    exitRun(0);
  }
  if (!g->system) countGoroutines(m->p, -1);
  bool inheritTime = false;
  G* next = gSched->exiting.load() ? nullptr : handoffCandidate(m, &inheritTime);
  if (next != nullptr) {
    prepareToRun(m, next, inheritTime);
    switchToForever(&g->ctx, &next->ctx, afterExit, g);
  }
  m->curg = nullptr;
  switchToForever(&g->ctx, &m->g0, afterExit, g);
}

// The goroutine's body and what becomes of a panic it does not recover. Its
// own function, so that its locals are gone before goexit0, which never
// returns.
void runBody(G* g) {
  std::optional<Panic> unrecovered;
  try {
    g->fnRun(g->fnArg);
  } catch (detail::ForcedUnwind&) {
  } catch (detail::GoexitUnwind&) {
    // Goexit in main ends main's goroutine but not the program: the others
    // run on, and when none is left it is a deadlock, as in Go.
    if (g == gSched->mainG) gSched->mainGoexited = true;
  } catch (Panic& p) {
    unrecovered.emplace(std::move(p));
  }
  // Reported outside the handler: with capture the goroutine is suspended
  // here until teardown unwinds it, and it must not be inside a catch block.
  if (unrecovered) {
    try {
      fatalPanic(g, *unrecovered);
    } catch (detail::ForcedUnwind&) {
    }
  }
}

void gEntry(void* arg) {
  G* g = static_cast<G*>(arg);
  runBody(g);
  goexit0(g);
}

// The next goroutine to switch to directly from a parking or exiting one, if
// the scheduler would certainly pick it: nothing but the local queue needs
// attention. Otherwise the caller goes through g0 and findRunnable.
G* handoffCandidate(M* m, bool* inheritTime) {
  P* p = m->p;
  if (p->attention.load(std::memory_order_relaxed) != 0 || gSched->gcwaiting.load(std::memory_order_relaxed)) {
    return nullptr;
  }
  if (p->schedtick.load(std::memory_order_relaxed) % 61 == 0 && gSched->runq.size() > 0) return nullptr;
  if (!gSched->timers.empty() && gSched->timers.next() <= nanotime()) return nullptr;
  if (deterministic()) return nullptr;  // keep one path through findRunnable for reproducibility
  return p->runq.get(inheritTime);
}

// ---------------------------------------------------------------------------
// Park

void afterPark(Context*, void* arg) {
  M* m = static_cast<M*>(arg);
  G* g = m->parkG;
  m->parkG = nullptr;
  g->atomicstatus.store(kGwaiting, std::memory_order_release);
  if (m->parkCommit != nullptr && !m->parkCommit(g, m->parkArg)) {
    ready(g, true);
  }
}

void afterYield(Context*, void* arg) {
  G* g = static_cast<G*>(arg);
  g->atomicstatus.store(kGrunnable, std::memory_order_release);
  {
    std::lock_guard<SpinLock> lk(gSched->runq.lock());
    gSched->runq.put(g);
  }
}

void afterYieldLocal(Context*, void* arg) {
  G* g = static_cast<G*>(arg);
  g->atomicstatus.store(kGrunnable, std::memory_order_release);
  runqput(thisP(), g, false);
}

// After a resumed switch: a goroutine being unwound at shutdown leaves.
void onResume(G* g) {
  if (g->unwinding) throw detail::ForcedUnwind{};
}

// Parallel mode: a goroutine at a safepoint during stop-the-world stops its
// P until the world starts again.
void stopAtSafepoint(M* m) {
  if (gSched->failing.load()) captureCurrentStack(&m->curg->frozenStack, 2);
  std::unique_lock<std::mutex> lk(gSched->lock);
  if (!gSched->gcwaiting.load() || gSched->stopper == m->curg) return;
  stopSelfLocked(lk, m->p);
}

void mExit(M* m);

[[noreturn]] void leaveForExit(M* m, G* g) {
  // The goroutine stays suspended where it is; teardown unwinds it.
  if (deterministic()) {
    M* m0 = gSched->allm[0];
    m->resume = &g->ctx;
    switchTo(&g->ctx, &m0->g0, afterDetSwitch, m0);
  } else {
    m->curg = nullptr;
    switchTo(&g->ctx, &m->g0, nullptr, nullptr);
  }
  onResume(g);
  throw detail::ForcedUnwind{};
}

void slowSafepoint(M* m, G* g) {
  for (;;) {
    uint32_t a = m->p->attention.load(std::memory_order_acquire);
    if (a & kAttnExit) leaveForExit(m, g);
    if ((a & kAttnStop) && gSched->gcwaiting.load() && gSched->stopper != g) {
      stopAtSafepoint(m);
      continue;  // the exit may have come while we were stopped
    }
    if (a & kAttnGC) hooks().onSafepoint(g);
    if (a & kAttnPreempt) {
      m->p->attention.fetch_and(~kAttnPreempt, std::memory_order_relaxed);
      // Runtime goroutines (mark workers) manage their own time and must
      // stay on their P.
      if (!g->system) gosched();
    }
    return;
  }
}

// ---------------------------------------------------------------------------
// M bodies

void mstart(M* m) {
  setm(m);
  try {
    schedule(m);
  } catch (SchedulerExit&) {
    // A failure on g0 (a deadlock, say) ended the run.
  }
  mExit(m);
}

void detMEntry(void* arg) {
  M* m = static_cast<M*>(arg);
  mstart(m);
  std::abort();  // mExit switches to the root for good
}

// The threads that wait for every M to leave the scheduler before teardown,
// and for teardown before releasing their P (parallel mode).
std::mutex gExitPhaseMu;
std::condition_variable gExitPhaseCv;
int gMsArrived = 0;
bool gTeardownDone = false;

void unwindAll(M* m) {
  // Unwind every goroutine that is still alive, in creation order, on this
  // M: its destructors run (Locals unregister, C++ objects free memory).
  std::vector<G*> live;
  {
    std::lock_guard<std::mutex> lk(gSched->allglock);
    for (G* g = gSched->allgHead; g != nullptr; g = g->alllink) {
      uint32_t s = g->status() & ~kGscan;
      if (s != kGdead && s != kGidle) live.push_back(g);
    }
  }
  for (G* g : live) {
    uint32_t s = g->status() & ~kGscan;
    if (s == kGdead) continue;
    if (!g->started || g->fnRun == nullptr) {
      destroyClosure(g);
      if (g->started) afterExit(nullptr, g);
      g->atomicstatus.store(kGdead);
      continue;
    }
    g->unwinding = true;
    g->atomicstatus.store(kGrunning);
    m->curg = g;
    g->m = m;
    switchTo(&m->g0, &g->ctx, nullptr, nullptr);
    m->curg = nullptr;
  }
}

void mExit(M* m) {
  if (deterministic()) {
    M* m0 = gSched->allm[0];
    if (m != m0) {
      detSwitchM(m, m0, &m->g0);
      std::abort();
    }
    unwindAll(m);
    hooks().onShutdown();
    for (P* p : gSched->allp) {
      setm(p->m);
      hooks().onPStop(p);
    }
    setm(m);
    switchToForever(&m->g0, &gSched->root, [](Context*, void*) { setm(nullptr); }, nullptr);
  }
  {
    std::unique_lock<std::mutex> lk(gExitPhaseMu);
    gMsArrived++;
    gExitPhaseCv.notify_all();
    if (m->id == 0) {
      gExitPhaseCv.wait(lk, [] { return gMsArrived == gSched->cfg.gomaxprocs; });
      lk.unlock();
      unwindAll(m);
      hooks().onShutdown();
      lk.lock();
      gTeardownDone = true;
      gExitPhaseCv.notify_all();
    } else {
      gExitPhaseCv.wait(lk, [] { return gTeardownDone; });
    }
  }
  hooks().onPStop(m->p);
  setm(nullptr);
}

void threadMain(M* m) {
  adoptThreadContext(&m->g0);
  installAltStack();
  m->fastAttention = &m->p->attention;
  setm(m);
  hooks().onPStart(m->p);
  mstart(m);
  releaseAltStack();
}

void sysmonMain() {
  // Preempts goroutines that have held a P for over 10 ms without blocking
  // (sysmon's retake, forcePreemptNS). With cooperative preemption the flag
  // takes effect at the goroutine's next yield point.
  constexpr int64_t kForcePreemptNS = 10'000'000;
  std::vector<uint32_t> lastTick(gSched->allp.size(), 0);
  std::vector<int64_t> since(gSched->allp.size(), 0);
  std::unique_lock<std::mutex> lk(gSched->exitMu);
  while (!gSched->exitCv.wait_for(lk, std::chrono::milliseconds(5), [] { return gSched->exitSignalled; })) {
    int64_t now = realNanotime();
    for (size_t i = 0; i < gSched->allp.size(); i++) {
      P* p = gSched->allp[i];
      if (p->status.load() != kPrunning) {
        since[i] = now;
        continue;
      }
      uint32_t tick = p->schedtick.load(std::memory_order_relaxed);
      if (tick != lastTick[i]) {
        lastTick[i] = tick;
        since[i] = now;
      } else if (now - since[i] > kForcePreemptNS) {
        p->attention.fetch_or(kAttnPreempt, std::memory_order_release);
        since[i] = now;
      }
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Public scheduler operations

G* allocG() {
  G* g = nullptr;
  P* p = thisP();
  if (p != nullptr && p->gfree != nullptr) {
    g = p->gfree;
    p->gfree = g->schedlink;
    p->ngfree--;
  } else {
    std::lock_guard<std::mutex> lk(gSched->gfreeLock);
    g = gSched->gfree;
    if (g != nullptr) gSched->gfree = g->schedlink;
  }
  if (g == nullptr) {
    g = new G();
    g->atomicstatus.store(kGdead);
    addToAllgs(g);
  }
  g->schedlink = nullptr;
  g->fnRun = nullptr;
  g->fnDestroy = nullptr;
  g->fnArg = nullptr;
  g->closureOnHeap = false;
  g->started = false;
  g->unwinding = false;
  g->lockedDet = false;
  g->system = false;
  g->m = nullptr;
  g->param = nullptr;
  g->waiting = nullptr;
  g->selectDone.store(0, std::memory_order_relaxed);  // not visible to anyone yet
  g->waitreason = WaitReason::Zero;
  g->preempt = false;
  g->noPreempt = 0;
  g->panicking = nullptr;
  g->ctx = Context{};
  std::memset(g->gcdata, 0, sizeof g->gcdata);
  return g;
}

void startG(G* g, uintptr_t gopc, bool system) {
  g->goid = gSched->goidgen.fetch_add(1, std::memory_order_relaxed) + 1;
  g->gopc = gopc;
  G* parent = thisM() != nullptr ? thisM()->curg : nullptr;
  g->parentGoid = parent != nullptr ? parent->goid : 0;
  g->system = system;
  P* p = thisP();
  if (p == nullptr) p = gSched->allp[0];  // main, before any M runs
  if (!system) countGoroutines(p, 1);
  hooks().onGCreate(g);
  g->atomicstatus.store(kGrunnable, std::memory_order_release);
  runqput(p, g, true);
  if (gSched->mainG != nullptr && gSched->mainG->started) wakep();
}

int64_t goroutineCount() {
  int64_t n = 0;
  for (P* p : gSched->allp) n += p->goroutines.load(std::memory_order_relaxed);
  return n;
}

void wakep() {
  if (gSched->npidle.load(std::memory_order_seq_cst) == 0) return;
  // Only one M spins looking for work at a time; it wakes the next when it
  // finds some.
  int expected = 0;
  if (!gSched->nmspinning.compare_exchange_strong(expected, 1, std::memory_order_seq_cst)) return;
  P* p = nullptr;
  {
    std::lock_guard<std::mutex> lk(gSched->lock);
    p = pidleGet();
    if (p != nullptr) {
      p->status.store(kPrunning, std::memory_order_release);
      // Hand our nmspinning count to p's M before it can see its P gone
      // from the idle list (idleParallel's pidleRemove, under this lock):
      // set later, the M could go back to findRunnable unflagged, count
      // itself as spinning a second time, and leave nmspinning one too high
      // for good (then wakep never wakes anyone again).
      p->m->spinning = true;
    }
  }
  if (p == nullptr) {
    gSched->nmspinning.fetch_sub(1, std::memory_order_seq_cst);
    return;
  }
  notewakeup(p->m);
}

void park(WaitReason reason, bool (*commit)(G*, void*), void* arg) {
  M* m = thisM();  // not read again after the switch
  G* g = m->curg;
  if (g->unwinding) {
    // A destructor blocked during shutdown unwinding: this goroutine is
    // abandoned where it stands.
    if (commit != nullptr) commit(g, arg);
    g->fnRun = nullptr;
    m->curg = nullptr;
    switchTo(&g->ctx, &m->g0, nullptr, nullptr);
    std::abort();
  }
  g->waitreason = reason;
  m->parkG = g;
  m->parkCommit = commit;
  m->parkArg = arg;
  bool inheritTime = false;
  G* next = handoffCandidate(m, &inheritTime);
  if (next != nullptr) {
    prepareToRun(m, next, inheritTime);
    switchTo(&g->ctx, &next->ctx, afterPark, m);
  } else {
    m->curg = nullptr;
    switchTo(&g->ctx, &m->g0, afterPark, m);
  }
  onResume(g);
}

void ready(G* g, bool next) {
  if (!gSched->gcScanning.load(std::memory_order_relaxed)) {
    g->atomicstatus.store(kGrunnable, std::memory_order_release);
  } else {
    casFromWaiting(g);
  }
  g->waitreason = WaitReason::Zero;
  P* p = thisP();
  runqput(p, g, next);
  wakep();
}

void casFromWaiting(G* g) {
  for (;;) {
    uint32_t s = kGwaiting;
    if (g->atomicstatus.compare_exchange_weak(s, kGrunnable, std::memory_order_acq_rel)) break;
    if ((s & ~kGscan) != kGwaiting) throwError("bad g->status in ready");
    std::this_thread::yield();
  }
}

bool makeRunnable(G* g) {
  uint32_t s = kGwaiting;
  if (!g->atomicstatus.compare_exchange_strong(s, kGrunnable, std::memory_order_acq_rel)) return false;
  g->waitreason = WaitReason::Zero;
  return true;
}

void setGcScanning(bool on) { gSched->gcScanning.store(on, std::memory_order_seq_cst); }

namespace {
// Gives up the P, staying runnable: `after` queues the goroutine once its
// context is saved.
void yieldTo(AfterSwitch after) {
  M* m = getm();
  G* g = m != nullptr ? m->curg : nullptr;
  if (g == nullptr || g->unwinding) return;
  m->curg = nullptr;
  switchTo(&g->ctx, &m->g0, after, g);
  onResume(g);
}
}  // namespace

void gosched() { yieldTo(afterYield); }
void goyield() { yieldTo(afterYieldLocal); }

void goexit() { throw detail::GoexitUnwind{}; }

namespace {
// The body of safepoint(); `yield` also lets the goroutine lose its P.
inline void safepointImpl(M* m, bool yield) {
  if (m == nullptr) return;
  if (const std::atomic<uint32_t>* attention = m->fastAttention) {
    // Parallel mode: nothing pending is the common case.
    if (attention->load(std::memory_order_relaxed) == 0) [[likely]] return;
    G* g = m->curg;
    if (g == nullptr || g->unwinding || g->noPreempt > 0) return;
    slowSafepoint(m, g);
    return;
  }
  G* g = m->curg;
  if (g == nullptr || g->unwinding || g->noPreempt > 0) return;
  if (gSched->exiting.load()) leaveForExit(m, g);
  if (m->p->attention.load(std::memory_order_relaxed) & kAttnGC) hooks().onSafepoint(g);
  if (g->lockedDet || gSched->gcwaiting.load(std::memory_order_relaxed)) return;
  if (gSched->cfg.gomaxprocs > 1 && (gSched->detRand.next32() & 1) != 0) {
    if (M* other = detPickOther(m)) {
      detSwitchM(m, other, &g->ctx);
      onResume(g);
      if (gSched->exiting.load()) leaveForExit(m, g);
      m = getm();
    }
  }
  if (!yield) return;
  if (--g->sliceLeft <= 0) {
    // The deterministic stand-in for sysmon's preemption: the goroutine's
    // time slice is over and it goes to the global queue.
    gosched();
  }
}
}  // namespace

// tM is read here rather than through getm(): a single read at entry, before
// anything can switch, so it cannot be a stale thread's.
void safepoint() { safepointImpl(tM, false); }
void yieldpoint() { safepointImpl(tM, true); }
void yieldpointOn(M* m) { safepointImpl(m, true); }

void lockAtSafepoints(SpinLock& l) {
  for (int tries = 0; !l.try_lock(); tries++) {
    yieldpoint();
    if (tries < 64) {
      spinPause();
    } else {
      std::this_thread::yield();
    }
  }
}

void requestGcAttention(P* p) {
  if (p != nullptr) {
    p->attention.fetch_or(kAttnGC, std::memory_order_release);
    return;
  }
  for (P* x : gSched->allp) x->attention.fetch_or(kAttnGC, std::memory_order_release);
}

void clearGcAttention(P* p) {
  if (p != nullptr) {
    p->attention.fetch_and(~kAttnGC, std::memory_order_release);
    return;
  }
  for (P* x : gSched->allp) x->attention.fetch_and(~kAttnGC, std::memory_order_release);
}

void stopTheWorld(const char*) {
  G* me = getg();
  M* m = getm();
  if (deterministic()) {
    // One OS thread: the other virtual Ms are suspended and are not switched
    // to while gcwaiting is set.
    gSched->gcwaiting.store(true);
    gSched->stopper = me;
    return;
  }
  std::unique_lock<std::mutex> lk(gSched->lock);
  // Only one stop at a time.
  gSched->startCv.wait(lk, [] { return !gSched->gcwaiting.load() || gSched->exiting.load(); });
  gSched->gcwaiting.store(true);
  gSched->stopper = me;
  gSched->stopwait = gSched->cfg.gomaxprocs - 1;
  for (P* p : gSched->allp) {
    if (p == m->p) continue;
    if (pidleRemove(p)) {
      // Idle: nothing runs there, so it counts as stopped at once. Off the
      // idle list, wakep cannot hand it out until the world starts.
      p->status.store(kPgcstop);
      p->stoppedWhileIdle = true;
      gSched->stopwait--;
    } else {
      p->attention.fetch_or(kAttnStop, std::memory_order_release);
    }
  }
  gSched->stopCv.wait(lk, [] { return gSched->stopwait <= 0 || gSched->exiting.load(); });
}

void startTheWorld() {
  if (deterministic()) {
    gSched->gcwaiting.store(false);
    gSched->stopper = nullptr;
    return;
  }
  std::lock_guard<std::mutex> lk(gSched->lock);
  for (P* p : gSched->allp) {
    p->attention.fetch_and(~kAttnStop, std::memory_order_release);
    if (p->stoppedWhileIdle) {
      p->stoppedWhileIdle = false;
      p->status.store(kPidle);
      gSched->pidle.push_back(p);
      gSched->npidle.fetch_add(1, std::memory_order_seq_cst);
    }
  }
  gSched->gcwaiting.store(false);
  gSched->stopper = nullptr;
  gSched->startGen++;
  gSched->startCv.notify_all();
}

bool worldStopped() { return gSched->gcwaiting.load(); }

void exitRun(int status) {
  {
    std::lock_guard<std::mutex> lk(gSched->lock);
    if (!gSched->exiting.load()) {
      gSched->exitStatus = status;
      gSched->exiting.store(true);
    }
    gSched->startCv.notify_all();
    gSched->stopCv.notify_all();
  }
  for (P* p : gSched->allp) p->attention.fetch_or(kAttnExit, std::memory_order_release);
  if (!deterministic()) {
    for (M* o : gSched->allm) notewakeup(o);
  }
  M* m = getm();
  G* g = m != nullptr ? m->curg : nullptr;
  if (g == nullptr) throw SchedulerExit{};
  leaveForExit(m, g);
}

int start(const Config& cfg, void (*mainFn)(void*), void* arg) {
  if (gSched != nullptr) {
    std::fprintf(stderr, "gort: gort::run called while a run is already active\n");
    std::abort();
  }
  gSched = new Sched();
  Sched& s = *gSched;
  s.cfg = cfg;
  if (s.cfg.gomaxprocs < 1) s.cfg.gomaxprocs = 1;
  if (s.cfg.detSliceMean < 1) s.cfg.detSliceMean = 1;
  gOneGoroutineThread = s.cfg.mode == Mode::Deterministic || s.cfg.gomaxprocs == 1;
  s.detRand.state = cfg.seed;
  s.startMono = realNanotime();
  stackPool().configure(cfg.stackSize);
  gMsArrived = 0;
  gTeardownDone = false;

  int n = s.cfg.gomaxprocs;
  for (int i = 0; i < n; i++) {
    P* p = new P();
    p->id = i;
    p->rand.state = cfg.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(i) + 1;
    M* m = new M();
    m->id = i;
    m->p = p;
    p->m = m;
    s.allp.push_back(p);
    s.allm.push_back(m);
  }
  if (n == 1) s.allp[0]->runq.setNoThieves(true);
  // P0 runs main; the others start idle and are woken as work appears.
  // Parallel mode: each thread runs findRunnable first and publishes its P
  // as idle itself (idleParallel); listing it here too would count it twice
  // (and report a deadlock while main is still running).
  s.allp[0]->status.store(kPrunning);
  for (int i = 1; i < n; i++) {
    if (s.cfg.mode == Mode::Parallel) {
      s.allp[i]->status.store(kPrunning);
      continue;
    }
    s.pidle.push_back(s.allp[i]);
    s.npidle.fetch_add(1);
  }

  for (P* p : s.allp) hooks().onPCreate(p);

  G* mg = allocG();
  mg->fnRun = mainFn;
  mg->fnArg = arg;
  s.mainG = mg;
  startG(mg, 0, false);

  installStackOverflowHandler();
  installTerminateHandler();
  adoptThreadContext(&s.root);
  installAltStack();
  if (s.cfg.mode == Mode::Deterministic) {
    for (M* m : s.allm) {
      if (!stackPool().get(&m->g0stack)) {
        std::fprintf(stderr, "gort: cannot allocate scheduler stacks\n");
        std::abort();
      }
      makeContext(&m->g0, m->g0stack.lo, m->g0stack.size, detMEntry, m);
      m->resume = &m->g0;
      m->detIdle = m->id != 0;
    }
    for (P* p : s.allp) {
      setm(p->m);
      hooks().onPStart(p);
    }
    M* m0 = s.allm[0];
    setm(m0);
    m0->resume = nullptr;
    switchTo(&s.root, &m0->g0, nullptr, nullptr);
    setm(nullptr);
  } else {
    for (M* m : s.allm) m->thread = std::thread(threadMain, m);
    s.sysmon = std::thread(sysmonMain);
    for (M* m : s.allm) m->thread.join();
    {
      std::lock_guard<std::mutex> lk(s.exitMu);
      s.exitSignalled = true;
    }
    s.exitCv.notify_all();
    s.sysmon.join();
  }
  releaseAltStack();

  int status = s.exitStatus;
  // Free everything the run made.
  for (M* m : s.allm) {
    if (m->g0stack.lo != nullptr) {
      stackPool().put(m->g0stack);
      destroyContext(&m->g0);
    }
  }
  {
    G* g = s.allgHead;
    while (g != nullptr) {
      G* next = g->alllink;
      if (g->started) {
        stackPool().put(g->stack);
        destroyContext(&g->ctx);
      }
      delete g;
      g = next;
    }
  }
  for (P* p : s.allp) {
    for (int i = 0; i < p->nstacks; i++) stackPool().put(p->stacks[i]);
  }
  for (M* m : s.allm) delete m;
  for (P* p : s.allp) delete p;
  s.timers.clear();
  delete gSched;
  gSched = nullptr;
  gOneGoroutineThread = false;
  return status;
}

const char* waitReasonString(WaitReason r) {
  switch (r) {
    case WaitReason::Zero: return "";
    case WaitReason::GCAssistMarking: return "GC assist marking";
    case WaitReason::ChanReceiveNilChan: return "chan receive (nil chan)";
    case WaitReason::ChanSendNilChan: return "chan send (nil chan)";
    case WaitReason::GarbageCollection: return "garbage collection";
    case WaitReason::Select: return "select";
    case WaitReason::SelectNoCases: return "select (no cases)";
    case WaitReason::GCAssistWait: return "GC assist wait";
    case WaitReason::GCSweepWait: return "GC sweep wait";
    case WaitReason::ChanReceive: return "chan receive";
    case WaitReason::ChanSend: return "chan send";
    case WaitReason::FinalizerWait: return "finalizer wait";
    case WaitReason::Semacquire: return "semacquire";
    case WaitReason::Sleep: return "sleep";
    case WaitReason::SyncCondWait: return "sync.Cond.Wait";
    case WaitReason::WaitForGCCycle: return "wait for GC cycle";
    case WaitReason::GCWorkerIdle: return "GC worker (idle)";
    case WaitReason::Preempted: return "preempted";
  }
  return "";
}

}  // namespace gort::sched
