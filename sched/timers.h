// Timers: a min-heap of deadlines, each with a function to run when it fires
// (Sleep's readies the sleeper). Timers are run by whichever M looks for work
// first after their deadline (findRunnable), as in Go since 1.14. In
// deterministic mode the virtual clock jumps to the earliest deadline when
// every M is idle, so `Sleep(time.Hour)` takes no real time and runs the
// same way every time.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "sched/spinlock.h"

namespace gort::sched {

struct Timer {
  int64_t when = 0;
  uint64_t seq = 0;  // insertion order breaks ties, so firing order is deterministic
  void (*fire)(void* arg) = nullptr;
  void* arg = nullptr;
};

class Timers {
 public:
  // Caller holds lock().
  void add(const Timer& t);
  // Pops every timer due at `now` into `out` (earliest first). Takes the lock.
  void takeExpired(int64_t now, std::vector<Timer>* out);
  // Earliest deadline, or INT64_MAX.
  int64_t next() const { return next_.load(std::memory_order_acquire); }
  bool empty() const { return count_.load(std::memory_order_acquire) == 0; }
  // A SpinLock: Sleep releases it in park's commit, on another stack.
  SpinLock& lock() { return mu_; }
  void clear();

 private:
  SpinLock mu_;
  std::vector<Timer> heap_;
  uint64_t seq_ = 0;
  std::atomic<int64_t> next_{INT64_MAX};
  std::atomic<size_t> count_{0};
};

}  // namespace gort::sched
