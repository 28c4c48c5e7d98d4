// The collector's state: per P, per goroutine, and global.
#pragma once

#include <mimalloc.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "gc/object.h"
#include "gc/pacer.h"
#include "gc/sizeclasses.h"
#include "sched/g.h"
#include "sched/sched.h"
#include "sched/spinlock.h"

#if defined(GORT_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace gort::gc {

// mimalloc hands a block freed on one thread back to its owner through
// atomics inside the library, which ThreadSanitizer does not see (the
// system libmimalloc is not instrumented): without these, the sweeper's
// last reads of an object and the next allocation of its block look like a
// race. A free releases the block, an allocation acquires it.
inline void tsanFreeing(void* block) {
#if defined(GORT_TSAN)
  __tsan_release(block);
#else
  (void)block;
#endif
}
inline void tsanAllocated(void* block) {
#if defined(GORT_TSAN)
  __tsan_acquire(block);
#else
  (void)block;
#endif
}

// gcphase (mgc.go): the write barrier is on in mark and mark termination.
enum Phase : uint32_t { kGCoff = 0, kGCmark = 1, kGCmarktermination = 2 };

// Every object a P allocates is logged here; sweeping walks the logs. A
// chunk's entries are compacted in place as the sweeper frees objects.
constexpr uint32_t kChunkCap = 1024;  // a chunk is swept without safepoints: keep it short
struct AllocChunk {
  AllocChunk* next = nullptr;
  uint32_t n = 0;
  uint32_t id = 0;  // what its single objects' headers name (object.h kLogged), < 2^31
  ObjHeader* objs[kChunkCap];
};

// A unit of mark work: an object, or (for big arrays) the part of it from
// element `start` on (Go's oblets, maxObletBytes = 128 KiB).
struct WorkItem {
  ObjHeader* obj;
  uint32_t start;
};
constexpr uint32_t kWorkBufCap = 253;  // Go's workbuf holds 253 pointers
struct WorkBuf {
  WorkBuf* next = nullptr;
  uint32_t n = 0;
  WorkItem items[kWorkBufCap];
};

struct PState {
  mi_heap_t* heap = nullptr;
  AllocChunk* chunk = nullptr;

  // Allocation not yet added to the global heapLive (flushed every
  // kFlushBytes, the way Go updates heapLive when an mcache refills a span).
  int64_t unflushed = 0;
  int64_t unflushedScan = 0;  // the scannable part of it
  // heapLive crossed the trigger (or gcstress fired): start a cycle once the
  // new object is rooted (afterAlloc).
  bool triggerPending = false;
  bool stressPending = false;  // the trigger is gcstress's: start whatever heapLive says
  // Chunks this P owes the proportional sweep. Allocation runs it up, and
  // it is paid once the new object is rooted (afterAlloc), with a safepoint
  // after every chunk: inside allocate no safepoint is allowed, and paying
  // dozens of chunks there would hold off a stop-the-world for milliseconds.
  int64_t sweepDebt = 0;
  // Allocation flushed since this P last took on a chunk of that debt.
  int64_t sweepCredit = 0;

  // Cumulative counters, written only by this P, summed with the world
  // stopped by ReadMemStats.
  uint64_t mallocs = 0;
  uint64_t totalAlloc = 0;  // bytes as Go accounts them (size classes)
  uint64_t realAlloc = 0;   // bytes mimalloc really handed out, header included
  uint64_t bySizeMallocs[kNumSizeClasses] = {};

  // Marking.
  WorkBuf* wbuf = nullptr;
  int64_t scanWork = 0;    // scan work done by this P this cycle
  int64_t markedLocal = 0; // bytes shaded here, not yet added to bytesMarked
  int64_t unpublishedWork = 0;  // heap scan work not yet given to the pacer
  // Objects marked this cycle by this P, per allocation log id (objects
  // allocated black included). Written only here while marking; the
  // sweeper reads and clears a log's entries after mark termination.
  std::vector<uint32_t> live;


  // The background mark worker that belongs to this P.
  sched::G* worker = nullptr;
  MarkWorkerMode workerMode = MarkWorkerMode::None;  // what the worker runs as now
  // Fractional worker time on this P this cycle, in the pacer's clock
  // (collector.cc pacerNow: ns, or scheduling decisions in deterministic
  // mode).
  int64_t fractionalTime = 0;
};

struct GState {
  // The head of the Local<T> roots, most recent first: roots.next. A
  // sentinel node, so that unlinking a root never needs to find its
  // goroutine (heap.h unregisterLocal is inline).
  detail::RootNode roots;
  int64_t assistBytes = 0;             // Go's gcAssistBytes: credit (>0) or debt (<0)
  std::atomic<uint32_t> scannedEpoch{0};  // cycle in which this G's roots were scanned
  std::atomic<bool> scanRequested{false};  // set by a marker on another M, read by this G at safepoints
  // The object (or root) being constructed, for verify mode's Ptr checks.
  void* constructLo = nullptr;
  size_t constructSize = 0;
  const TypeInfo* constructType = nullptr;
  int64_t assistNs = 0;                // time spent in mark assist
};
static_assert(sizeof(GState) <= sched::kGcPerGSize, "GState must fit in G::gcdata");

// Claims the scan of a goroutine's roots for cycle e: true for exactly one
// caller per cycle.
inline bool claimScan(GState* gs, uint32_t e) {
  uint32_t old = gs->scannedEpoch.load(std::memory_order_acquire);
  while (old != e) {
    if (gs->scannedEpoch.compare_exchange_weak(old, e, std::memory_order_acq_rel)) return true;
  }
  return false;
}

// An object turned black on this P: one more marked object in its log.
inline void countLive(PState* ps, uint32_t count) {
  if ((count & kLogged) == 0) return;  // an array: its log is swept object by object
  uint32_t id = count & ~kLogged;
  if (id >= ps->live.size()) [[unlikely]] ps->live.resize(static_cast<size_t>(id) * 2 + 64);
  ps->live[id]++;
}

inline PState* pstate(sched::P* p) { return *reinterpret_cast<PState**>(p->gcdata); }
inline GState* gstate(sched::G* g) { return reinterpret_cast<GState*>(g->gcdata); }

}  // namespace gort::gc
