// Incremental growth: growWork and evacuate (map.go).
//
// Public only because gort::Map<K,V> is a template; not for users.
//
// evacuate(oldbucket) moves the entries of one old bucket and its overflow
// chain into the new array, rehashing each key: in a doubling growth the
// bit `hash & newbit` (newbit = the old bucket count) sends an entry to X,
// the same index, or to Y, index + newbit; a same-size growth always uses
// X. Each old slot's tophash becomes evacuatedX or evacuatedY (or
// evacuatedEmpty), which is how lookups and iterators know where its entry
// went. Entries are appended to the destination chain, which grows
// overflow buckets as needed.
//
// NaN keys. A key that is not equal to itself hashes to a new random value
// each time, so its destination cannot be recomputed later. If an iterator
// may be walking the old buckets, it must make the same X/Y decision as
// evacuate; both then use the low bit of the old tophash (which is why
// evacuatedX and evacuatedY differ in that bit), and the entry gets a
// fresh random tophash in its new bucket so that NaNs keep spreading over
// later growths.
//
// Once an old bucket is done and no iterator may still read the old
// buckets, its keys, elems and overflow word are cleared so that the
// collector can free what only they referenced (noscan buckets need no
// help). The tophash bytes stay: they record the evacuation.
#pragma once

#include "gort/maps/bucket.h"

namespace gort::maps {

template <class K, class V>
void evacuate(hmap* h, uintptr_t oldbucket) {
  using L = Layout<K, V>;
  using KS = typename L::KS;
  using VS = typename L::VS;
  char* const b0 = h->oldbuckets.get() + oldbucket * L::size;
  const uintptr_t newbit = h->noldbuckets();
  if (!evacuated(b0)) {
    const MapType* t = mapTypeOf<K, V>();
    struct Dst {
      char* b;  // destination bucket
      size_t i;  // next free slot in it
    } xy[2] = {{h->buckets.get() + oldbucket * L::size, 0}, {nullptr, 0}};
    const bool sameSize = h->isSameSizeGrow();
    if (!sameSize) xy[1].b = h->buckets.get() + (oldbucket + newbit) * L::size;

    for (char* b = b0; b != nullptr; b = L::overflow(b)) {
      uint8_t* th = L::tophash(b);
      for (size_t i = 0; i < kBucketCnt; i++) {
        uint8_t top = th[i];
        if (isEmpty(top)) {
          th[i] = evacuatedEmpty;
          continue;
        }
        if (top < minTopHash) throwBadMapState();
        size_t useY = 0;
        if (!sameSize) {
          const K& k = *L::key(b, i);
          uint64_t hash = KeyTraits<K>::hash(k, h->hash0);
          bool nonReflexive = false;
          if ((h->getFlags() & iterator) != 0) {
            if constexpr (!ReflexiveKey<K>::value) nonReflexive = !KeyTraits<K>::equal(k, k);
          }
          if (nonReflexive) {
            useY = top & 1;
            top = tophash(hash);
          } else if ((hash & newbit) != 0) {
            useY = 1;
          }
        }
        static_assert(evacuatedX + 1 == evacuatedY && (evacuatedX ^ 1) == evacuatedY);
        th[i] = static_cast<uint8_t>(evacuatedX + useY);
        Dst* dst = &xy[useY];
        if (dst->i == kBucketCnt) {
          dst->b = newoverflow(t, h, dst->b);
          dst->i = 0;
        }
        L::tophash(dst->b)[dst->i] = top;
        KS::move(L::keySlot(dst->b, dst->i), L::keySlot(b, i));
        VS::move(L::elemSlot(dst->b, dst->i), L::elemSlot(b, i));
        dst->i++;
      }
    }
    // Unlink the overflow buckets and drop the references, for the
    // collector, unless an iterator may still walk the old buckets.
    if constexpr (!L::noscan) {
      if ((h->getFlags() & oldIterator) == 0) {
        for (size_t i = 0; i < kBucketCnt; i++) {
          KS::clearSlot(L::keySlot(b0, i), true);
          VS::clearSlot(L::elemSlot(b0, i), true);
        }
        setOverflow(b0, L::size, nullptr, false);
      }
    }
  }
  if (oldbucket == h->nevacuate) advanceEvacuationMark(h, mapTypeOf<K, V>(), newbit);
}

// growWork: before a write touches `bucket`, evacuate the old bucket it
// comes from, then one more (at nevacuate) to make progress.
template <class K, class V>
void growWork(hmap* h, uintptr_t bucket) {
  evacuate<K, V>(h, bucket & h->oldbucketmask());
  if (h->growing()) evacuate<K, V>(h, h->nevacuate);
}

}  // namespace gort::maps
