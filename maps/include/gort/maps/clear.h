// clear(m): mapclear (map.go), as Go 1.21's clear builtin runs it.
//
// Public only because gort::Map<K,V> is a template; not for users.
//
// Go 1.19 has no clear builtin; its compiler calls mapclear only for the
// idiom `for k := range m { delete(m, k) }`. Go 1.21 added clear(m), which
// calls the same mapclear, and first marks every slot of the current and
// the old buckets emptyRest so that iterators already under way see nothing
// more (Go issue 59411). gort's clear does both. The map keeps B (and so
// its capacity), drops oldbuckets and all overflow buckets, zeroes the
// bucket array for reuse (rebuilding the free run of preallocated overflow
// buckets), keeps the mapextra allocation, and reseeds hash0.
#pragma once

#include <cstring>

#include "gort/maps/bucket.h"

namespace gort::maps {

template <class K, class V>
void markBucketsEmpty(char* buckets, uintptr_t n) {
  using L = Layout<K, V>;
  for (uintptr_t x = 0; x < n; x++) {
    for (char* b = buckets + x * L::size; b != nullptr; b = L::overflow(b)) {
      std::memset(L::tophash(b), emptyRest, kBucketCnt);
    }
  }
}

// Zeroes n buckets at arr; slots with pointers are cleared by assignment
// (through the barrier), the rest by memset.
template <class K, class V>
void clearBucketArray(char* arr, uintptr_t n) {
  using L = Layout<K, V>;
  if constexpr (L::noscan) {
    std::memset(arr, 0, n * L::size);
  } else {
    for (uintptr_t x = 0; x < n; x++) {
      char* b = arr + x * L::size;
      for (size_t i = 0; i < kBucketCnt; i++) {
        L::KS::clearSlot(L::keySlot(b, i), true);
        L::VS::clearSlot(L::elemSlot(b, i), true);
      }
      setOverflow(b, L::size, nullptr, false);
      std::memset(L::tophash(b), 0, kBucketCnt);
    }
  }
}

template <class K, class V>
void mapclear(hmap* h) {
  yieldpoint();
  if (h == nullptr || h->count == 0) return;
  if ((h->getFlags() & hashWriting) != 0) fatalConcurrentWrites();
  beginWrite(h);
  const MapType* t = mapTypeOf<K, V>();

  markBucketsEmpty<K, V>(h->buckets.get(), bucketShift(h->B));
  if (char* old = h->oldbuckets.get()) markBucketsEmpty<K, V>(old, h->oldbucketmask() + 1);

  h->setFlags(h->getFlags() & static_cast<uint8_t>(~sameSizeGrow));
  h->oldbuckets.set(nullptr);
  h->nevacuate = 0;
  h->noverflow = 0;
  h->count = 0;
  h->hash0 = fastrand();
  if (mapextra* e = h->extra.get()) {
    e->overflow.set(nullptr);
    e->oldoverflow.set(nullptr);
    e->nextOverflow.store(nullptr, std::memory_order_relaxed);
  }
  // Reuse the array, as makeBucketArray does given a dirty allocation.
  uintptr_t n = bucketArrayLen(t, h->B);
  clearBucketArray<K, V>(h->buckets.get(), n);
  if (char* next = initPreallocated(t, h->buckets.get(), bucketShift(h->B), n)) {
    h->extra.get()->nextOverflow.store(next, std::memory_order_relaxed);
  }
  endWrite(h);
}

}  // namespace gort::maps
