// Deletion: mapdelete (map.go) and its tombstones.
//
// Public only because gort::Map<K,V> is a template; not for users.
//
// Deleting from a nil or empty map does nothing. Otherwise mapdelete
// checks and flips hashWriting as mapassign does (same fatal text), runs
// growWork for the key's bucket, and on a match:
//
//   - clears the key if it holds pointers (an indirect key's pointer is
//     nilled) and always clears the elem, so that nothing the map no
//     longer holds stays reachable through it, and so that a slot reused
//     later starts from the zero value (TestIncrementAfterDelete*);
//   - marks the slot emptyOne; then, if no entry follows it in the chain
//     (the next slot is emptyRest, or it is the last slot and the next
//     bucket is absent or starts with emptyRest), turns it and every
//     emptyOne directly before it into emptyRest, stepping back across
//     bucket boundaries (the previous bucket is found by walking from the
//     head of the chain);
//   - decrements count, and when the map becomes empty reseeds hash0, so
//     that an attacker who learned something about the old seed must start
//     again (Go issue 25237).
#pragma once

#include "gort/maps/bucket.h"
#include "gort/maps/evacuate.h"

namespace gort::maps {

template <class K, class V, class A>
void mapdelete(hmap* h, const A& key) {
  using L = Layout<K, V>;
  yieldpoint();
  if (h == nullptr || h->count == 0) return;
  if ((h->getFlags() & hashWriting) != 0) fatalConcurrentWrites();
  const uint64_t hash = keyHash<K>(key, h->hash0);
  beginWrite(h);

  uintptr_t bucket = hash & bucketMask(h->B);
  if (h->growing()) growWork<K, V>(h, bucket);
  char* const bOrig = h->buckets.get() + bucket * L::size;
  const uint8_t top = tophash(hash);
  for (char* b = bOrig; b != nullptr; b = L::overflow(b)) {
    uint8_t* th = L::tophash(b);
    for (size_t i = 0; i < kBucketCnt; i++) {
      if (th[i] != top) {
        if (th[i] == emptyRest) goto out;
        continue;
      }
      if (!keyEqual<K>(key, *L::key(b, i))) continue;
      L::KS::clearSlot(L::keySlot(b, i), false);
      L::VS::clearSlot(L::elemSlot(b, i), true);
      th[i] = emptyOne;
      // Does an entry follow in the chain? If not, compact the tombstones.
      bool last;
      if (i == kBucketCnt - 1) {
        char* ovf = L::overflow(b);
        last = ovf == nullptr || L::tophash(ovf)[0] == emptyRest;
      } else {
        last = th[i + 1] == emptyRest;
      }
      if (last) {
        char* c = b;
        size_t j = i;
        for (;;) {
          L::tophash(c)[j] = emptyRest;
          if (j == 0) {
            if (c == bOrig) break;  // the head of the chain: done
            char* p = bOrig;
            while (L::overflow(p) != c) p = L::overflow(p);
            c = p;
            j = kBucketCnt - 1;
          } else {
            j--;
          }
          if (L::tophash(c)[j] != emptyOne) break;
        }
      }
      h->count--;
      if (h->count == 0) h->hash0 = fastrand();
      goto out;
    }
  }
out:
  endWrite(h);
}

}  // namespace gort::maps
