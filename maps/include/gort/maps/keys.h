// Map keys as lookups see them: the argument types (String keys by
// any bytes, Ptr keys by any pointer handle), their hash under a map's seed,
// equality with a stored key, and how a key is stored or updated.
//
// Public only because gort::Map<K,V> is a template; not for users.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "gort/hash.h"
#include "gort/heap.h"
#include "gort/maps/slot.h"
#include "gort/string.h"

namespace gort::maps {

// ---------------------------------------------------------------------------
// Keys: what lookups take, how they hash and compare.

// A pointer key given as T*, Ptr<T>, Local<T> or Global<T>.
template <class T>
struct PtrKey {
  T* p;
  PtrKey(T* x) : p(x) {}
  PtrKey(std::nullptr_t) : p(nullptr) {}
  template <class P>
    requires requires(const P& x) {
      { x.get() } -> std::convertible_to<T*>;
    }
  PtrKey(const P& x) : p(x.get()) {}
};

template <class K>
struct KeyTraits {
  using View = const K&;  // what lookups, deletes and assignments take
  static constexpr bool fast64 = (std::is_integral_v<K> || std::is_enum_v<K>)&&sizeof(K) == 8;
  static constexpr bool fast32 = (std::is_integral_v<K> || std::is_enum_v<K>)&&sizeof(K) == 4;
  static constexpr bool faststr = false;
  static uint64_t hash(const K& k, uint64_t seed) { return Hash<K>{}(k, seed); }
  static bool equal(const K& k, const K& stored) { return k == stored; }
  static void store(K* slot, const K& k) { Slot<K>::assign(slot, k); }
  static void update(K* slot, const K& k) {
    if constexpr (NeedKeyUpdate<K>::value) Slot<K>::assign(slot, k);
  }
};

template <class T>
struct KeyTraits<Ptr<T>> {
  using View = PtrKey<T>;
  static constexpr bool fast64 = true;
  static constexpr bool fast32 = false;
  static constexpr bool faststr = false;
  static uint64_t hash(PtrKey<T> k, uint64_t seed) { return Hash<Ptr<T>>{}(k.p, seed); }
  static bool equal(PtrKey<T> k, const Ptr<T>& stored) { return stored.get() == k.p; }
  static void store(Ptr<T>* slot, PtrKey<T> k) { *slot = k.p; }
  static void update(Ptr<T>*, PtrKey<T>) {}
};

// A String key given as anything with bytes: a String (or a Local /
// Global / Rooted of one), a std::string_view, a std::string, a C string.
// Only a String can be shared by the map; other bytes are copied onto the
// heap when, and only when, they become a new key.
struct StrKey {
  std::string_view v;
  const String* s = nullptr;
  StrKey(std::string_view x) : v(x) {}
  StrKey(const char* x) : v(x) {}
  StrKey(const std::string& x) : v(x) {}
  StrKey(const String& x) : v(x.view()), s(&x) {}
  template <class R>
    requires requires(const R& r) {
      { *r } -> std::convertible_to<const String&>;
    }
  StrKey(const R& r) : StrKey(static_cast<const String&>(*r)) {}
  operator std::string_view() const { return v; }
};

// Whether n bytes at a and b are equal. Map keys are mostly short, and
// libc's memcmp is an out-of-line call through the PLT that costs more than
// the comparison: up to 16 bytes take two overlapping word loads per side.
inline bool bytesEqual(const char* a, const char* b, size_t n) {
  if (a == b) return true;
  if (n >= 8) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4) {
    uint32_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 4);
    std::memcpy(&b0, b, 4);
    std::memcpy(&a1, a + n - 4, 4);
    std::memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

template <>
struct KeyTraits<String> {
  using View = StrKey;
  static constexpr bool fast64 = false;
  static constexpr bool fast32 = false;
  static constexpr bool faststr = true;
  static uint64_t hash(std::string_view k, uint64_t seed) { return Hash<String>{}(k, seed); }
  static bool equal(std::string_view k, const String& stored) {
    return stored.len() == k.size() && bytesEqual(stored.data(), k.data(), k.size());
  }
  static void store(String* slot, const String& k) { *slot = k; }
  static void store(String* slot, const StrKey& k) {
    if (k.s != nullptr) {
      *slot = *k.s;  // share the bytes, as Go does
      return;
    }
    Local<String> s = String::from(k.v);
    *slot = *s;
  }
  // An existing key takes the new String (Go replaces the string header);
  // bytes that are not a String are equal to the stored ones already.
  static void update(String* slot, const StrKey& k) {
    if (k.s != nullptr) *slot = *k.s;
  }
};

// The hash and comparison of an argument: a String is looked up as its bytes.
template <class K, class A>
uint64_t keyHash(const A& a, uint64_t seed) {
  if constexpr (std::is_same_v<K, String>) {
    return KeyTraits<K>::hash(std::string_view(a), seed);
  } else {
    return KeyTraits<K>::hash(a, seed);
  }
}
template <class K, class A>
bool keyEqual(const A& a, const K& stored) {
  if constexpr (std::is_same_v<K, String>) {
    return KeyTraits<K>::equal(std::string_view(a), stored);
  } else {
    return KeyTraits<K>::equal(a, stored);
  }
}

}  // namespace gort::maps
