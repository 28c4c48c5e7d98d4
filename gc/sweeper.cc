// Sweeping: freeing what the last mark left white.
//
// Go sweeps spans; gort sweeps allocation logs (state.h AllocChunk): every
// object a P allocated is listed in some chunk, and at mark termination all
// chunks go to the unswept list. Sweeping a chunk frees its white objects
// (running their destructors, or in verify mode poisoning and quarantining
// them) and compacts the survivors in place; nearly empty chunks are merged
// so that the next sweep touches fewer. As in Go, sweeping happens in three
// places (mgcsweep.go): an allocating P sweeps in proportion to what it
// allocates, the background sweeper goroutine sweeps the rest a chunk at a
// time, and the next cycle's sweep termination finishes whatever is left
// with the world stopped. runtime.GC() sweeps everything itself before it
// returns.
//
// Objects allocated during the sweep get the current cycle's mark, so the
// sweeper keeps them.

#include "gc/collector.h"
#include "gc/verify.h"

namespace gort::gc {
namespace {

// A swept chunk holding fewer objects than this is merged into another.
constexpr uint32_t kMergeBelow = kChunkCap / 4;

struct FreeTally {
  uint64_t n = 0;
  uint64_t goBytes = 0;
  uint64_t realBytes = 0;
  uint64_t bySize[kNumSizeClasses] = {};

  void add(ObjHeader* h) {
    int64_t go;
    uint64_t real;
    int cls;
    objectSizes(h, &go, &real, &cls);
    n++;
    goBytes += static_cast<uint64_t>(go);
    realBytes += real;
    bySize[cls]++;
  }
  void publish(Collector* c) {
    if (n == 0) return;
    c->frees.fetch_add(n, std::memory_order_relaxed);
    c->totalFree.fetch_add(goBytes, std::memory_order_relaxed);
    c->realFree.fetch_add(realBytes, std::memory_order_relaxed);
    for (int i = 0; i < kNumSizeClasses; i++) {
      if (bySize[i] != 0) c->bySizeFrees[i].fetch_add(bySize[i], std::memory_order_relaxed);
    }
  }
};

void freeObject(ObjHeader* h, FreeTally* tally) {
  tally->add(h);
  if (h->type->destroy != nullptr) h->type->destroy(h->payload());
  if (detail::gVerify) {
    quarantine(h);
  } else {
    tsanFreeing(h);
    mi_free(h);
  }
}

}  // namespace

bool sweepOne() {
  Collector* c = gCollector;
  AllocChunk* ch;
  {
    std::lock_guard<sched::SpinLock> lk(c->sweepLock);
    ch = c->unswept;
    if (ch == nullptr) return false;
    c->unswept = ch->next;
    c->sweepers.fetch_add(1, std::memory_order_acq_rel);
  }
  c->unsweptChunks.fetch_sub(1, std::memory_order_relaxed);
  // No safepoint in the middle of a chunk (a destructor might reach one):
  // a stop-the-world must never find a chunk half swept.
  sched::G* g = sched::running() ? sched::getg() : nullptr;
  if (g != nullptr) g->noPreempt++;
  uint32_t e = c->epoch.load(std::memory_order_relaxed);
  FreeTally tally;
  uint32_t keep = 0;
  // Marking counted the log's marked objects (state.h countLive). When that
  // is all of them, nothing here is freed and no header needs reading: on
  // a heap that survives, this is what makes sweeping cost per log rather
  // than per object (Go's sweep likewise reads span bitmaps, not objects).
  // Verify mode checks every object.
  uint32_t live = 0;
  for (sched::P* p : sched::gSched->allp) {
    std::vector<uint32_t>& counts = pstate(p)->live;
    if (ch->id < counts.size()) {
      live += counts[ch->id];
      counts[ch->id] = 0;
    }
  }
  if (live == ch->n && !detail::gVerify) {
    keep = ch->n;
  } else {
    // The log lists objects in allocation order, but their headers are cold
    // and freeing breaks up the hardware prefetcher's streams: ask ahead.
    constexpr uint32_t kAhead = 16;
    for (uint32_t i = 0; i < ch->n; i++) {
      if (i + kAhead < ch->n) __builtin_prefetch(ch->objs[i + kAhead]);
      ObjHeader* h = ch->objs[i];
      if (h->mark.load(std::memory_order_relaxed) == e) {
        ch->objs[keep++] = h;
      } else {
        freeObject(h, &tally);
      }
    }
  }
  ch->n = keep;
  tally.publish(c);
  if (g != nullptr) g->noPreempt--;

  AllocChunk* toFree = nullptr;
  {
    std::lock_guard<sched::SpinLock> lk(c->sweepLock);
    AllocChunk* into = c->swept;
    if (keep == 0) {
      toFree = ch;
    } else if (keep < kMergeBelow && into != nullptr && into->n + keep <= kChunkCap) {
      for (uint32_t i = 0; i < keep; i++) {
        ObjHeader* h = ch->objs[i];
        if ((h->count & kLogged) != 0) h->count = kLogged | into->id;  // it is into's to count now
        into->objs[into->n++] = h;
      }
      toFree = ch;
    } else {
      ch->next = c->swept;
      c->swept = ch;
      c->sweptChunks++;
    }
    c->sweepers.fetch_sub(1, std::memory_order_acq_rel);
  }
  if (toFree != nullptr) freeChunk(toFree);
  return true;
}

bool sweepDone() {
  Collector* c = gCollector;
  return c->unsweptChunks.load(std::memory_order_acquire) <= 0 && c->sweepers.load(std::memory_order_acquire) == 0;
}

void finishSweep() {
  while (sweepOne()) {
  }
}

// The background sweeper (bgsweep): one chunk, then let others run.
void sweeperMain() {
  Collector* c = gCollector;
  for (;;) {
    while (sweepOne()) sched::gosched();
    c->sweepLock.lock();
    if (c->unswept != nullptr) {
      c->sweepLock.unlock();
      continue;
    }
    c->sweeperParked.store(true, std::memory_order_release);
    sched::park(
        sched::WaitReason::GCSweepWait,
        [](sched::G*, void*) {
          gCollector->sweepLock.unlock();
          return true;
        },
        nullptr);
  }
}

void wakeSweeper() {
  Collector* c = gCollector;
  if (c->sweeperG == nullptr) return;
  if (c->sweeperParked.exchange(false, std::memory_order_acq_rel)) {
    // It parks holding sweepLock and its park commit releases it, after the
    // goroutine is marked waiting: once we hold the lock, it can be readied.
    c->sweepLock.lock();
    c->sweepLock.unlock();
    sched::ready(c->sweeperG, false);
  }
}

}  // namespace gort::gc
