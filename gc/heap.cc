// Allocation: GC objects come from the allocating P's mimalloc heap
// (mi_heap_new, one per P, never one per goroutine), with a 16-byte header
// in front (object.h).
//
// Two sizes are kept for every object, each labelled where it is reported:
//   Go-accounted  the payload rounded to Go's size class, large objects to
//                 8 KiB pages: what HeapAlloc, TotalAlloc and BySize say, and
//                 what the pacer paces on, so the numbers match Go's.
//   real          what mimalloc handed out, header included.
//
// Allocation is also where the collector takes its share: a goroutine that
// allocates while marking is in debt and assists (assist.cc); every 64 KiB a
// P adds its allocation to heapLive, which may start a cycle, and sweeps in
// proportion; and after every allocation the scheduler may switch
// goroutines (a yield point).

#include <cxxabi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include <sys/mman.h>
#include <unistd.h>

#include "gc/collector.h"
#include "gc/verify.h"
#include "sched/fatal.h"

namespace gort {
namespace detail {

std::atomic<bool> gWriteBarrier{false};
bool gVerify = false;

const char* demangledName(const std::type_info& t) {
  // Names live as long as the process (type descriptors are static).
  static std::mutex mu;
  static std::unordered_map<const std::type_info*, std::string>* names =
      new std::unordered_map<const std::type_info*, std::string>();
  std::lock_guard<std::mutex> lk(mu);
  auto it = names->find(&t);
  if (it != names->end()) return it->second.c_str();
  int status = 0;
  char* d = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string s = (status == 0 && d != nullptr) ? d : t.name();
  std::free(d);
  return names->emplace(&t, std::move(s)).first->second.c_str();
}

void* allocObject(const TypeInfo* t, size_t count) {
  return gc::allocate(t, count);
}

void afterAlloc() {
  if (sched::gSched == nullptr) return;
  sched::M* m = sched::getm();
  if (m == nullptr) return;
  gc::PState* ps = gc::pstate(m->p);
  if (ps->triggerPending || ps->sweepDebt > 0) [[unlikely]] {
    if (ps->triggerPending) {
      bool stress = ps->stressPending;
      ps->triggerPending = false;
      ps->stressPending = false;
      gc::gcStart(false, stress);
      ps = gc::pstate(sched::getp());
    }
    if (ps->sweepDebt > 0) gc::paySweepDebt(ps);
    // Either may have switched goroutines: m is stale.
    sched::yieldpoint();
    return;
  }
  sched::yieldpointOn(m);
}

void ConstructScope::begin(size_t size, const TypeInfo* t) {
  beginFor(sched::gSched != nullptr ? sched::rootOwner() : nullptr, size, t);
}

void ConstructScope::beginFor(void* forG, size_t size, const TypeInfo* t) {
  auto* g = static_cast<sched::G*>(forG);
  if (g == nullptr) return;
  gc::GState* gs = gc::gstate(g);
  // Only verify mode reads the construct fields (verifyPtrPlacement).
  if (gVerify) {
    savedFor = gs;
    savedLo = gs->constructLo;
    savedSize = gs->constructSize;
    savedType = gs->constructType;
    gs->constructLo = lo;
    gs->constructSize = size;
    gs->constructType = t;
  }
  if (t != nullptr) {
    trace = [](const RootNode* n, Visitor& v) { v.visitRaw(static_cast<const ConstructScope*>(n)->lo); };
    owner = g;
    prev = &gs->roots;
    next = gs->roots.next;
    if (next != nullptr) next->prev = this;
    gs->roots.next = this;
    rooted = true;
  }
}

void ConstructScope::end() {
  if (rooted) {
    unregisterLocal(this);
    rooted = false;
  }
  if (savedFor != nullptr) {
    auto* gs = static_cast<gc::GState*>(savedFor);
    gs->constructLo = savedLo;
    gs->constructSize = savedSize;
    gs->constructType = savedType;
    savedFor = nullptr;
  }
}

// ---------------------------------------------------------------------------
// Roots

void registerLocal(RootNode* n) {
  sched::G* g = sched::gSched != nullptr ? sched::rootOwner() : nullptr;
  if (g == nullptr) {
    n->owner = nullptr;
    n->prev = nullptr;
    n->next = nullptr;
    if (gVerify) gc::verifyFail("Local<T> created outside a goroutine: nothing roots it (use Global<T> for variables that outlive goroutines)");
    return;
  }
  gc::GState* gs = gc::gstate(g);
  n->owner = g;
  n->prev = &gs->roots;
  n->next = gs->roots.next;
  if (n->next != nullptr) n->next->prev = n;
  gs->roots.next = n;
}

namespace {
std::mutex& globalsMu() {
  static std::mutex* mu = new std::mutex();
  return *mu;
}
RootNode*& globalsHead() {
  static RootNode* head = nullptr;
  return head;
}
}  // namespace

void registerGlobal(RootNode* n) {
  std::lock_guard<std::mutex> lk(globalsMu());
  n->prev = nullptr;
  n->next = globalsHead();
  if (n->next != nullptr) n->next->prev = n;
  globalsHead() = n;
}

void unregisterGlobal(RootNode* n) {
  std::lock_guard<std::mutex> lk(globalsMu());
  if (n->prev != nullptr) {
    n->prev->next = n->next;
  } else if (globalsHead() == n) {
    globalsHead() = n->next;
  }
  if (n->next != nullptr) n->next->prev = n->prev;
}

}  // namespace detail

namespace gc {

void forEachGlobal(const std::function<void(detail::RootNode*)>& fn) {
  std::lock_guard<std::mutex> lk(detail::globalsMu());
  for (detail::RootNode* n = detail::globalsHead(); n != nullptr; n = n->next) fn(n);
}

int64_t goSize(size_t payload) { return static_cast<int64_t>(roundupsize(payload)); }

namespace {

// Every this many bytes a P adds its allocation to heapLive, and while
// marking revises the assist ratio. Go does both each time an mcache takes
// a fresh span, one 8 KiB page for every size class up to 1152 bytes; a
// flush takes the pacer lock, and at 8 KiB Alloc64 paid 3% for it. An
// assist flushes its P first instead (workers.cc), so the ratio it pays
// and is credited at is as fresh as Go's.
constexpr int64_t kFlushBytes = 64 << 10;

[[noreturn]] void outOfMemory(size_t bytes) {
  sched::fatal("runtime: out of memory: cannot allocate " + std::to_string(bytes) + "-byte block");
}

}  // namespace

namespace {
// Log ids: dense, so that marking counts into plain per-P arrays. Ids of
// freed logs are reused.
sched::SpinLock gIdLock;
std::vector<uint32_t>* gFreeIds = new std::vector<uint32_t>();
uint32_t gNextId = 0;

}  // namespace

AllocChunk* newChunk() {
  void* mem = mi_malloc(sizeof(AllocChunk));
  if (mem == nullptr) sched::fatal("runtime: out of memory");
  tsanAllocated(mem);
  auto* c = ::new (mem) AllocChunk();
  std::lock_guard<sched::SpinLock> lk(gIdLock);
  if (!gFreeIds->empty()) {
    c->id = gFreeIds->back();
    gFreeIds->pop_back();
  } else {
    if (gNextId >= kLogged) sched::fatal("runtime: out of memory (allocation logs)");
    c->id = gNextId++;
  }
  return c;
}

namespace {

void deleteChunk(AllocChunk* c) {
  {
    std::lock_guard<sched::SpinLock> lk(gIdLock);
    gFreeIds->push_back(c->id);
  }
  c->~AllocChunk();
  tsanFreeing(c);
  mi_free(c);
}

}  // namespace

// Spare logs. Mark termination gives every P a fresh log with the world
// stopped, where a call into mimalloc can cost a fresh segment's mmap and
// page faults (measured: up to 200 us of the pause). Logs the sweeper
// empties are kept here instead, and gcMarkDone tops the spares up before
// it stops the world.
namespace {
sched::SpinLock gSpareLock;
AllocChunk* gSpare = nullptr;
int gSpareCount = 0;

AllocChunk* popSpare() {
  std::lock_guard<sched::SpinLock> lk(gSpareLock);
  AllocChunk* c = gSpare;
  if (c == nullptr) return nullptr;
  gSpare = c->next;
  gSpareCount--;
  return c;
}

int spareWanted() { return 2 * static_cast<int>(sched::gSched->allp.size()) + 4; }
}  // namespace

AllocChunk* takeChunk(PState* ps) {
  AllocChunk* c = ps->chunk;
  AllocChunk* fresh = popSpare();
  if (fresh != nullptr) {
    fresh->next = nullptr;
    fresh->n = 0;
  } else {
    fresh = newChunk();
  }
  ps->chunk = fresh;
  return c;
}

void freeChunk(AllocChunk* c) {
  {
    std::lock_guard<sched::SpinLock> lk(gSpareLock);
    if (gSpareCount < spareWanted()) {
      c->next = gSpare;
      gSpare = c;
      gSpareCount++;
      return;
    }
  }
  deleteChunk(c);
}

void fillSpareChunks() {
  for (;;) {
    {
      std::lock_guard<sched::SpinLock> lk(gSpareLock);
      if (gSpareCount >= static_cast<int>(sched::gSched->allp.size())) return;
    }
    AllocChunk* c = newChunk();
    std::lock_guard<sched::SpinLock> lk(gSpareLock);
    c->next = gSpare;
    gSpare = c;
    gSpareCount++;
  }
}

void releaseSpareChunks() {
  std::lock_guard<sched::SpinLock> lk(gSpareLock);
  while (AllocChunk* c = gSpare) {
    gSpare = c->next;
    deleteChunk(c);
  }
  gSpareCount = 0;
}

namespace {

// For a single object of type t: Go's rounded size, its size class, and the
// block mimalloc hands out for it (header included), packed as
// valid:1 | class:8 | real:24 | go:24, so the allocation fast path is one
// load instead of two table lookups and a call into mimalloc (decoded here
// and in collector.h objectSizes: keep the two in step).
struct Sizes {
  int64_t go;
  int cls;
  uint64_t real;
};

Sizes sizesFor(size_t payload) {
  return Sizes{goSize(payload), sizeToClass(payload), mi_good_size(sizeof(ObjHeader) + payload)};
}

inline Sizes sizesOf(const TypeInfo* t, size_t count) {
  if (count != 1) return sizesFor(t->size * count);
  uint64_t c = t->sizeCache.load(std::memory_order_relaxed);
  if (c != 0) [[likely]] {
    return Sizes{static_cast<int64_t>(c & 0xffffff), static_cast<int>((c >> 48) & 0xff), (c >> 24) & 0xffffff};
  }
  Sizes s = sizesFor(t->size);
  if (s.go < (1 << 24) && s.real < (1 << 24)) {
    uint64_t packed = (uint64_t{1} << 63) | (static_cast<uint64_t>(s.cls) << 48) | (s.real << 24) |
                      static_cast<uint64_t>(s.go);
    t->sizeCache.store(packed, std::memory_order_relaxed);
  }
  return s;
}

// Where t's references end (TypeInfo::ptrdata), learned from a zeroed
// object of t: its trace then meets only null references, and the visitor
// hears of each with its slot. A reference whose slot the trace does not
// give (visitRaw), one outside the object, or none at all (a trace that
// looks only at what is set) leaves the whole object counted.
uint32_t learnPtrdata(const TypeInfo* t, const void* zeroed) {
  struct Probe : Visitor {
    const char* base;
    size_t size;
    size_t end = 0;
    bool whole = false;
    Probe(const void* b, size_t n) : Visitor([](Visitor*, const void*) {}, note), base(static_cast<const char*>(b)), size(n) {}
    static void note(Visitor* v, const void* slot) {
      auto* self = static_cast<Probe*>(v);
      auto* at = static_cast<const char*>(slot);
      if (at == nullptr || at < self->base || at + sizeof(void*) > self->base + self->size) {
        self->whole = true;
      } else {
        self->end = std::max(self->end, static_cast<size_t>(at - self->base) + sizeof(void*));
      }
    }
  } probe(zeroed, t->size);
  t->trace(zeroed, probe);
  size_t pd = (probe.whole || probe.end == 0) ? t->size : probe.end;
  if (pd == 0 || pd > UINT32_MAX) return 0;  // not kept: the whole size each time
  t->ptrdata.store(static_cast<uint32_t>(pd), std::memory_order_relaxed);
  return static_cast<uint32_t>(pd);
}

// Go's scan size of an allocation (mallocgc's scanSize): every element of
// an array but the last in full, and the last up to its last reference.
inline int64_t scanSizeOf(const TypeInfo* t, size_t count, const void* zeroed) {
  if (t->noscan) return 0;
  size_t pd = t->ptrdata.load(std::memory_order_relaxed);
  if (pd == 0) [[unlikely]] {
    pd = learnPtrdata(t, zeroed);
    if (pd == 0) pd = t->size;
  }
  return static_cast<int64_t>((count - 1) * t->size + pd);
}

}  // namespace

void objectSizesSlow(const ObjHeader* h, int64_t* go, uint64_t* real, int* cls) {
  Sizes s = sizesOf(h->type, h->elems());
  *go = s.go;
  *real = s.real;
  *cls = s.cls;
}

// Large blocks (a map's bucket array, a big slice) are read at random, and
// on 4 KiB pages nearly every such read is also a TLB miss and a page walk.
// Go's heap asks for transparent huge pages on every span it puts in use
// (sysHugePage); where THP is in madvise mode, as is common, memory that does
// not ask gets none, and a 1M-entry map lookup ran ~1.7x slower than Go's
// for that alone. The advice only helps pages not yet faulted in, and
// mi_heap_zalloc zeroes with memset, faulting every page in first. So a
// large block is taken unzeroed, advised, and zeroed by dropping its pages
// (MADV_DONTNEED: anonymous private memory, as mimalloc's is, reads back as
// zero) rather than writing them: the kernel zero-fills on first touch
// anyway, as for Go's fresh spans, and a reused block comes back on huge
// pages too. Only the partial pages at the ends are cleared by hand.
namespace {
constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
constexpr size_t kLargeBlock = 2 * kHugePage;  // holds at least one whole huge page

inline uintptr_t alignDown(uintptr_t x, uintptr_t a) { return x & ~(a - 1); }
inline uintptr_t alignUp(uintptr_t x, uintptr_t a) { return alignDown(x + a - 1, a); }

void adviseHuge(void* raw, size_t total) {
  uintptr_t lo = reinterpret_cast<uintptr_t>(raw);
  uintptr_t beg = alignUp(lo, kHugePage), end = alignDown(lo + total, kHugePage);
  // Only a hint: without THP nothing changes.
  if (end > beg) (void)madvise(reinterpret_cast<void*>(beg), end - beg, MADV_HUGEPAGE);
}

#if !defined(GORT_TSAN)
void* zallocLarge(mi_heap_t* heap, size_t total) {
  void* raw = mi_heap_malloc(heap, total);
  if (raw == nullptr) return nullptr;
  adviseHuge(raw, total);
  static const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t lo = reinterpret_cast<uintptr_t>(raw), hi = lo + total;
  uintptr_t beg = alignUp(lo, page), end = alignDown(hi, page);
  if (madvise(reinterpret_cast<void*>(beg), end - beg, MADV_DONTNEED) == 0) {
    std::memset(raw, 0, beg - lo);
    std::memset(reinterpret_cast<void*>(end), 0, hi - end);
  } else {
    std::memset(raw, 0, total);
  }
  return raw;
}
#endif

// allocate, and with owner set the goroutine whose roots the new object
// joins (sched::rootOwner), read with the M in one call.
[[gnu::always_inline]] inline void* allocateImpl(const TypeInfo* t, size_t count, sched::G** owner) {
  sched::M* m = owner != nullptr ? sched::getmAndRootOwner(owner) : sched::getm();
  if (m == nullptr || m->p == nullptr) {
    std::fprintf(stderr, "gort: GC allocation (New, String, Slice, Map) outside gort::run\n");
    std::abort();
  }
  sched::P* p = m->p;
  sched::G* g = m->curg;
  Collector* c = gCollector;
  if (count > 1 && t->size > (size_t{1} << 48) / count) outOfMemory(t->size * count);
  // The header's count has 31 bits for elements (object.h kLogged).
  if (count >= kLogged) outOfMemory(t->size * count);
  size_t payload = t->size * count;
  Sizes sz = sizesOf(t, count);

  // A goroutine allocating while the collector marks pays for it in scan
  // work first (mallocgc's deductAssistCredit).
  bool marking = c->blackenEnabled.load(std::memory_order_relaxed);
  if (marking && g != nullptr && !g->system) {
    GState* gs = gstate(g);
    gs->assistBytes -= static_cast<int64_t>(payload);
    if (gs->assistBytes < 0) {
      gcAssistAlloc(g, gs);
      // The assist may have parked or yielded: the goroutine can be back on
      // another P, whose heap and log it must use from now on.
      p = sched::getp();
      if (owner != nullptr) *owner = sched::rootOwner();
      marking = c->blackenEnabled.load(std::memory_order_relaxed);
    }
  }
  PState* ps = pstate(p);

  size_t total = sizeof(ObjHeader) + payload;
#if defined(GORT_TSAN)
  // Acquire the block before anything writes to it (state.h): zero it here
  // rather than inside mimalloc.
  void* raw = mi_heap_malloc(ps->heap, total);
  if (raw == nullptr) outOfMemory(total);
  tsanAllocated(raw);
  if (total >= kLargeBlock) adviseHuge(raw, total);
  std::memset(raw, 0, total);
#else
  void* raw = total >= kLargeBlock ? zallocLarge(ps->heap, total) : mi_heap_zalloc(ps->heap, total);
  if (raw == nullptr) outOfMemory(total);
#endif
  auto* h = static_cast<ObjHeader*>(raw);
  h->type = t;
  h->mark.store(c->epoch.load(std::memory_order_relaxed), std::memory_order_relaxed);

  AllocChunk* ch = ps->chunk;
  if (ch->n == kChunkCap) [[unlikely]] {
    // A full log goes straight to the swept list: its objects are live until
    // the next cycle looks at them.
    AllocChunk* full = takeChunk(ps);
    std::lock_guard<sched::SpinLock> lk(c->sweepLock);
    full->next = c->swept;
    c->swept = full;
    c->sweptChunks++;
    ch = ps->chunk;
  }
  ch->objs[ch->n++] = h;
  h->count = count == 1 ? (kLogged | ch->id) : static_cast<uint32_t>(count);
  if (marking) countLive(ps, h->count);  // black from birth

  ps->mallocs++;
  ps->totalAlloc += static_cast<uint64_t>(sz.go);
  ps->realAlloc += sz.real;
  ps->bySizeMallocs[sz.cls]++;
  ps->unflushed += sz.go;
  ps->unflushedScan += scanSizeOf(t, count, h->payload());

  if (marking) {
    // Objects allocated during mark are black: they count as marked.
    ps->markedLocal += sz.go;
    if (g != nullptr && !g->system) gstate(g)->assistBytes -= sz.go - static_cast<int64_t>(payload);
  }
  if (ps->unflushed >= kFlushBytes) flushAlloc(p, ps);
  if (c->cfg.stress > 0 &&
      c->allocsSinceStress.fetch_add(1, std::memory_order_relaxed) + 1 >= static_cast<uint64_t>(c->cfg.stress)) {
    c->allocsSinceStress.store(0, std::memory_order_relaxed);
    ps->triggerPending = true;
    ps->stressPending = true;
  }
  return h->payload();
}
}  // namespace

void* allocate(const TypeInfo* t, size_t count) { return allocateImpl(t, count, nullptr); }

}  // namespace gc

namespace detail {

void* allocRooted(const TypeInfo* t, ConstructScope* scope) {
  sched::G* owner;
  void* mem = gc::allocateImpl(t, 1, &owner);
  scope->lo = mem;
  scope->beginFor(owner, t->size, t);
  return mem;
}

}  // namespace detail
}  // namespace gort
