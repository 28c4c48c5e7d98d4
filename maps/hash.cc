// memhash over any number of bytes: Go's portable hash (hash64.go's
// memhashFallback), the wyhash-style mixing that gort uses on every CPU.
//
// Short inputs are read as at most two overlapping words: 1..3 bytes as
// three sampled bytes, 4..7 as two overlapping 4-byte reads, 8..16 as two
// overlapping 8-byte reads. Longer inputs are folded 16 bytes at a time
// into the seed, after 48-byte rounds over three independent lanes (m2, m3,
// m4) for inputs over 48 bytes; the last 16 bytes are always read as the
// final pair. Whatever the length, the pair ends in the same two mixes as
// memhash64, with the length folded in through m5.

#include <cstring>

#include "gort/hash.h"

namespace gort {
namespace {

inline uint64_t r4(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t r8(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

uint64_t memhash(const void* data, size_t s, uint64_t seed) {
  using namespace maps;
  auto* p = static_cast<const unsigned char*>(data);
  uint64_t a, b;
  seed ^= kHashKey0 ^ kM1;
  if (s == 0) return seed;
  if (s < 4) {
    a = static_cast<uint64_t>(p[0]) | static_cast<uint64_t>(p[s >> 1]) << 8 | static_cast<uint64_t>(p[s - 1]) << 16;
    b = 0;
  } else if (s == 4) {
    a = b = r4(p);
  } else if (s < 8) {
    a = r4(p);
    b = r4(p + s - 4);
  } else if (s == 8) {
    a = b = r8(p);
  } else if (s <= 16) {
    a = r8(p);
    b = r8(p + s - 8);
  } else {
    size_t l = s;
    if (l > 48) {
      uint64_t seed1 = seed, seed2 = seed;
      for (; l > 48; l -= 48, p += 48) {
        seed = mix(r8(p) ^ kM2, r8(p + 8) ^ seed);
        seed1 = mix(r8(p + 16) ^ kM3, r8(p + 24) ^ seed1);
        seed2 = mix(r8(p + 32) ^ kM4, r8(p + 40) ^ seed2);
      }
      seed ^= seed1 ^ seed2;
    }
    for (; l > 16; l -= 16, p += 16) seed = mix(r8(p) ^ kM2, r8(p + 8) ^ seed);
    a = r8(p + l - 16);
    b = r8(p + l - 8);
  }
  return mix(kM5 ^ s, mix(a ^ kM2, b ^ seed));
}

}  // namespace gort
