// A lock for runtime structures whose lock is released on the far side of a
// context switch (a channel's lock is taken by the goroutine that parks and
// released by park's commit, running on the next goroutine's stack).
// std::mutex ties ownership to a thread, and ThreadSanitizer to a fiber, so
// these use a plain atomic flag: TSan sees the acquire/release pairs, and
// nobody "owns" the lock. Holders never block while holding it.
//
// When a single OS thread runs every goroutine (deterministic mode, or
// parallel mode with GOMAXPROCS=1), no two holders can ever overlap: a
// holder does not switch goroutines before it unlocks, except in the park
// whose commit unlocks before anything else runs. The lock then needs no
// atomic read-modify-write (a locked instruction, ~5 ns here, four of them
// per channel round trip) and takes a plain load and store instead, as a
// uniprocessor kernel build compiles its spinlocks away. The flag stays
// checked: finding it set there can only mean a holder switched away, which
// would hang a spinning waiter, so it is reported as a fatal error instead.
#pragma once

#include <atomic>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gort::sched {

// True while a run is active and only one OS thread runs goroutines. Set by
// sched::start before the first goroutine, cleared after the last.
extern bool gOneGoroutineThread;

// Go's "schedule: holding locks".
[[noreturn]] void spinLockHeldAcrossSwitch();

class SpinLock {
 public:
  void lock() {
    if (gOneGoroutineThread) {
      if (locked_.load(std::memory_order_relaxed)) spinLockHeldAcrossSwitch();
      locked_.store(true, std::memory_order_relaxed);
      return;
    }
    for (int spins = 0;; spins++) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        if (spins < 64) {
#if defined(__x86_64__)
          _mm_pause();
#endif
          spins++;
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  // For a waiter that passes safepoints between tries (sched's
  // lockAtSafepoints), so a holder that switched away may run and let go.
  bool try_lock() {
    if (gOneGoroutineThread) {
      if (locked_.load(std::memory_order_relaxed)) return false;
      locked_.store(true, std::memory_order_relaxed);
      return true;
    }
    return !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace gort::sched
