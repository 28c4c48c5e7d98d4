// The scheduler: Ms, Ps, the global state, and the operations every other
// part of the runtime builds on (park/ready, safepoints, stop-the-world).
//
// Two modes, one code path (DESIGN.md):
//
//   parallel       GOMAXPROCS OS threads; thread i is M i and owns P i.
//   deterministic  one OS thread; the Ms are virtual, each with its own g0
//                  fiber. At every safepoint a seeded PRNG decides whether
//                  another virtual M takes the CPU. With several Ps that
//                  interleaves goroutines the way a second CPU would; with
//                  one P a goroutine is only switched where a single-P Go
//                  program could switch.
//
// Everything from findRunnable down is shared; the modes differ only in how
// an M sleeps and wakes (a futex, or "switch to another virtual M"), in
// where time comes from (the clock, or a virtual clock that jumps to the next
// timer when every M is idle), and in what a safepoint does.
//
// Preemption is cooperative, as in Go before 1.14: a goroutine is switched
// only at runtime calls (allocation, map and channel operations, sync
// primitives, Gosched, Sleep). A loop that calls none of them keeps its P.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gort/failure.h"
#include "sched/context.h"
#include "sched/g.h"
#include "sched/rand.h"
#include "sched/runq.h"
#include "sched/spinlock.h"
#include "sched/timers.h"

namespace gort::sched {

enum class Mode { Deterministic, Parallel };

// GOTRACEBACK levels (runtime/runtime1.go): none=0, single=1, all=1+all, system=2.
struct Traceback {
  int level = 1;
  bool all = false;
};

struct Config {
  Mode mode = Mode::Deterministic;
  int gomaxprocs = 1;
  uint64_t seed = 1;
  size_t stackSize = 256 * 1024;
  bool capture = false;          // record failures in *failure instead of exiting
  Failure* failure = nullptr;
  Traceback traceback;
  // Deterministic mode: mean number of safepoints in a goroutine's time slice.
  int64_t detSliceMean = 4096;
};

// P status values (runtime2.go).
enum PStatus : uint32_t { kPidle = 0, kPrunning = 1, kPgcstop = 3 };

// Per-P storage reserved for the collector (its mimalloc heap, allocation
// log and mark work buffer); gc/ casts it to its own type.
constexpr size_t kGcPerPSize = 512;

struct P {
  int id = 0;
  LocalRunq runq;
  std::atomic<uint32_t> schedtick{0};  // written by the owner, read by sysmon
  // User goroutines started minus exited on this P. Only the P's M writes
  // it (no locked instruction per go statement); the live count is the sum
  // over all Ps, as approximate while goroutines come and go as Go's gcount.
  std::atomic<int64_t> goroutines{0};
  std::atomic<uint32_t> status{kPidle};
  M* m = nullptr;
  Rand rand;                       // parallel mode fastrand state
  bool stoppedWhileIdle = false;   // counted as stopped for STW while idle
  // A goroutine on this P should stop at its next safepoint: preemption,
  // stop-the-world, GC attention or shutdown. One load on the fast path.
  std::atomic<uint32_t> attention{0};

  // Caches of dead Gs and free stacks, so that creating and ending a
  // goroutine takes no lock (Go's p.gFree and stack caches). Only this P's
  // M touches them.
  static constexpr int kCacheMax = 64;
  G* gfree = nullptr;
  int ngfree = 0;
  Stack stacks[kCacheMax];
  int nstacks = 0;

  alignas(64) unsigned char gcdata[kGcPerPSize];
};

// Bits of P::attention.
constexpr uint32_t kAttnPreempt = 1;
constexpr uint32_t kAttnStop = 2;
constexpr uint32_t kAttnGC = 4;
constexpr uint32_t kAttnExit = 8;

struct M {
  int id = 0;
  P* p = nullptr;
  G* curg = nullptr;
  // Parallel mode: &p->attention (M_i keeps P_i for the whole run), so a
  // safepoint with nothing pending costs two loads. Null in deterministic
  // mode, where every safepoint takes the full path.
  const std::atomic<uint32_t>* fastAttention = nullptr;
  Context g0;              // the scheduler loop
  Stack g0stack;           // deterministic mode: virtual Ms run g0 on a fiber
  std::thread thread;      // parallel mode

  // Sleeping (parallel mode).
  std::mutex noteMu;
  std::condition_variable noteCv;
  bool noteWoken = false;
  std::atomic<bool> spinning{false};  // set by wakep on another thread

  // Deterministic mode: where this virtual M continues, and whether it has
  // anything to do.
  Context* resume = nullptr;
  bool detIdle = false;

  // The park in progress on this M, finished on the far side of the switch.
  G* parkG = nullptr;
  bool (*parkCommit)(G*, void*) = nullptr;
  void* parkArg = nullptr;
};

struct Sched {
  Config cfg;
  std::vector<M*> allm;
  std::vector<P*> allp;

  GlobalRunq runq;
  std::mutex lock;                   // idle Ps, stop-the-world, exit
  std::atomic<int> npidle{0};
  std::atomic<int> nmspinning{0};
  std::vector<P*> pidle;

  std::atomic<int64_t> goidgen{0};
  std::mutex allglock;
  G* allgHead = nullptr;
  G* allgTail = nullptr;
  std::mutex gfreeLock;
  G* gfree = nullptr;
  G* mainG = nullptr;
  bool mainGoexited = false;           // main called Goexit

  // Stop the world.
  std::atomic<bool> gcwaiting{false};
  int stopwait = 0;
  std::condition_variable stopCv;
  std::condition_variable startCv;
  uint64_t startGen = 0;               // startTheWorld calls (under lock)
  G* stopper = nullptr;

  // Set (with the world stopped) while the collector may read goroutines'
  // roots; only then do status changes need a CAS against the scan bit.
  std::atomic<bool> gcScanning{false};

  Timers timers;
  Rand detRand;                       // deterministic mode: the one random stream
  std::atomic<int64_t> virtualNow{0}; // deterministic mode clock (ns since start)
  int64_t startMono = 0;

  // Ending.
  std::atomic<bool> exiting{false};
  int exitStatus = 0;
  std::atomic<bool> failing{false};
  Context root;                        // the thread that called start()
  std::mutex exitMu;
  std::condition_variable exitCv;
  bool exitSignalled = false;
  std::thread sysmon;
};

extern Sched* gSched;

inline bool deterministic() { return gSched->cfg.mode == Mode::Deterministic; }

// The running M / G / P of this thread (or virtual M). Out of line on
// purpose: a fiber may resume on another thread, and a TLS address cached in
// a register across a switch would point at the old thread's variable.
M* getm();
G* getg();
P* getp();
void setm(M* m);

// Starts the runtime, runs main(arg) as goroutine 1, and returns Go's exit
// status once main returns (0) or the run fails (2, only with capture).
int start(const Config& cfg, void (*main)(void*), void* arg);
inline bool running() { return gSched != nullptr; }

// Goroutine creation (the closure is written into g->closure by the caller
// between allocG and startG; a closure too big for it goes on the heap with
// this alignment).
constexpr size_t kClosureHeapAlign = 64;
G* allocG();
void startG(G* g, uintptr_t gopc, bool system);
int64_t goroutineCount();

// The goroutine that GC roots created right now belong to: the running one,
// or the new one while gort::go copies its closure (so Locals captured by
// the closure belong to the goroutine that will use them).
G* rootOwner();
// getm() and rootOwner() in one call, for the allocation path.
M* getmAndRootOwner(G** owner);
void setConstructingFor(G* g);

// Parks the running goroutine. commit(g, arg) runs after its context is
// saved, on the next goroutine's (or g0's) stack; it typically releases the
// lock that protects the wait queue g was put on. If commit returns false
// the park is undone and g runs again (Go's unlockf).
void park(WaitReason reason, bool (*commit)(G*, void*), void* arg);
// Makes a waiting goroutine runnable on the current P (in runnext).
void ready(G* g, bool next = true);
// Makes a waiting goroutine runnable without queueing it, for a caller that
// will hand it straight to the scheduler (findRunnableGCWorker). False if
// it was not waiting.
bool makeRunnable(G* g);
// Gosched: the running goroutine goes to the global queue.
void gosched();
// goyield: like gosched, but to the tail of the local queue (used after a
// semaphore hand-off, so the woken goroutine runs first).
void goyield();
[[noreturn]] void goexit();

// A point where another P's goroutine may interleave (deterministic mode),
// or where a stop-the-world or GC request is served (both modes).
void safepoint();
// A safepoint where the running goroutine may also lose its P: allocation
// and the entry of runtime calls, where Go could preempt.
void yieldpoint();
// yieldpoint for a caller that has just read getm() (with no switch since),
// saving the second thread-local read on the allocation path.
void yieldpointOn(M* m);
// Takes a SpinLock on a goroutine, passing a yieldpoint between tries.
// SpinLock::lock spins without one, so a goroutine waiting there cannot
// stop for a stop-the-world, give up the CPU (deterministic mode runs every
// goroutine on one thread) or leave for the exit: if the holder is a
// goroutine that must run again to let go (suspended where it stood, or
// gone for the exit), nothing moves again. Where no goroutine runs (g0) it
// is a plain spin.
void lockAtSafepoints(SpinLock& l);
// Marks that the GC wants every goroutine to pass through Hooks::onSafepoint
// (or just P p's, with p set).
void requestGcAttention(P* p);
// The collector says when it may set kGscan on goroutines (call with the
// world stopped).
void setGcScanning(bool on);
void clearGcAttention(P* p);

// Stop-the-world: on return no other P runs goroutines until startTheWorld.
void stopTheWorld(const char* reason);
void startTheWorld();
bool worldStopped();

// Time: virtual in deterministic mode, CLOCK_MONOTONIC otherwise.
int64_t nanotime();
// Wall time in ns since the Unix epoch (deterministic mode: a fixed start).
int64_t walltime();
// Real monotonic time whatever the mode, for measurements (GC pauses).
int64_t realNanotime();
// The CPUs the process may use, read once (std::thread::hardware_concurrency
// costs three system calls per call).
unsigned numCPUs();

uint32_t fastrand();
uint64_t fastrand64();

// Calls fn on every goroutine that is not dead (under allglock).
template <class F>
void forEachG(F&& fn) {
  std::lock_guard<std::mutex> lk(gSched->allglock);
  for (G* g = gSched->allgHead; g != nullptr; g = g->alllink) {
    if ((g->status() & ~kGscan) != kGdead) fn(g);
  }
}

// Ends the run with exit status `status` (main returned, or a captured
// failure). Never returns: a goroutine stays suspended for teardown to
// unwind; on g0 it throws SchedulerExit to the M's scheduler loop.
[[noreturn]] void exitRun(int status);
struct SchedulerExit {};

// Internal: wakes an idle P if there is work and nobody spinning (wakep).
void wakep();

}  // namespace gort::sched
