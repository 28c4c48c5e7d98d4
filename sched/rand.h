// The runtime's random numbers (Go's fastrand). In deterministic mode every
// draw comes from one stream seeded by GORT_SEED, so a seed fixes the
// schedule, select choices, map seeds and iteration orders alike.
#pragma once

#include <cstdint>

namespace gort::sched {

// wyrand: tiny, fast, passes BigCrush; Go 1.19's fastrand uses it on 64-bit.
struct Rand {
  uint64_t state = 0;

  uint64_t next64() {
    state += 0xa0761d6478bd642fULL;
    __uint128_t m = static_cast<__uint128_t>(state) * (state ^ 0xe7037ed1a0b428dbULL);
    return static_cast<uint64_t>(m >> 64) ^ static_cast<uint64_t>(m);
  }
  uint32_t next32() { return static_cast<uint32_t>(next64()); }
  // Uniform in [0, n), by Lemire's multiply-shift (fastrandn).
  uint32_t below(uint32_t n) {
    return static_cast<uint32_t>((static_cast<uint64_t>(next32()) * n) >> 32);
  }
};

}  // namespace gort::sched
