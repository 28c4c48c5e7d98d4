// G: a goroutine.
//
// Vocabulary is Go's (runtime/runtime2.go): a G is a goroutine, an M is an OS
// thread (or, in deterministic mode, a virtual one), a P is the right to run
// Go code, with its own run queue. In gort every M owns exactly one P for
// life (Go hands Ps between Ms around system calls; gort has no system
// calls), so "P i is idle" and "M i sleeps" are the same statement.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sched/context.h"
#include "sched/stack_pool.h"

namespace gort::sched {

struct M;
struct P;
struct Sudog;
struct PanicRecord;

// G status values, numbered as runtime2.go numbers them.
enum GStatus : uint32_t {
  kGidle = 0,      // just allocated, not yet initialised
  kGrunnable = 1,  // on a run queue, not executing
  kGrunning = 2,   // executing on an M (or, deterministic mode, suspended mid-step on a virtual M)
  kGsyscall = 3,   // unused in gort
  kGwaiting = 4,   // parked; waitreason says why
  kGdead = 6,      // finished, or on the free list
};
// Ored onto runnable/waiting while the collector reads the G's roots; the G
// cannot start running until the bit clears.
constexpr uint32_t kGscan = 0x1000;

// Why a G is waiting; the strings are Go's (runtime2.go waitReasonStrings),
// so tracebacks read like Go's.
enum class WaitReason : uint8_t {
  Zero,
  GCAssistMarking,
  ChanReceiveNilChan,
  ChanSendNilChan,
  GarbageCollection,
  Select,
  SelectNoCases,
  GCAssistWait,
  GCSweepWait,
  ChanReceive,
  ChanSend,
  FinalizerWait,
  Semacquire,
  Sleep,
  SyncCondWait,
  WaitForGCCycle,
  GCWorkerIdle,
  Preempted,
};
const char* waitReasonString(WaitReason r);

// Per-G storage reserved for the collector (its root list, assist credit and
// scan state). The scheduler only allocates and zeroes it; gc/ casts it to
// its own type (gc/roots.h) and static_asserts that it fits.
constexpr size_t kGcPerGSize = 96;

struct G {
  int64_t goid = 0;
  std::atomic<uint32_t> atomicstatus{kGidle};
  WaitReason waitreason = WaitReason::Zero;
  bool system = false;         // runtime goroutine: hidden from tracebacks and deadlock checks
  bool started = false;        // has run at least once (has a stack)
  bool unwinding = false;      // being unwound at shutdown: blocking calls must not park
  bool lockedDet = false;      // deterministic mode: must not be switched away at safepoints
  int noPreempt = 0;           // >0: safepoints are ignored (Go's m.locks); the sweeper sets it

  Context ctx;
  Stack stack;
  M* m = nullptr;              // the M running this G, while running
  G* schedlink = nullptr;      // link in the global run queue and free lists
  G* alllink = nullptr;        // all-G list (creation order, for tracebacks)

  // What the goroutine runs: a type-erased callable stored in `closure`
  // (inline when small).
  void (*fnRun)(void*) = nullptr;
  void (*fnDestroy)(void*) = nullptr;
  void* fnArg = nullptr;
  alignas(16) unsigned char closure[96];
  bool closureOnHeap = false;

  uintptr_t gopc = 0;          // return address in the code that said go
  int64_t parentGoid = 0;

  // Parking.
  void* param = nullptr;        // passed from the waker (the sudog that won, for select)
  Sudog* waiting = nullptr;     // sudogs this G is queued on (select)
  std::atomic<uint32_t> selectDone{0};
  bool parkingOnChan = false;

  // Deterministic-mode time slice: safepoints left before preemption.
  int64_t sliceLeft = 0;
  bool preempt = false;         // parallel mode: yield at the next safepoint

  // Panics and defers in flight (panic.cc).
  PanicRecord* panicking = nullptr;

  // Timer for Sleep.
  int64_t timerWhen = 0;

  // Parallel mode, while a fatal error is being reported: the stack this
  // goroutine had when its M stopped for the report.
  std::vector<uintptr_t> frozenStack;

  alignas(16) unsigned char gcdata[kGcPerGSize];

  uint32_t status() const { return atomicstatus.load(std::memory_order_acquire); }
};

}  // namespace gort::sched
