// Assignment: mapassign (map.go; the fast variants differ only in speed).
//
// Public only because gort::Map<K,V> is a template; not for users.
//
// mapassign(h, key) returns the elem slot for key, creating the entry (with
// the zero value) if it is new; the caller then stores the value into the
// slot, as Go's compiled code does after mapassign returns.
//
//   1. A nil map panics ("assignment to entry in nil map", recoverable).
//   2. hashWriting already set: fatal "concurrent map writes". The key is
//      hashed before the flag is flipped, so a hash that panics leaves the
//      map untouched.
//   3. The flag is flipped with XOR. Safepoints on both sides of the flip
//      let another goroutine in where a second CPU could be.
//   4. The first bucket of a map made without a size hint is allocated now.
//   5. While growing, growWork evacuates the target's old bucket and one
//      more. The chain is searched for the key, remembering the first empty
//      slot; an existing key is updated in place (and, for float, string and
//      struct keys, the stored key is replaced by the new, equal one).
//   6. A new key may start a growth (over the load factor, or too many
//      overflow buckets) and then the search starts over in the new table.
//      Without a free slot, an overflow bucket is chained.
//   7. The key is stored, then tophash, and count goes up.
//   8. hashWriting must still be set (another writer's XOR would have
//      cleared it): fatal "concurrent map writes" otherwise; then cleared.
#pragma once

#include <type_traits>

#include "gort/maps/bucket.h"
#include "gort/maps/evacuate.h"

namespace gort::maps {

template <class K, class V, class A>
V* mapassign(hmap* h, const A& key) {
  using L = Layout<K, V>;
  using KS = typename L::KS;
  using VS = typename L::VS;
  yieldpoint();
  if (h == nullptr) panicNilMapAssignment();
  if ((h->getFlags() & hashWriting) != 0) fatalConcurrentWrites();
  const uint64_t hash = keyHash<K>(key, h->hash0);
  beginWrite(h);
  const MapType* t = mapTypeOf<K, V>();
  if (h->buckets.get() == nullptr) allocFirstBucket(t, h);

  const uint8_t top = tophash(hash);
  V* elem = nullptr;
  for (;;) {  // again:
    uintptr_t bucket = hash & bucketMask(h->B);
    if (h->growing()) growWork<K, V>(h, bucket);
    char* b = h->buckets.get() + bucket * L::size;
    char* insertb = nullptr;
    size_t inserti = 0;
    bool found = false;
    for (;;) {
      uint8_t* th = L::tophash(b);
      bool rest = false;
      for (size_t i = 0; i < kBucketCnt; i++) {
        if (th[i] != top) {
          if (isEmpty(th[i]) && insertb == nullptr) {
            insertb = b;
            inserti = i;
          }
          if (th[i] == emptyRest) {
            rest = true;
            break;
          }
          continue;
        }
        K* k = L::key(b, i);
        if (!keyEqual<K>(key, *k)) continue;
        // Already present: update. A key of a type with distinct equal
        // values (+0/-0, strings) is replaced by the new one.
        KeyTraits<K>::update(k, key);
        elem = L::elem(b, i);
        found = true;
        break;
      }
      if (found || rest) break;
      char* ovf = L::overflow(b);
      if (ovf == nullptr) break;
      b = ovf;
    }
    if (found) break;

    // A new key: grow first if it is time (and look again).
    if (!h->growing() && (overLoadFactor(h->count + 1, h->B) || tooManyOverflowBuckets(h->noverflow, h->B))) {
      hashGrow(t, h);
      continue;
    }
    if (insertb == nullptr) {
      // Every slot of the chain is taken: chain another bucket.
      insertb = newoverflow(t, h, b);
      inserti = 0;
    }
    if constexpr (KS::indirect) KS::allocIndirect(L::keySlot(insertb, inserti));
    if constexpr (VS::indirect) VS::allocIndirect(L::elemSlot(insertb, inserti));
    KeyTraits<K>::store(L::key(insertb, inserti), key);
    L::tophash(insertb)[inserti] = top;
    elem = L::elem(insertb, inserti);
    if constexpr (!VS::indirect) VS::initValue(elem);
    h->count++;
    break;
  }
  endWrite(h);
  return elem;
}

}  // namespace gort::maps
