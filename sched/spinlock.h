// A lock for runtime structures whose lock is released on the far side of a
// context switch (a channel's lock is taken by the goroutine that parks and
// released by park's commit, running on the next goroutine's stack).
// std::mutex ties ownership to a thread, and ThreadSanitizer to a fiber, so
// these use a plain atomic flag: TSan sees the acquire/release pairs, and
// nobody "owns" the lock. Holders never block while holding it.
#pragma once

#include <atomic>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gort::sched {

class SpinLock {
 public:
  void lock() {
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
  bool try_lock() { return !locked_.exchange(true, std::memory_order_acquire); }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace gort::sched
