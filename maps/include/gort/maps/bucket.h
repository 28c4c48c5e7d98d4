// bmap for one map type: the bucket layout of map[K]V, what the collector
// sees in it, and the maptype descriptor (MapType) the type-erased code uses.
//
// Public only because gort::Map<K,V> is a template; not for users.
//
// Layout (reflect.go MapBucketType): 8 tophash bytes, 8 key slots, 8 elem
// slots, the overflow word. A slot is the value itself, or for a type over
// 128 bytes a pointer to its own heap object. An empty C++ type (struct {})
// takes no room, as Go's zero-size types: a bucket of map[Empty]Empty is
// 16 bytes. With alignment at most 8 no padding is ever needed, so the
// size is 8 + 8*keysize + 8*elemsize + 8:
//
//     map[int64]int64  144    map[gort::String]int64  208
//     map[int64]int8    88    map[int8]int8            32
//
// How slots are read and written is in slot.h; keys' hashing and
// comparison in keys.h.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>

#include "gort/hash.h"
#include "gort/heap.h"
#include "gort/maps/hmap.h"
#include "gort/maps/keys.h"
#include "gort/maps/slot.h"
#include "gort/string.h"

namespace gort::maps {

// ---------------------------------------------------------------------------
// Readable values, for dumps.

template <class T>
void formatValue(const T& v, std::string* out) {
  char buf[64];
  if constexpr (std::is_same_v<T, bool>) {
    out->append(v ? "true" : "false");
  } else if constexpr (std::is_enum_v<T>) {
    out->append(std::to_string(static_cast<std::underlying_type_t<T>>(v)));
  } else if constexpr (std::is_integral_v<T>) {
    out->append(std::to_string(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
    out->append(buf);
  } else if constexpr (std::is_same_v<T, String>) {
    out->push_back('"');
    std::string_view s = v.view();
    if (s.size() > 24) {
      out->append(s.substr(0, 21)).append("...");
    } else {
      out->append(s);
    }
    out->push_back('"');
  } else if constexpr (requires { v.get(); }) {
    std::snprintf(buf, sizeof buf, "%p", static_cast<const void*>(v.get()));
    out->append(buf);
  } else {
    out->append("{...}");
  }
}

// ---------------------------------------------------------------------------
// The bucket of map[K]V.

template <class K, class V>
struct Layout {
  using KS = Slot<K>;
  using VS = Slot<V>;
  static constexpr size_t keysOff = kDataOffset;
  static constexpr size_t elemsOff = keysOff + kBucketCnt * KS::size;
  static constexpr size_t overflowOff = elemsOff + kBucketCnt * VS::size;
  static constexpr size_t size = overflowOff + sizeof(uintptr_t);
  static constexpr bool noscan = !KS::pointers && !VS::pointers;
  static_assert(size % 8 == 0 && size <= UINT32_MAX);

  static uint8_t* tophash(char* b) { return reinterpret_cast<uint8_t*>(b); }
  static char* keySlot(char* b, size_t i) { return b + keysOff + i * KS::size; }
  static char* elemSlot(char* b, size_t i) { return b + elemsOff + i * VS::size; }
  static K* key(char* b, size_t i) { return KS::at(keySlot(b, i)); }
  static V* elem(char* b, size_t i) { return VS::at(elemSlot(b, i)); }
  static char* overflow(const char* b) { return overflowOf(b, size); }

  // What the collector sees: the 8 keys, the 8 elems, and the overflow
  // word when it points at a separately allocated bucket.
  static void traceBucket(const void* p, Visitor& v) {
    auto* b = static_cast<const char*>(p);
    for (size_t i = 0; i < kBucketCnt; i++) KS::trace(b + keysOff + i * KS::size, v);
    for (size_t i = 0; i < kBucketCnt; i++) VS::trace(b + elemsOff + i * VS::size, v);
    uintptr_t w = overflowWord(b, size).load(std::memory_order_acquire);
    if ((w & kSeparateBit) != 0) v.visitRaw(reinterpret_cast<const void*>(w & ~kSeparateBit));
  }
};

template <class K, class V>
struct MapTypeHolder {
  using L = Layout<K, V>;
  std::string name;
  std::string bucketName;
  TypeInfo bucket;
  MapType t;

  MapTypeHolder()
      : name(std::string("map[") + detail::demangledName(typeid(K)) + "]" + detail::demangledName(typeid(V))),
        bucketName(std::string("map.bucket[") + detail::demangledName(typeid(K)) + "]" +
                   detail::demangledName(typeid(V))),
        // A bucket's last word is its overflow reference (Go's ptrdata is
        // the whole bucket): its trace, which visits that word only when
        // it is set, would not show it on a zeroed bucket.
        bucket{bucketName.c_str(), L::size, 8, L::noscan, L::noscan ? nullptr : &L::traceBucket, nullptr, kTypeMagic,
               L::noscan ? 0u : static_cast<uint32_t>(L::size)},
        t{&bucket,
          static_cast<uint32_t>(L::size),
          static_cast<uint8_t>(L::KS::size),
          static_cast<uint8_t>(L::VS::size),
          L::KS::indirect,
          L::VS::indirect,
          NeedKeyUpdate<K>::value,
          ReflexiveKey<K>::value,
          static_cast<uint32_t>(std::is_empty_v<K> ? 0 : sizeof(K)),
          static_cast<uint32_t>(std::is_empty_v<V> ? 0 : sizeof(V)),
          name.c_str(),
          [](const char* b, int i, std::string* out) {
            formatValue(*L::key(const_cast<char*>(b), static_cast<size_t>(i)), out);
          },
          [](const char* b, int i, std::string* out) {
            formatValue(*L::elem(const_cast<char*>(b), static_cast<size_t>(i)), out);
          }} {}
};

// Go's maptype for map[K]V, made once.
template <class K, class V>
const MapType* mapTypeOf() {
  static const MapTypeHolder<K, V> holder;
  return &holder.t;
}

// Which lookup loop a key type gets (walk.go mapfast): the fast variants
// compare keys directly instead of tophash and skip hashing when B == 0.
template <class K, class V>
inline constexpr bool kFastKey =
    (KeyTraits<K>::fast64 || KeyTraits<K>::fast32) && Slot<V>::size <= kMaxElemSize && !Slot<V>::indirect;
template <class K, class V>
inline constexpr bool kFastStr = KeyTraits<K>::faststr && !Slot<V>::indirect;

// The bucket a hash selects, in the old array while that part of it has
// not been evacuated (mapaccess).
inline char* bucketFor(hmap* h, uint64_t hash, size_t bucketsize) {
  uintptr_t m = bucketMask(h->B);
  char* b = h->buckets.get() + (hash & m) * bucketsize;
  if (char* c = h->oldbuckets.get()) {
    if (!h->isSameSizeGrow()) m >>= 1;
    char* oldb = c + (hash & m) * bucketsize;
    if (!evacuated(oldb)) b = oldb;
  }
  return b;
}

}  // namespace gort::maps
