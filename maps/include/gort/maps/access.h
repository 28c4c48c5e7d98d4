// Lookups: mapaccess1/2 and their fast variants (map.go, map_fast32.go,
// map_fast64.go, map_faststr.go), and mapaccessK for iterators.
//
// Public only because gort::Map<K,V> is a template; not for users.
//
// A lookup in a nil or empty map finds nothing. Otherwise it first checks
// hashWriting ("concurrent map read and map write"), hashes the key with
// the map's seed, picks the bucket (in oldbuckets if that part of the
// growth has not happened yet), and walks the chain:
//
//   generic  compares tophash first and keys only on a match; stops at the
//            first emptyRest.
//   fast     (4- and 8-byte integer and pointer keys) compares the keys
//            themselves, skipping empty slots; with B == 0 it does not
//            even hash, as the only bucket is the one.
//   faststr  (String keys) with B == 0 compares lengths first; short keys
//            (< 32 bytes) are then compared outright, long ones only
//            after their first and last 4 bytes match, hashing only if two
//            slots survive that filter. With B > 0 it is generic without
//            the emptyRest stop.
//
// The result is a pointer to the elem in the bucket (nullptr for a miss),
// valid until the next write; Map<K,V> copies it out at once.
#pragma once

#include <cstring>
#include <string_view>
#include <utility>

#include "gort/maps/bucket.h"

namespace gort::maps {

template <class K, class V, class A>
V* mapaccessGeneric(hmap* h, const A& key) {
  using L = Layout<K, V>;
  uint64_t hash = keyHash<K>(key, h->hash0);
  char* b = bucketFor(h, hash, L::size);
  uint8_t top = tophash(hash);
  for (; b != nullptr; b = L::overflow(b)) {
    uint8_t* th = L::tophash(b);
    for (size_t i = 0; i < kBucketCnt; i++) {
      if (th[i] != top) {
        if (th[i] == emptyRest) return nullptr;
        continue;
      }
      if (keyEqual<K>(key, *L::key(b, i))) return L::elem(b, i);
    }
  }
  return nullptr;
}

template <class K, class V, class A>
V* mapaccessFast(hmap* h, const A& key) {
  using L = Layout<K, V>;
  char* b;
  if (h->B == 0) {
    b = h->buckets.get();
  } else {
    b = bucketFor(h, keyHash<K>(key, h->hash0), L::size);
  }
  for (; b != nullptr; b = L::overflow(b)) {
    uint8_t* th = L::tophash(b);
    for (size_t i = 0; i < kBucketCnt; i++) {
      if (keyEqual<K>(key, *L::key(b, i)) && !isEmpty(th[i])) return L::elem(b, i);
    }
  }
  return nullptr;
}

template <class K, class V>
V* mapaccessStr(hmap* h, std::string_view key) {
  using L = Layout<K, V>;
  if (h->B == 0) {
    char* b = h->buckets.get();
    uint8_t* th = L::tophash(b);
    if (key.size() < 32) {
      for (size_t i = 0; i < kBucketCnt; i++) {
        const String& k = *L::key(b, i);
        if (k.len() != key.size() || isEmpty(th[i])) {
          if (th[i] == emptyRest) break;
          continue;
        }
        if (bytesEqual(k.data(), key.data(), key.size())) return L::elem(b, i);
      }
      return nullptr;
    }
    // Long keys: compare as little as possible.
    size_t keymaybe = kBucketCnt;
    bool hashIt = false;
    for (size_t i = 0; i < kBucketCnt; i++) {
      const String& k = *L::key(b, i);
      if (k.len() != key.size() || isEmpty(th[i])) {
        if (th[i] == emptyRest) break;
        continue;
      }
      if (k.data() == key.data()) return L::elem(b, i);
      if (std::memcmp(k.data(), key.data(), 4) != 0) continue;
      if (std::memcmp(k.data() + key.size() - 4, key.data() + key.size() - 4, 4) != 0) continue;
      if (keymaybe != kBucketCnt) {
        hashIt = true;  // two candidates: let the hash tell them apart
        break;
      }
      keymaybe = i;
    }
    if (!hashIt) {
      if (keymaybe != kBucketCnt) {
        const String& k = *L::key(b, keymaybe);
        if (std::memcmp(k.data(), key.data(), key.size()) == 0) return L::elem(b, keymaybe);
      }
      return nullptr;
    }
  }
  uint64_t hash = keyHash<K>(key, h->hash0);
  char* b = bucketFor(h, hash, L::size);
  uint8_t top = tophash(hash);
  for (; b != nullptr; b = L::overflow(b)) {
    uint8_t* th = L::tophash(b);
    for (size_t i = 0; i < kBucketCnt; i++) {
      // tophash first: it shares a cache line with the bucket's start, while
      // the 8 string headers span two more lines that only a candidate
      // slot needs (Go tests the length first and touches them all).
      if (th[i] != top) continue;
      const String& k = *L::key(b, i);
      if (k.len() == key.size() && bytesEqual(k.data(), key.data(), key.size())) return L::elem(b, i);
    }
  }
  return nullptr;
}

// mapaccess1/mapaccess2: the elem for key, or nullptr.
template <class K, class V, class A>
V* mapaccess(hmap* h, const A& key) {
  yieldpoint();
  if (h == nullptr || h->count == 0) return nullptr;
  if ((h->getFlags() & hashWriting) != 0) fatalConcurrentReadWrite();
  if constexpr (kFastKey<K, V>) {
    return mapaccessFast<K, V>(h, key);
  } else if constexpr (kFastStr<K, V>) {
    return mapaccessStr<K, V>(h, std::string_view(key));
  } else {
    return mapaccessGeneric<K, V>(h, key);
  }
}

// mapaccessK: the stored key and elem for key (nullptr, nullptr for a
// miss), without the concurrency check; for iterators.
template <class K, class V>
std::pair<K*, V*> mapaccessK(hmap* h, const K& key) {
  using L = Layout<K, V>;
  if (h == nullptr || h->count == 0) return {nullptr, nullptr};
  uint64_t hash = KeyTraits<K>::hash(key, h->hash0);
  char* b = bucketFor(h, hash, L::size);
  uint8_t top = tophash(hash);
  for (; b != nullptr; b = L::overflow(b)) {
    uint8_t* th = L::tophash(b);
    for (size_t i = 0; i < kBucketCnt; i++) {
      if (th[i] != top) {
        if (th[i] == emptyRest) return {nullptr, nullptr};
        continue;
      }
      K* k = L::key(b, i);
      if (KeyTraits<K>::equal(key, *k)) return {k, L::elem(b, i)};
    }
  }
  return {nullptr, nullptr};
}

}  // namespace gort::maps
