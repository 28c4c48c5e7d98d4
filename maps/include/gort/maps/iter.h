// Iteration: hiter, mapiterinit, mapiternext (map.go).
//
// Public only because gort::Map<K,V> is a template; not for users.
//
// mapiterinit snapshots B and the bucket array, and for noscan maps the
// overflow lists (which keep those buckets alive whatever the map does
// meanwhile). It draws r from fastrand (fastrand64 when B > 28) and starts
// at bucket r & (2^B - 1), slot offset (r >> B) & 7, then records in flags
// that an iterator may exist (iterator | oldIterator, with an atomic OR:
// iterators may start concurrently). Iteration ending never clears them; only
// hashGrow moves iterator to oldIterator. They make later growths keep old
// buckets intact and NaN decisions repeatable.
//
// mapiternext checks hashWriting ("concurrent map iteration and map
// write"), then walks as described in hmap.h. The rules it keeps (the Go
// spec's): every entry present when iteration started and not deleted
// before being reached is returned exactly once; a deleted one never; one
// added meanwhile may or may not be.
//
// The collector and the iterator. Go's hiter is 12 words and its pointers
// may point into the middle of bucket arrays, which Go's collector
// follows. gort's does not, so besides the hiter the iterator keeps one
// more traced word, `cur`: the GC object that the current bucket (bptr)
// lives in, an array or a separately allocated overflow bucket. It holds
// what bptr would hold in Go: the bucket being walked, even after the map
// dropped it (a finished growth releases oldbuckets; clear() detaches
// overflow chains).
#pragma once

#include <cstdint>

#include "gort/maps/access.h"
#include "gort/maps/bucket.h"

namespace gort::maps {

// Go's hiter, field for field (12 words).
struct hiter {
  void* key;              // the current entry's key; nil at the end
  void* elem;             // and elem
  const MapType* t;
  hmap* h;
  char* buckets;          // the bucket array when iteration began
  char* bptr;             // the current bucket
  ovlist* overflow;       // keeps overflow buckets of buckets alive (noscan maps)
  ovlist* oldoverflow;    // keeps overflow buckets of oldbuckets alive (noscan maps)
  uintptr_t startBucket;  // where iteration began
  uint8_t offset;         // slot offset within each bucket
  bool wrapped;           // already wrapped from the end of the array to the start
  uint8_t B;
  uint8_t i;
  uintptr_t bucket;
  uintptr_t checkBucket;
};
static_assert(sizeof(hiter) == 12 * sizeof(void*), "hash_iter size incorrect");

// The iterator's roots, for the collector: every object hiter relies on.
inline void traceIter(const hiter& it, const void* cur, Visitor& v) {
  v.visitRaw(it.h);
  v.visitRaw(it.buckets);
  v.visitRaw(it.overflow);
  v.visitRaw(it.oldoverflow);
  v.visitRaw(cur);
}

template <class K, class V>
void mapiternext(hiter* it, void** cur);

// mapiterinit: it must be zeroed and already rooted (it may allocate).
template <class K, class V>
void mapiterinit(hiter* it, void** cur, hmap* h) {
  using L = Layout<K, V>;
  yieldpoint();
  it->t = mapTypeOf<K, V>();
  if (h == nullptr || h->count == 0) return;
  it->h = h;
  it->B = h->B;
  it->buckets = h->buckets.get();
  if constexpr (L::noscan) {
    mapextra* e = createOverflowShared(h);
    it->overflow = e->overflow.p.load(std::memory_order_acquire);
    it->oldoverflow = e->oldoverflow.p.load(std::memory_order_acquire);
  }
  uintptr_t r = h->B > 31 - kBucketCntBits ? static_cast<uintptr_t>(fastrand64()) : fastrand();
  it->startBucket = r & bucketMask(h->B);
  it->offset = static_cast<uint8_t>((r >> h->B) & (kBucketCnt - 1));
  it->bucket = it->startBucket;
  uint8_t old = h->getFlags();
  if ((old & (iterator | oldIterator)) != (iterator | oldIterator)) {
    h->flags.fetch_or(iterator | oldIterator, std::memory_order_relaxed);
  }
  mapiternext<K, V>(it, cur);
}

template <class K, class V>
void mapiternext(hiter* it, void** cur) {
  using L = Layout<K, V>;
  hmap* h = it->h;
  if ((h->getFlags() & hashWriting) != 0) fatalConcurrentIterationWrite();
  uintptr_t bucket = it->bucket;
  char* b = it->bptr;
  size_t i = it->i;
  uintptr_t checkBucket = it->checkBucket;
  void* base = *cur;

  for (;;) {
    if (b == nullptr) {
      if (bucket == it->startBucket && it->wrapped) {
        it->key = nullptr;
        it->elem = nullptr;
        *cur = nullptr;
        return;
      }
      if (h->growing() && it->B == h->B) {
        // Started during this growth and it is not over: a bucket whose
        // old bucket is not evacuated yet is read there, keeping only the
        // entries bound for this bucket.
        uintptr_t oldbucket = bucket & h->oldbucketmask();
        char* old = h->oldbuckets.get();
        b = old + oldbucket * L::size;
        if (!evacuated(b)) {
          checkBucket = bucket;
          base = old;
        } else {
          b = it->buckets + bucket * L::size;
          checkBucket = noCheck;
          base = it->buckets;
        }
      } else {
        b = it->buckets + bucket * L::size;
        checkBucket = noCheck;
        base = it->buckets;
      }
      bucket++;
      if (bucket == bucketShift(it->B)) {
        bucket = 0;
        it->wrapped = true;
      }
      i = 0;
    }
    uint8_t* th = L::tophash(b);
    for (; i < kBucketCnt; i++) {
      size_t offi = (i + it->offset) & (kBucketCnt - 1);
      if (isEmpty(th[offi]) || th[offi] == evacuatedEmpty) continue;
      K* k = L::key(b, offi);
      V* e = L::elem(b, offi);
      bool reflexive = ReflexiveKey<K>::value || KeyTraits<K>::equal(*k, *k);
      if (checkBucket != noCheck && !h->isSameSizeGrow()) {
        if (reflexive) {
          // Skip entries that evacuation will send to the other half.
          uint64_t hash = KeyTraits<K>::hash(*k, h->hash0);
          if ((hash & bucketMask(it->B)) != checkBucket) continue;
        } else {
          // A NaN: its hash cannot be recomputed; the tophash's low bit
          // decides, as it will in evacuate.
          if ((checkBucket >> (it->B - 1)) != static_cast<uintptr_t>(th[offi] & 1)) continue;
        }
      }
      if ((th[offi] != evacuatedX && th[offi] != evacuatedY) || !reflexive) {
        // The entry is here (or is a NaN, which cannot have changed).
        it->key = k;
        it->elem = e;
      } else {
        // The table grew since iteration began; the live entry is
        // elsewhere, perhaps updated, perhaps deleted.
        auto [rk, re] = mapaccessK<K, V>(h, *k);
        if (rk == nullptr) continue;
        it->key = rk;
        it->elem = re;
      }
      it->bucket = bucket;
      it->bptr = b;
      it->i = static_cast<uint8_t>(i + 1);
      it->checkBucket = checkBucket;
      *cur = base;
      return;
    }
    // Next in the chain: a separately allocated bucket is its own object.
    if (overflowIsSeparate(b, L::size)) {
      b = L::overflow(b);
      base = b;
    } else {
      b = L::overflow(b);
    }
    i = 0;
  }
}

}  // namespace gort::maps
