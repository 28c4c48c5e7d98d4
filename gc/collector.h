// The collector: a tri-color concurrent mark-sweep collector with Go's
// cycle, barrier, assists and pacer (mgc.go).
//
// One cycle, numbered as Go numbers them:
//
//  1. Sweep termination (stop the world): finish sweeping what the last
//     cycle left, start cycle E (every object turns white), turn the write
//     barrier on, queue the roots, enable marking; start the world.
//  2. Concurrent mark: background workers (25% of GOMAXPROCS, split into
//     dedicated and fractional workers as the pacer says) and mark assists
//     of allocating goroutines drain grey objects. Goroutine roots are
//     scanned one goroutine at a time, each once per cycle: the hybrid
//     write barrier (barrier.cc) makes rescanning unnecessary. Objects
//     allocated now are black.
//  3. Mark termination (stop the world) once no grey object is left
//     anywhere: queue finalizers of unreachable objects, verify the
//     tri-color invariant in verify mode, let the pacer close the cycle,
//     turn the barrier off, hand every allocation log to the sweeper;
//     start the world and print the gctrace line.
//  4. Concurrent sweep: allocation sweeps in proportion to what it
//     allocates, and a background sweeper goroutine does the rest.
//
// In deterministic mode the same code runs with the Ms virtual: the
// background worker is a goroutine that gets its share of the schedule, and
// "concurrent" means interleaved at safepoints.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gc/object.h"
#include "gc/pacer.h"
#include "gc/state.h"
#include "sched/spinlock.h"

namespace gort::gc {

struct Config {
  int gcPercent = 100;        // GOGC
  bool gctrace = false;       // GODEBUG=gctrace=1
  int stopTheWorld = 0;       // GODEBUG=gcstoptheworld=1|2
  bool verify = false;        // GODEBUG=gcverify=1 (gort's)
  int64_t stress = 0;         // GODEBUG=gcstress=N (gort's): a cycle every N allocations
};

// One entry of the root work list made at the start of each cycle.
struct RootJob {
  enum Kind : uint8_t { Globals, FinalizerObjects, FinalizerQueue, Goroutine } kind;
  sched::G* g = nullptr;
};

// Measurements of one cycle, for gctrace and MemStats.
struct CycleRecord {
  uint32_t n = 0;
  bool forced = false;
  int64_t tStart = 0;      // sweep termination begins (real ns since run start)
  int64_t tMark = 0;       // concurrent mark begins
  int64_t tMarkTerm = 0;   // mark termination begins
  int64_t tEnd = 0;
  int64_t heap0 = 0, heap1 = 0, heap2 = 0, goal = 0;
  int64_t stacks = 0, globals = 0;
  int64_t assistNs = 0, dedicatedNs = 0, fractionalNs = 0, idleNs = 0;
  int64_t sweepTermNs = 0, markTermNs = 0;
  int64_t restartPauseNs = 0;  // stops of gcMarkDone attempts that found more work
  int procs = 1;
};

struct Collector {
  Config cfg;
  std::atomic<uint32_t> phase{kGCoff};
  std::atomic<uint32_t> epoch{1};
  std::atomic<bool> blackenEnabled{false};
  std::atomic<uint32_t> cycles{0};  // cycles started (Go's work.cycles)

  // The pacer is plain arithmetic; pacerLock serialises it (Go's heap
  // lock). Mutators read its results through the atomics below.
  sched::SpinLock pacerLock;
  Pacer pacer;
  std::atomic<int64_t> heapLive{0};   // Go's heapLive: marked + allocated since
  std::atomic<int64_t> triggerBytes{0};
  std::atomic<double> assistWorkPerByte{0};
  std::atomic<double> assistBytesPerWork{0};
  int64_t lastStacks = 0;             // what the pacer was last told of stacks and globals
  int64_t lastGlobals = 0;
  // Deterministic mode's clock for the pacer: scheduling decisions this cycle.
  std::atomic<int64_t> detTicks{0};

  // Sweeping: allocation logs waiting for the sweeper, and swept ones.
  sched::SpinLock sweepLock;
  AllocChunk* unswept = nullptr;
  AllocChunk* swept = nullptr;
  int64_t sweptChunks = 0;             // length of swept (under sweepLock)
  std::atomic<int64_t> unsweptChunks{0};
  std::atomic<int> sweepers{0};        // sweeps in progress (sweep done = 0 and nothing unswept)
  int64_t sweepBytesPerChunk = 64 << 10;  // proportional sweep: allocation that owes one chunk

  // Frees, counted by sweepers on any thread.
  std::atomic<uint64_t> frees{0};
  std::atomic<uint64_t> totalFree{0};
  std::atomic<uint64_t> realFree{0};
  std::atomic<uint64_t> bySizeFrees[kNumSizeClasses] = {};

  // Mark work.
  sched::SpinLock workLock;
  WorkBuf* fullBufs = nullptr;
  WorkBuf* emptyBufs = nullptr;
  std::atomic<int64_t> fullCount{0};
  std::vector<RootJob> roots;
  std::atomic<size_t> nextRoot{0};
  std::atomic<int64_t> rootsLeft{0};
  std::atomic<int64_t> bytesMarked{0};
  std::atomic<int64_t> scanWorkDone{0};
  std::atomic<int64_t> bgScanCredit{0};
  std::atomic<int32_t> drainers{0};     // goroutines inside drain() now

  // Goroutines parked on the assist queue (gcParkAssist) and waiting for a
  // cycle to finish (gcWaitOnMark).
  sched::SpinLock waitLock;
  std::vector<sched::G*> assistQueue;
  std::atomic<int64_t> assistsParked{0};  // assistQueue's size, to look without the lock
  std::vector<sched::G*> cycleWaiters;
  std::atomic<uint32_t> marksDone{0};  // cycles whose mark phase has finished

  // Cycle bookkeeping (MemStats, gctrace).
  CycleRecord cur;
  uint32_t numGC = 0;
  uint32_t numForcedGC = 0;
  uint64_t pauseNs[256] = {};
  uint64_t pauseEnd[256] = {};
  uint64_t pauseTotalNs = 0;
  uint64_t lastGC = 0;
  int64_t gcCpuNs = 0;                 // STW + assist + dedicated + fractional, for GCCPUFraction
  int64_t runStartReal = 0;
  std::atomic<uint64_t> allocsSinceStress{0};
  std::vector<CycleRecord> history;    // kept for tests and introspection

  // The background goroutines: mark workers (one per P), the sweeper, the
  // finalizer goroutine. Started at the first cycle or SetFinalizer.
  std::atomic<bool> backgroundStarted{false};
  sched::G* sweeperG = nullptr;
  std::atomic<bool> sweeperParked{false};
  sched::G* finalizerG = nullptr;

  // One cycle start or mark completion at a time. Flags, not locks: a
  // goroutine must never block an M while another stops the world.
  std::atomic<bool> starting{false};
  std::atomic<bool> markDoneRunning{false};
  int markDoneRestarts = 0;

  int procs = 1;
  // Ps that really run at once in a pause: GOMAXPROCS capped by the CPUs.
  // Read once: hardware_concurrency is three system calls, and took up to
  // 48 us of a mark termination pause on a loaded machine.
  int stwProcs = 1;
};

// The scannable globals of a Go 1.19 program that imports nothing: the data
// and bss sections, nearly all of them the runtime's own variables. Go scans
// them in every cycle and its pacer counts them (globalsScan) in every goal
// and every estimate of a cycle's work; in the first cycle, with no heap or
// stack scanned before, they are all the work it expects. A C++ program has
// no such sections for the collector to scan, so gort counts them as Go
// does, with the 8 bytes of each Global, and its pacer starts from Go's
// figures. Measured with GODEBUG=gcpacertrace=1 (the first cycle's
// "B exp."; tests/gc/testdata/first_cycle.go); importing fmt makes 223344.
inline constexpr int64_t kGoRuntimeGlobals = 200304;

extern Collector* gCollector;

namespace testing {
// A test drives marking by hand (gc/testing.h): no workers, no assists.
bool manualMarking();
}

// Entry points used across the gc layer.
void* allocate(const TypeInfo* t, size_t count);
// An object's sizes as allocation counted them: Go's, mimalloc's, the class.
// Inline for a single object whose type's sizes are cached (TypeInfo
// sizeCache, packed by heap.cc sizesOf): the sweeper asks for every object
// it frees.
void objectSizesSlow(const ObjHeader* h, int64_t* go, uint64_t* real, int* cls);
inline void objectSizes(const ObjHeader* h, int64_t* go, uint64_t* real, int* cls) {
  uint64_t c = h->type->sizeCache.load(std::memory_order_relaxed);
  if (h->elems() != 1 || c == 0) [[unlikely]] {
    objectSizesSlow(h, go, real, cls);
    return;
  }
  *go = static_cast<int64_t>(c & 0xffffff);
  *real = (c >> 24) & 0xffffff;
  *cls = static_cast<int>((c >> 48) & 0xff);
}
AllocChunk* takeChunk(PState* ps);         // the P's log, replaced by a fresh one
AllocChunk* newChunk();                    // an empty log with an id of its own
void freeChunk(AllocChunk* c);            // kept as a spare, or freed
void fillSpareChunks();                    // a spare log for every P, allocated now
void releaseSpareChunks();                 // at the end of a run
void forEachGlobal(const std::function<void(detail::RootNode*)>& fn);
int64_t realNow();
int64_t pacerNow();
void publishPacer();                       // pacer results to the atomics (pacerLock held)
void gcStart(bool forced, bool stress = false);  // start a cycle if none runs (gcStart); stress: gcstress's turn
void gcMarkDone();                         // try to finish marking (gcMarkDone)
void flushAlloc(sched::P* p, PState* ps);  // heapLive += unflushed; maybe trigger
void paySweepDebt(PState* ps);             // the proportional sweep flushAlloc asked for; a safepoint
bool sweepOne();                           // sweep one chunk; false when none left
void finishSweep();                        // with the world stopped
bool sweepDone();
// How drain runs (Go's gcDrainFlags): whether it lets the scheduler in
// now and then, and whether its work is credit for assists (a background
// worker's is).
enum DrainFlags : unsigned { kDrainPreemptible = 1, kDrainFlushBgCredit = 2 };
int64_t drain(PState* ps, int64_t budget, unsigned flags);  // mark work, returns work done
void flushBgCredit(int64_t work);          // background work banked for assists; wakes parked ones
void flushWorkBuf(PState* ps);             // local grey objects to the global list
bool markWorkAvailable();                  // global grey objects or unclaimed roots
bool markersActive();                      // someone is draining right now
void shade(const void* obj);               // grey an object if white
void scanGoroutine(sched::G* g);           // scan a goroutine's roots, now or at its next safepoint
void scanPendingGoroutines();              // with the world stopped
void onGoroutineCreated(sched::G* g);
void selfScan(sched::G* g);                // at a safepoint, if a scan was requested
void sweeperMain();
void wakeSweeper();
void gcAssistAlloc(sched::G* g, GState* gs);
void wakeAssists();
void wakeCycleWaiters();
void waitForMark(uint32_t n);              // park until n mark phases have completed
void startBackgroundGoroutines();
sched::G* findWorker(sched::P* p, bool idle);
void printGctrace(const CycleRecord& r);
int64_t goSize(size_t payload);            // what Go would account for a payload

}  // namespace gort::gc
