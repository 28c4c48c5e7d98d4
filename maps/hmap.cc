// The type-erased half of the map (map.go): creation, bucket arrays,
// overflow buckets, the start and end of a growth, and the runtime calls the
// templates make. Everything here depends on a map type only through its
// MapType (bucket size and descriptor), as Go's versions do through
// *maptype; the templates beside gort/map.h do what needs the key type.
//
// The objects a map allocates, with what Go would charge for them:
//
//   hmap                  48 bytes
//   bucket array          2^B buckets (+ preallocated overflow from B = 4),
//                         the allocation rounded up to its size class
//   overflow bucket       one bucket, when no preallocated one is left
//   mapextra              24 bytes, once overflow buckets are preallocated
//                         (or, for noscan maps, first used or first ranged
//                         over)
//   overflow list         noscan maps: a 24-byte slice header and its backing
//                         array of bucket pointers, grown as append grows it
//   indirect key / elem   one object per entry for types over 128 bytes
//
// See gort/maps/hmap.h for the design and for the collector's view of it.

#include <cstring>
#include <new>

#include "gc/sizeclasses.h"
#include "gort/maps/hmap.h"
#include "gort/slice.h"
#include "sched/fatal.h"
#include "sched/sched.h"

namespace gort::maps {
namespace {

void traceHmap(const void* p, Visitor& v) {
  auto* h = static_cast<const hmap*>(p);
  h->buckets.trace(v);
  h->oldbuckets.trace(v);
  h->extra.trace(v);
}

void traceExtra(const void* p, Visitor& v) {
  auto* e = static_cast<const mapextra*>(p);
  e->overflow.trace(v);
  e->oldoverflow.trace(v);
  // nextOverflow points into the bucket array: not a reference to trace.
}

void traceOvlist(const void* p, Visitor& v) { static_cast<const ovlist*>(p)->array.trace(v); }

// One element of an overflow list: a bucket pointer, tagged like overflow
// words (bit 0 = a separately allocated bucket; a preallocated one lives
// inside its array and is not traced).
void traceOvEntry(const void* p, Visitor& v) {
  auto w = reinterpret_cast<uintptr_t>(static_cast<const std::atomic<char*>*>(p)->load(std::memory_order_acquire));
  if ((w & kSeparateBit) != 0) v.visitRaw(reinterpret_cast<const void*>(w & ~kSeparateBit));
}

const TypeInfo kHmapType{"runtime.hmap", sizeof(hmap), alignof(hmap), false, &traceHmap, nullptr, kTypeMagic};
const TypeInfo kExtraType{"runtime.mapextra", sizeof(mapextra), alignof(mapextra), false, &traceExtra, nullptr,
                          kTypeMagic};
const TypeInfo kOvlistType{"[]*runtime.bmap", sizeof(ovlist), alignof(ovlist), false, &traceOvlist, nullptr,
                           kTypeMagic};
const TypeInfo kOvEntryType{"*runtime.bmap", sizeof(std::atomic<char*>), alignof(std::atomic<char*>), false,
                            &traceOvEntry, nullptr, kTypeMagic};

hmap* newHmap() { return ::new (detail::allocObject(&kHmapType, 1)) hmap(); }
mapextra* newExtra() { return ::new (detail::allocObject(&kExtraType, 1)) mapextra(); }

void incrnoverflow(hmap* h) {
  // Same-size growth starts when there are about as many overflow buckets
  // as buckets, so noverflow must count up to 2^B; in 16 bits that is exact
  // only below B = 16. Above, count each with probability 1/2^(B-15).
  if (h->B < 16) {
    h->noverflow++;
    return;
  }
  uint32_t mask = (uint32_t{1} << (h->B - 15)) - 1;
  if ((sched::fastrand() & mask) == 0) h->noverflow++;
}

// Makes room for one more bucket in a noscan map's overflow list, before
// the bucket exists (so that it is rooted by the list once it does).
void reserveOverflowEntry(ovlist* l) {
  if (l->len < l->cap) return;
  uint64_t ncap = detail::growCapacity(l->cap, l->len + 1, sizeof(std::atomic<char*>));
  auto* arr = static_cast<std::atomic<char*>*>(detail::allocObject(&kOvEntryType, ncap));
  std::atomic<char*>* old = l->array.get();
  for (uint64_t i = 0; i < l->len; i++) arr[i].store(old[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
  l->array.set(arr);
  l->cap = ncap;
  afterAlloc();
}

}  // namespace

void setOverflow(char* b, size_t bucketsize, char* ovf, bool separate) {
  std::atomic<uintptr_t>& w = overflowWord(b, bucketsize);
  uintptr_t old = w.load(std::memory_order_relaxed);
  const void* oldObj = (old & kSeparateBit) != 0 ? reinterpret_cast<const void*>(old & ~kSeparateBit) : nullptr;
  detail::writeBarrier(oldObj, separate ? ovf : nullptr);
  w.store(reinterpret_cast<uintptr_t>(ovf) | (separate ? kSeparateBit : 0), std::memory_order_release);
}

hmap* makemap(const MapType* t, int64_t hint) {
  // A hint whose buckets could not be allocated (or a negative one, which
  // wraps to a huge unsigned value) is ignored, not an error.
  auto mem = static_cast<__uint128_t>(static_cast<uint64_t>(hint)) * t->bucketsize;
  if ((mem >> 64) != 0 || static_cast<uint64_t>(mem) > kMaxAlloc) hint = 0;

  hmap* h = newHmap();
  h->hash0 = sched::fastrand();
  // The smallest B that holds hint entries; hint <= 8 gives B = 0, whose
  // bucket is allocated by the first assignment.
  uint8_t B = 0;
  while (overLoadFactor(hint, B)) B++;
  h->B = B;
  if (B != 0) {
    // h belongs to nothing yet (its Map is still being constructed): root
    // it while its other parts are allocated.
    detail::ConstructScope keep(h, sizeof(hmap), &kHmapType);
    char* next = nullptr;
    h->buckets.set(makeBucketArray(t, B, &next));
    if (next != nullptr) {
      h->extra.set(newExtra());
      h->extra.get()->nextOverflow.store(next, std::memory_order_relaxed);
    }
  }
  return h;
}

uintptr_t bucketArrayLen(const MapType* t, uint8_t B) {
  uintptr_t base = bucketShift(B);
  uintptr_t n = base;
  // Few maps with small B overflow; skip the arithmetic for them.
  if (B >= 4) {
    // Room for the overflow buckets a map of this B typically needs, and
    // for as many more as the rounded-up allocation holds anyway.
    n += bucketShift(static_cast<uint8_t>(B - 4));
    size_t sz = t->bucketsize * n;
    size_t up = gc::roundupsize(sz);
    if (up != sz) n = up / t->bucketsize;
  }
  return n;
}

char* initPreallocated(const MapType* t, char* buckets, uintptr_t base, uintptr_t n) {
  if (base == n) return nullptr;
  // A preallocated bucket with a nil overflow word has more after it; the
  // last one carries a non-nil sentinel (the array itself) instead.
  char* last = buckets + (n - 1) * t->bucketsize;
  overflowWord(last, t->bucketsize).store(reinterpret_cast<uintptr_t>(buckets), std::memory_order_relaxed);
  return buckets + base * t->bucketsize;
}

char* makeBucketArray(const MapType* t, uint8_t B, char** nextOverflow) {
  uintptr_t n = bucketArrayLen(t, B);
  auto* buckets = static_cast<char*>(detail::allocObject(t->bucket, n));
  *nextOverflow = initPreallocated(t, buckets, bucketShift(B), n);
  return buckets;
}

void allocFirstBucket(const MapType* t, hmap* h) {
  h->buckets.set(static_cast<char*>(detail::allocObject(t->bucket, 1)));
  afterAlloc();
}

void createOverflow(hmap* h) {
  if (h->extra.get() == nullptr) {
    h->extra.set(newExtra());
    afterAlloc();
  }
  mapextra* e = h->extra.get();
  if (e->overflow.get() == nullptr) {
    e->overflow.set(::new (detail::allocObject(&kOvlistType, 1)) ovlist());
    afterAlloc();
  }
}

// Iterators are readers, and readers may run at the same time (on real
// threads in parallel mode), yet a noscan map's first iterator creates
// extra and its overflow list. Each is published with a compare-and-swap
// (release) and read back with acquire, so that concurrent iterators agree
// on one list and see it initialised. (Go does plain stores here and lets
// a racing iterator's list be lost, which is harmless without writers; in
// C++ the unpublished initialisation would be a data race.)
mapextra* createOverflowShared(hmap* h) {
  mapextra* e = h->extra.p.load(std::memory_order_acquire);
  if (e == nullptr) {
    mapextra* n = newExtra();
    detail::writeBarrier(nullptr, n);
    if (h->extra.p.compare_exchange_strong(e, n, std::memory_order_acq_rel, std::memory_order_acquire)) e = n;
    afterAlloc();  // n is garbage if another iterator won
  }
  if (e->overflow.p.load(std::memory_order_acquire) == nullptr) {
    ovlist* n = ::new (detail::allocObject(&kOvlistType, 1)) ovlist();
    ovlist* expected = nullptr;
    detail::writeBarrier(nullptr, n);
    e->overflow.p.compare_exchange_strong(expected, n, std::memory_order_acq_rel, std::memory_order_acquire);
    afterAlloc();
  }
  return e;
}

char* newoverflow(const MapType* t, hmap* h, char* b) {
  const bool noscan = t->noscan();
  if (noscan) {
    createOverflow(h);
    reserveOverflowEntry(h->extra.get()->overflow.get());
  }
  char* ovf;
  bool separate;
  mapextra* e = h->extra.get();
  char* next = e != nullptr ? e->nextOverflow.load(std::memory_order_relaxed) : nullptr;
  if (next != nullptr) {
    // A preallocated bucket: bump the pointer, unless this is the last one.
    ovf = next;
    std::atomic<uintptr_t>& w = overflowWord(ovf, t->bucketsize);
    if (w.load(std::memory_order_relaxed) == 0) {
      e->nextOverflow.store(ovf + t->bucketsize, std::memory_order_relaxed);
    } else {
      w.store(0, std::memory_order_relaxed);  // drop the sentinel
      e->nextOverflow.store(nullptr, std::memory_order_relaxed);
    }
    separate = false;
  } else {
    ovf = static_cast<char*>(detail::allocObject(t->bucket, 1));
    separate = true;
  }
  incrnoverflow(h);
  if (noscan) {
    // The collector never looks inside noscan buckets: the list keeps it.
    ovlist* l = h->extra.get()->overflow.get();
    char* tagged = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(ovf) | (separate ? kSeparateBit : 0));
    if (separate) detail::writeBarrier(nullptr, ovf);
    l->array.get()[l->len].store(tagged, std::memory_order_release);
    l->len++;
  }
  setOverflow(b, t->bucketsize, ovf, separate);
  if (separate) afterAlloc();
  return ovf;
}

void hashGrow(const MapType* t, hmap* h) {
  // Over the load factor: double. Otherwise there are too many overflow
  // buckets: keep B and repack.
  uint8_t bigger = 1;
  if (!overLoadFactor(h->count + 1, h->B)) {
    bigger = 0;
    h->setFlags(h->getFlags() | sameSizeGrow);
  }
  char* oldbuckets = h->buckets.get();
  char* next = nullptr;
  char* newbuckets = makeBucketArray(t, static_cast<uint8_t>(h->B + bigger), &next);

  uint8_t flags = h->getFlags() & static_cast<uint8_t>(~(iterator | oldIterator));
  if ((h->getFlags() & iterator) != 0) flags |= oldIterator;
  // Commit the growth; no entry moves yet.
  h->B = static_cast<uint8_t>(h->B + bigger);
  h->setFlags(flags);
  h->oldbuckets.set(oldbuckets);
  h->buckets.set(newbuckets);
  h->nevacuate = 0;
  h->noverflow = 0;
  if (mapextra* e = h->extra.get()) {
    e->nextOverflow.store(nullptr, std::memory_order_relaxed);
    if (ovlist* cur = e->overflow.get()) {
      // The current overflow buckets become the old generation's.
      if (e->oldoverflow.get() != nullptr) sched::throwError("oldoverflow is not nil");
      e->oldoverflow.set(cur);
      e->overflow.set(nullptr);
    }
  }
  afterAlloc();
  if (next != nullptr) {
    if (h->extra.get() == nullptr) {
      h->extra.set(newExtra());
      afterAlloc();
    }
    h->extra.get()->nextOverflow.store(next, std::memory_order_relaxed);
  }
}

void advanceEvacuationMark(hmap* h, const MapType* t, uintptr_t newbit) {
  h->nevacuate++;
  // Look at most 1024 buckets ahead, to keep each write O(1).
  uintptr_t stop = h->nevacuate + 1024;
  if (stop > newbit) stop = newbit;
  char* old = h->oldbuckets.get();
  while (h->nevacuate != stop && evacuated(old + h->nevacuate * t->bucketsize)) h->nevacuate++;
  if (h->nevacuate == newbit) {
    // Done: the old array goes, and with it the old overflow buckets
    // (an iterator still walking them holds its own references).
    h->oldbuckets.set(nullptr);
    if (mapextra* e = h->extra.get()) e->oldoverflow.set(nullptr);
    h->setFlags(h->getFlags() & static_cast<uint8_t>(~sameSizeGrow));
  }
}

void* allocRaw(const TypeInfo* t) { return detail::allocObject(t, 1); }

std::atomic<bool> gDeterministic{false};

void yieldpoint() {
  // Written only when it changes (at the first operation of a run in the
  // other mode), so that Ms on different CPUs do not share a dirty line.
  bool det = sched::running() && sched::deterministic();
  if (gDeterministic.load(std::memory_order_relaxed) != det) gDeterministic.store(det, std::memory_order_relaxed);
  sched::yieldpoint();
}
// The safepoints inside a write exist for deterministic mode, where another
// goroutine can only run where the scheduler lets it; on real threads it
// runs anyway, and stop-the-world requests are served at the entry
// yieldpoint.
void deterministicSafepoint() { sched::safepoint(); }
void afterAlloc() { detail::afterAlloc(); }
uint32_t fastrand() { return sched::fastrand(); }
uint64_t fastrand64() { return sched::fastrand64(); }

void fatalConcurrentWrites() { sched::fatal("concurrent map writes"); }
void fatalConcurrentReadWrite() { sched::fatal("concurrent map read and map write"); }
void fatalConcurrentIterationWrite() { sched::fatal("concurrent map iteration and map write"); }
void throwBadMapState() { sched::throwError("bad map state"); }
void panicNilMapAssignment() { detail::throwRuntimePanic("assignment to entry in nil map", false); }

}  // namespace gort::maps
