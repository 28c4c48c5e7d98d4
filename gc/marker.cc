// Marking: shading objects grey, and draining grey objects to black.
//
// Grey objects wait in work buffers: each P has one it pushes to and pops
// from (the write barrier, assists and the P's mark worker all use their
// P's), and full buffers go to a global list any P can take from (Go's
// gcWork and work.full). An object is scanned by its type's trace method;
// an array bigger than 128 KiB is scanned in oblets of 128 KiB, each its own
// work item, so that one huge bucket array neither stalls a worker for long
// nor lets an assist overpay by megabytes.
//
// Scan work is counted in bytes scanned up to each object's last reference
// (TypeInfo::ptrdata), as Go counts it; the pacer turns it into assist
// ratios.

#include <algorithm>

#include "gc/collector.h"
#include "gc/finalizer.h"
#include "gc/verify.h"
#include "sched/fatal.h"

namespace gort {
namespace detail {
void visitObject(Visitor* v, const void* obj) { v->fn()(v, obj); }
}  // namespace detail

namespace gc {

Collector* gCollector = nullptr;

namespace {

constexpr size_t kMaxObletBytes = 128 << 10;  // Go's maxObletBytes

void markVisit(Visitor*, const void* obj) { shade(obj); }

// Go's accounting of an object, from the size cache allocation filled in
// (heap.cc sizesOf) when it has one: no table walk per shaded object.
inline int64_t goSizeOf(const ObjHeader* h) {
  if ((h->count & kLogged) != 0) {
    uint64_t c = h->type->sizeCache.load(std::memory_order_relaxed);
    if (c != 0) [[likely]] return static_cast<int64_t>(c & 0xffffff);
  }
  return goSize(h->payloadSize());
}

void push(PState* ps, WorkItem it);

// Shading by a drainer: the P is known, and the header was prefetched.
inline void shadeOn(PState* ps, uint32_t e, const void* obj) {
  ObjHeader* h = headerOf(obj);
  if (h->mark.load(std::memory_order_relaxed) == e) return;
  if (detail::gVerify) verifyHeader(h, obj);
  if (h->mark.exchange(e, std::memory_order_acq_rel) == e) return;
  ps->markedLocal += goSizeOf(h);
  countLive(ps, h->count);
  if (h->type->noscan) return;
  push(ps, WorkItem{h, 0});
}

// The visitor of drain. Nearly every reference a scan finds points at an
// object whose header is not in cache (1M small objects behind a map's
// buckets, in hash order), and shading one waits for that miss; the
// exchange after it also keeps the CPU from overlapping it with the next.
// So references are queued here with a prefetch, and shaded kPrefetch
// references later, when their headers have arrived: the misses overlap.
// Queued references are grey in all but name: the queue is emptied before
// drain lets the scheduler in, looks for work elsewhere, or returns, so no
// one deciding that marking is done can miss them.
struct PrefetchVisitor : Visitor {
  static constexpr uint32_t kPrefetch = 16;  // a power of two
  PState* ps;
  uint32_t epoch;
  uint32_t head = 0, tail = 0;
  const void* queue[kPrefetch];

  PrefetchVisitor(PState* p, uint32_t e) : Visitor(visit), ps(p), epoch(e) {}

  static void visit(Visitor* v, const void* obj) {
    auto* self = static_cast<PrefetchVisitor*>(v);
    __builtin_prefetch(headerOf(obj), 1);
    if (self->tail - self->head == kPrefetch) shadeOn(self->ps, self->epoch, self->queue[self->head++ % kPrefetch]);
    self->queue[self->tail++ % kPrefetch] = obj;
  }
  bool empty() const { return head == tail; }
  void flush() {
    while (head != tail) shadeOn(ps, epoch, queue[head++ % kPrefetch]);
  }
};

WorkBuf* getEmptyBuf() {
  Collector* c = gCollector;
  {
    std::lock_guard<sched::SpinLock> lk(c->workLock);
    if (WorkBuf* b = c->emptyBufs) {
      c->emptyBufs = b->next;
      b->next = nullptr;
      b->n = 0;
      return b;
    }
  }
  void* mem = mi_malloc(sizeof(WorkBuf));
  if (mem == nullptr) sched::fatal("runtime: out of memory (mark work buffers)");
  return ::new (mem) WorkBuf();
}

void putFull(WorkBuf* b) {
  Collector* c = gCollector;
  std::lock_guard<sched::SpinLock> lk(c->workLock);
  b->next = c->fullBufs;
  c->fullBufs = b;
  c->fullCount.fetch_add(1, std::memory_order_release);
}

void putEmpty(WorkBuf* b) {
  Collector* c = gCollector;
  std::lock_guard<sched::SpinLock> lk(c->workLock);
  b->next = c->emptyBufs;
  c->emptyBufs = b;
}

WorkBuf* takeFull() {
  Collector* c = gCollector;
  if (c->fullCount.load(std::memory_order_acquire) == 0) return nullptr;
  std::lock_guard<sched::SpinLock> lk(c->workLock);
  WorkBuf* b = c->fullBufs;
  if (b == nullptr) return nullptr;
  c->fullBufs = b->next;
  b->next = nullptr;
  c->fullCount.fetch_sub(1, std::memory_order_release);
  return b;
}

void push(PState* ps, WorkItem it) {
  WorkBuf* b = ps->wbuf;
  if (b == nullptr) {
    b = ps->wbuf = getEmptyBuf();
  } else if (b->n == kWorkBufCap) {
    putFull(b);
    b = ps->wbuf = getEmptyBuf();
  }
  b->items[b->n++] = it;
}

bool pop(PState* ps, WorkItem* out) {
  WorkBuf* b = ps->wbuf;
  if (b == nullptr || b->n == 0) {
    WorkBuf* full = takeFull();
    if (full == nullptr) return false;
    if (b != nullptr) putEmpty(b);
    b = ps->wbuf = full;
  }
  *out = b->items[--b->n];
  return true;
}

// The bytes of one value of t up to the end of its last reference: the
// allocation of t's first object learned them (heap.cc).
inline int64_t ptrdataOf(const TypeInfo* t) {
  uint32_t pd = t->ptrdata.load(std::memory_order_relaxed);
  return pd != 0 ? pd : static_cast<int64_t>(t->size);
}

// Scans one work item; returns the scan work it was worth: as Go counts it,
// the bytes scanned up to the last reference (an object of 64 bytes whose
// only reference is its first field is 8 bytes of work, not 64).
int64_t scanItem(PState* ps, const WorkItem& it, Visitor& v) {
  ObjHeader* h = it.obj;
  const TypeInfo* t = h->type;
  if (h->elems() == 1) {
    t->trace(h->payload(), v);
    return ptrdataOf(t);
  }
  // An array: elements [start, end), the rest pushed as another oblet.
  size_t perOblet = std::max<size_t>(1, kMaxObletBytes / std::max<size_t>(1, t->size));
  size_t start = it.start;
  size_t end = std::min<size_t>(h->elems(), start + perOblet);
  if (end < h->elems()) push(ps, WorkItem{h, static_cast<uint32_t>(end)});
  auto* base = static_cast<const char*>(h->payload());
  for (size_t i = start; i < end; i++) t->trace(base + i * t->size, v);
  // References follow in the next oblet: this one is scanned to its end.
  if (end < h->elems()) return static_cast<int64_t>((end - start) * t->size);
  return static_cast<int64_t>((end - start - 1) * t->size) + ptrdataOf(t);
}

// A root's scan work goes to the pacer as soon as it is done, as markroot
// adds it: revise() then weighs the work so far against what the cycle
// expects (the last cycle's stacks, this one's globals) from the start.
void publishRootWork(int64_t stack, int64_t globals) {
  Collector* c = gCollector;
  std::lock_guard<sched::SpinLock> lk(c->pacerLock);
  c->pacer.addScanWork(0, stack, globals);
}

// Claims and runs the next root job. False when all are claimed.
bool claimRoot(PState* ps) {
  Collector* c = gCollector;
  size_t i = c->nextRoot.fetch_add(1, std::memory_order_acq_rel);
  if (i >= c->roots.size()) return false;
  const RootJob& job = c->roots[i];
  switch (job.kind) {
    case RootJob::Globals: {
      Visitor v(markVisit);
      int64_t n = 0;
      forEachGlobal([&](detail::RootNode* node) {
        node->trace(node, v);
        n++;
      });
      // Go's runtime globals are scanned here too, as far as the pacer knows.
      publishRootWork(0, kGoRuntimeGlobals + n * 8);
      c->rootsLeft.fetch_sub(1, std::memory_order_acq_rel);
      break;
    }
    case RootJob::FinalizerObjects:
      runFinalizerMarking(ps);
      c->rootsLeft.fetch_sub(1, std::memory_order_acq_rel);
      break;
    case RootJob::FinalizerQueue:
      scanFinalizerQueue(ps);
      c->rootsLeft.fetch_sub(1, std::memory_order_acq_rel);
      break;
    case RootJob::Goroutine:
      // Counted down when the scan really happens (it may be deferred to
      // the goroutine's next safepoint).
      scanGoroutine(job.g);
      break;
  }
  return true;
}

// Bytes of stack a goroutine uses, for the pacer's stack term: down to
// its saved context if it is suspended, to this frame if it is scanning
// itself (a running goroutine has no saved context).
int64_t stackInUse(sched::G* g) {
  if (!g->started) return 0;
  uintptr_t sp;
  if (g == sched::getg()) {
    sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  } else if (g->ctx.fctx != nullptr) {
    sp = reinterpret_cast<uintptr_t>(g->ctx.fctx);
  } else {
    return 0;
  }
  auto lo = reinterpret_cast<uintptr_t>(g->stack.lo);
  auto top = lo + g->stack.size;
  return sp >= lo && sp < top ? static_cast<int64_t>(top - sp) : 0;
}

// Scans g's roots; the caller has made sure g cannot run meanwhile.
void scanRootsOf(sched::G* g, GState* gs) {
  Collector* c = gCollector;
  if (!claimScan(gs, c->epoch.load(std::memory_order_relaxed))) return;
  gs->scanRequested = false;
  Visitor v(markVisit);
  for (detail::RootNode* n = gs->roots.next; n != nullptr; n = n->next) n->trace(n, v);
  publishRootWork(stackInUse(g), 0);
  c->rootsLeft.fetch_sub(1, std::memory_order_acq_rel);
}

}  // namespace

void shade(const void* obj) {
  Collector* c = gCollector;
  ObjHeader* h = headerOf(obj);
  uint32_t e = c->epoch.load(std::memory_order_relaxed);
  if (h->mark.load(std::memory_order_relaxed) == e) return;
  if (detail::gVerify) verifyHeader(h, obj);
  if (h->mark.exchange(e, std::memory_order_acq_rel) == e) return;
  PState* ps = pstate(sched::getp());
  ps->markedLocal += goSizeOf(h);
  countLive(ps, h->count);
  if (h->type->noscan) return;  // black at once: nothing inside to find
  push(ps, WorkItem{h, 0});
}

namespace {

// Scan work done on ps since drain last flushed it: to the pacer once
// gcCreditSlack has gathered on the P (revise() then sees the cycle's
// progress), and for a background worker to the credit assists draw on.
void flushScanWork(PState* ps, int64_t work, bool bgCredit) {
  Collector* c = gCollector;
  ps->unpublishedWork += work;
  if (ps->unpublishedWork >= kGCCreditSlack) {
    std::lock_guard<sched::SpinLock> lk(c->pacerLock);
    c->pacer.addScanWork(ps->unpublishedWork, 0, 0);
    ps->unpublishedWork = 0;
  }
  if (bgCredit) flushBgCredit(work);
}

}  // namespace

int64_t drain(PState* ps, int64_t budget, unsigned flags) {
  Collector* c = gCollector;
  bool allowPreempt = (flags & kDrainPreemptible) != 0;
  bool bgCredit = (flags & kDrainFlushBgCredit) != 0;
  // The epoch cannot change under a drainer: a cycle starts with the world
  // stopped, and drain never spans mark termination.
  PrefetchVisitor v(ps, c->epoch.load(std::memory_order_relaxed));
  int64_t work = 0;
  int64_t sinceCheck = 0;
  int64_t unflushed = 0;
  int items = 0;
  // Counted while marking, so that nobody tries to end the cycle under a
  // marker still at work (Go's work.nwait).
  c->drainers.fetch_add(1, std::memory_order_acq_rel);
  while (budget < 0 || work < budget) {
    WorkItem it;
    if (!pop(ps, &it)) {
      if (!v.empty()) {
        v.flush();
        continue;
      }
      if (!claimRoot(ps)) break;
      continue;
    }
    int64_t w = scanItem(ps, it, v);
    work += w;
    sinceCheck += w;
    unflushed += w;
    // Let the scheduler in every 64 objects or 16 KiB of scanning, whichever
    // comes first (one oblet is up to 128 KiB): a stop-the-world must not
    // wait on a marker for long.
    if (allowPreempt && ((++items & 63) == 0 || sinceCheck >= (16 << 10))) {
      sinceCheck = 0;
      // Let the scheduler in now and then: a stop-the-world, another
      // goroutine (deterministic mode), or preemption.
      // A user goroutine (an assist) may come back on another P.
      v.flush();
      c->bytesMarked.fetch_add(ps->markedLocal, std::memory_order_relaxed);
      ps->markedLocal = 0;
      // Go flushes every gcCreditSlack units of work as it goes; a
      // dedicated worker that kept its credit to the end would leave the
      // assists it could pay for parked for the whole mark.
      if (unflushed >= kGCCreditSlack) {
        flushScanWork(ps, unflushed, bgCredit);
        unflushed = 0;
      }
      sched::safepoint();
      ps = v.ps = pstate(sched::getp());
      if (!c->blackenEnabled.load(std::memory_order_relaxed)) break;
    }
  }
  v.flush();
  c->drainers.fetch_sub(1, std::memory_order_acq_rel);
  ps->scanWork += work;
  c->scanWorkDone.fetch_add(work, std::memory_order_relaxed);
  c->bytesMarked.fetch_add(ps->markedLocal, std::memory_order_relaxed);
  ps->markedLocal = 0;
  flushScanWork(ps, unflushed, bgCredit);
  return work;
}

void flushWorkBuf(PState* ps) {
  Collector* c = gCollector;
  if (ps->wbuf != nullptr && ps->wbuf->n > 0) {
    putFull(ps->wbuf);
    ps->wbuf = nullptr;
  }

  c->bytesMarked.fetch_add(ps->markedLocal, std::memory_order_relaxed);
  ps->markedLocal = 0;
}

bool localWork(PState* ps) { return ps->wbuf != nullptr && ps->wbuf->n > 0; }

// Work any worker could take now: grey objects in the global list, or
// root jobs nobody has claimed. (Grey objects in other Ps' buffers and
// goroutine scans waiting for a safepoint are collected by gcMarkDone with
// the world stopped.)
bool markWorkAvailable() {
  Collector* c = gCollector;
  return c->fullCount.load(std::memory_order_acquire) > 0 || c->nextRoot.load() < c->roots.size();
}

bool markersActive() { return gCollector->drainers.load(std::memory_order_acquire) > 0; }

void scanGoroutine(sched::G* g) {
  GState* gs = gstate(g);
  Collector* c = gCollector;
  if (gs->scannedEpoch.load() == c->epoch.load(std::memory_order_relaxed)) return;
  uint32_t s = g->status() & ~sched::kGscan;
  if (s == sched::kGdead || s == sched::kGidle) {
    if (claimScan(gs, c->epoch.load(std::memory_order_relaxed))) c->rootsLeft.fetch_sub(1, std::memory_order_acq_rel);
    return;
  }
  if (sched::deterministic() || g == sched::getg() || sched::worldStopped()) {
    // One thread, ourselves, or everyone stopped: nothing can change g's
    // roots while we read them.
    scanRootsOf(g, gs);
    return;
  }
  for (uint32_t from : {static_cast<uint32_t>(sched::kGrunnable), static_cast<uint32_t>(sched::kGwaiting)}) {
    uint32_t expected = from;
    if (g->atomicstatus.compare_exchange_strong(expected, from | sched::kGscan, std::memory_order_acq_rel)) {
      scanRootsOf(g, gs);
      g->atomicstatus.store(from, std::memory_order_release);
      return;
    }
  }
  // Running on another M: it scans itself at its next safepoint.
  gs->scanRequested = true;
  sched::requestGcAttention(nullptr);
}

void scanPendingGoroutines() {
  Collector* c = gCollector;
  for (const RootJob& job : c->roots) {
    if (job.kind == RootJob::Goroutine && gstate(job.g)->scannedEpoch.load() != c->epoch.load()) {
      scanGoroutine(job.g);
    }
  }
}

void onGoroutineCreated(sched::G* g) {
  Collector* c = gCollector;
  GState* gs = gstate(g);
  if (c == nullptr) return;
  if (c->phase.load(std::memory_order_acquire) == kGCoff) return;
  // A goroutine born during mark is black: its roots (the Locals its closure
  // captured) are shaded now, and it is never scanned this cycle.
  Visitor v(markVisit);
  for (detail::RootNode* n = gs->roots.next; n != nullptr; n = n->next) n->trace(n, v);
  if (claimScan(gs, c->epoch.load())) {
    // If this cycle's root list names it (a reused G), that job is done.
    bool listed = false;
    for (const RootJob& job : c->roots) listed |= job.kind == RootJob::Goroutine && job.g == g;
    if (listed) c->rootsLeft.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void selfScan(sched::G* g) {
  GState* gs = gstate(g);
  if (gs->scanRequested && gCollector->phase.load() != kGCoff) scanRootsOf(g, gs);
}

}  // namespace gc
}  // namespace gort
