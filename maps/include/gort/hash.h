// Hashing and equality of map keys (runtime/alg.go, hash64.go).
//
//   struct Point {                       // a struct key, as Go's struct{x, y int64}
//     int64_t x = 0, y = 0;
//     bool operator==(const Point&) const = default;
//     uint64_t hash(uint64_t seed) const { return gort::hashFields(seed, x, y); }
//   };
//   auto m = gort::make_map<Point, gort::String>();
//
// A key type needs equality (operator==) and a hash. Built in: integers,
// enums, bool, float and double, gort::Ptr<T> (by address), gort::String,
// std::complex<float|double>, and std::array of any of these. A user type declares either a member
// `uint64_t hash(uint64_t seed) const` or a specialization of
// gort::Hash<K>. Go hashes a struct field by field, each field's hash
// seeding the next; gort::hashFields(seed, a, b, ...) does the same.
//
// The hash function is Go's portable one (hash64.go, derived from wyhash),
// the one Go uses where the CPU has no AES instructions: 64-bit words are
// mixed by 128-bit multiplication with the constants m1..m5. Go also mixes
// in per-process random keys (hashkey) drawn at start-up; gort fixes them,
// so that the only randomness is each map's seed hash0, drawn from the
// scheduler's fastrand: in deterministic mode a GORT_SEED then fixes bucket
// placement and iteration order as it fixes the schedule.
//
// Floats (and std::complex of them) follow Go: +0 and -0 hash alike (and are equal), and a NaN hashes
// to a fresh random value each time, so NaN keys spread over the buckets
// even though no lookup can ever find one (NaN != NaN).
#pragma once

#include <array>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "gort/heap.h"
#include "gort/string.h"

namespace gort {

namespace maps {
// The runtime's fastrand (the scheduler's seeded stream in deterministic
// mode), for hash seeds, NaN hashes and iteration starts.
uint32_t fastrand();
uint64_t fastrand64();

// hash64.go's multipliers.
inline constexpr uint64_t kM1 = 0xa0761d6478bd642fULL;
inline constexpr uint64_t kM2 = 0xe7037ed1a0b428dbULL;
inline constexpr uint64_t kM3 = 0x8ebc6af09c88c6e3ULL;
inline constexpr uint64_t kM4 = 0x589965cc75374cc3ULL;
inline constexpr uint64_t kM5 = 0x1d8e4e27c47d124fULL;
// Go's hashkey[0], random per process in Go; fixed here (see above).
inline constexpr uint64_t kHashKey0 = 0x2d358dccaa6c78a5ULL | 1;
// alg.go's c0 and c1 on 64-bit, for floats.
inline constexpr uint64_t kC0 = 33054211828000289ULL;
inline constexpr uint64_t kC1 = 23344194077549503ULL;

// The high and low halves of the 128-bit product, folded (hash64.go mix).
inline uint64_t mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r >> 64) ^ static_cast<uint64_t>(r);
}
}  // namespace maps

// memhash: the hash of n bytes at p under seed.
uint64_t memhash(const void* p, size_t n, uint64_t seed);

// memhash64 / memhash32: the same for one 8- or 4-byte word, inline.
inline uint64_t memhash64(uint64_t a, uint64_t seed) {
  using namespace maps;
  return mix(kM5 ^ 8, mix(a ^ kM2, a ^ seed ^ kHashKey0 ^ kM1));
}
inline uint64_t memhash32(uint32_t v, uint64_t seed) {
  using namespace maps;
  uint64_t a = v;
  return mix(kM5 ^ 4, mix(a ^ kM2, a ^ seed ^ kHashKey0 ^ kM1));
}

// f64hash / f32hash (alg.go).
inline uint64_t f64hash(double f, uint64_t seed) {
  using namespace maps;
  if (f == 0) return kC1 * (kC0 ^ seed);                       // +0, -0
  if (f != f) return kC1 * (kC0 ^ seed ^ maps::fastrand());    // any NaN
  uint64_t bits;
  std::memcpy(&bits, &f, 8);
  return memhash64(bits, seed);
}
inline uint64_t f32hash(float f, uint64_t seed) {
  using namespace maps;
  if (f == 0) return kC1 * (kC0 ^ seed);
  if (f != f) return kC1 * (kC0 ^ seed ^ maps::fastrand());
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return memhash32(bits, seed);
}

// ---------------------------------------------------------------------------
// Hash<K>: the customization point. The primary template uses K's member
// `hash(uint64_t seed) const`.

template <class K, class = void>
struct Hash {
  template <class U = K>
    requires requires(const U& k, uint64_t s) {
      { k.hash(s) } -> std::convertible_to<uint64_t>;
    }
  uint64_t operator()(const K& k, uint64_t seed) const {
    return k.hash(seed);
  }
};

// Integers and enums: Go's memhash8/16/32/64 by size.
template <class K>
struct Hash<K, std::enable_if_t<std::is_integral_v<K> || std::is_enum_v<K>>> {
  uint64_t operator()(K k, uint64_t seed) const {
    if constexpr (sizeof(K) == 8) {
      uint64_t v;
      std::memcpy(&v, &k, 8);
      return memhash64(v, seed);
    } else if constexpr (sizeof(K) == 4) {
      uint32_t v;
      std::memcpy(&v, &k, 4);
      return memhash32(v, seed);
    } else {
      return memhash(&k, sizeof(K), seed);
    }
  }
};

template <>
struct Hash<double> {
  uint64_t operator()(double k, uint64_t seed) const { return f64hash(k, seed); }
};
template <>
struct Hash<float> {
  uint64_t operator()(float k, uint64_t seed) const { return f32hash(k, seed); }
};

// Complex numbers: each half with the float hash (alg.go c64hash, c128hash).
template <class T>
struct Hash<std::complex<T>, std::enable_if_t<std::is_floating_point_v<T>>> {
  uint64_t operator()(const std::complex<T>& c, uint64_t seed) const {
    return Hash<T>{}(c.imag(), Hash<T>{}(c.real(), seed));
  }
};

// Pointers hash by address (Go's memhash64 of the pointer word).
template <class T>
struct Hash<Ptr<T>> {
  uint64_t operator()(const T* p, uint64_t seed) const {
    return memhash64(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)), seed);
  }
  uint64_t operator()(const Ptr<T>& p, uint64_t seed) const { return (*this)(p.get(), seed); }
};

// Strings: memhash of the bytes (Go's strhash). A std::string_view hashes
// the same as a String with the same bytes, so lookups need no String.
template <>
struct Hash<String> {
  uint64_t operator()(std::string_view s, uint64_t seed) const { return memhash(s.data(), s.size(), seed); }
  uint64_t operator()(const String& s, uint64_t seed) const { return memhash(s.data(), s.len(), seed); }
};

// Arrays: memory hash when the elements are plain integers (Go's AMEM
// arrays), element by element otherwise (Go's typehash over an array).
template <class T, size_t N>
struct Hash<std::array<T, N>> {
  uint64_t operator()(const std::array<T, N>& a, uint64_t seed) const {
    if constexpr ((std::is_integral_v<T> || std::is_enum_v<T>)&&!std::is_same_v<T, bool>) {
      return memhash(a.data(), sizeof(T) * N, seed);
    } else {
      for (const T& x : a) seed = Hash<T>{}(x, seed);
      return seed;
    }
  }
};

// Whether K can key a gort::Map: it hashes and compares.
template <class K>
concept MapKey = requires(const K& k, uint64_t s) {
  { Hash<K>{}(k, s) } -> std::convertible_to<uint64_t>;
  { k == k } -> std::convertible_to<bool>;
};

// hashOf(v, seed): the hash of any MapKey value.
template <class T>
uint64_t hashOf(const T& v, uint64_t seed) {
  return Hash<T>{}(v, seed);
}

// hashFields(seed, f1, f2, ...): a struct's hash, field by field as Go's
// typehash does: each field's hash is the seed of the next.
inline uint64_t hashFields(uint64_t seed) { return seed; }
template <class F, class... Rest>
uint64_t hashFields(uint64_t seed, const F& f, const Rest&... rest) {
  return hashFields(Hash<F>{}(f, seed), rest...);
}

// ---------------------------------------------------------------------------
// Key properties the map needs, as Go's maptype flags.

// needkeyupdate: assigning to an existing key also stores the new key,
// because equal keys can differ (+0 and -0; strings with different
// backing arrays). Go sets it for floats, strings, interfaces and anything
// containing them; gort assumes it for every class type it does not know
// (storing an equal key is always correct, only a little slower).
template <class K, class = void>
struct NeedKeyUpdate : std::bool_constant<std::is_class_v<K>> {};
template <class K>
struct NeedKeyUpdate<K, std::enable_if_t<std::is_arithmetic_v<K> || std::is_enum_v<K>>>
    : std::bool_constant<std::is_floating_point_v<K>> {};
template <class T>
struct NeedKeyUpdate<Ptr<T>> : std::false_type {};
template <>
struct NeedKeyUpdate<String> : std::true_type {};
template <class T, size_t N>
struct NeedKeyUpdate<std::array<T, N>> : NeedKeyUpdate<T> {};

// reflexivekey: k == k for every k. False for floats (NaN) and for class
// types gort does not know, for which the map tests k == k when it must.
template <class K, class = void>
struct ReflexiveKey : std::false_type {};
template <class K>
struct ReflexiveKey<K, std::enable_if_t<std::is_integral_v<K> || std::is_enum_v<K>>> : std::true_type {};
template <class T>
struct ReflexiveKey<Ptr<T>> : std::true_type {};
template <>
struct ReflexiveKey<String> : std::true_type {};
template <class T, size_t N>
struct ReflexiveKey<std::array<T, N>> : ReflexiveKey<T> {};

}  // namespace gort
