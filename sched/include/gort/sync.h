// Package sync: Mutex, RWMutex, WaitGroup, Once, with Go 1.19's algorithms
// (normal and starvation mode for Mutex, the reader count trick for
// RWMutex) and Go's misuse errors:
//
//   fatal error: sync: unlock of unlocked mutex
//   fatal error: sync: RUnlock of unlocked RWMutex
//   fatal error: sync: Unlock of unlocked RWMutex
//   panic: sync: negative WaitGroup counter
//   panic: sync: WaitGroup is reused before previous Wait has returned
//   panic: sync: WaitGroup misuse: Add called concurrently with Wait
//
// The zero value of each is ready to use; none may be copied after first
// use (copying is deleted). Mutex and RWMutex also satisfy C++'s Lockable,
// so std::lock_guard and std::unique_lock work with them.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace gort {

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock();
  bool TryLock();
  void Unlock();

  void lock() { Lock(); }
  bool try_lock() { return TryLock(); }
  void unlock() { Unlock(); }

 private:
  void lockSlow();
  void unlockSlow(int32_t newState);

  std::atomic<int32_t> state_{0};
  std::atomic<uint32_t> sema_{0};
};

class RWMutex {
 public:
  RWMutex() = default;
  RWMutex(const RWMutex&) = delete;
  RWMutex& operator=(const RWMutex&) = delete;

  void RLock();
  bool TryRLock();
  void RUnlock();
  void Lock();
  bool TryLock();
  void Unlock();

  void lock() { Lock(); }
  bool try_lock() { return TryLock(); }
  void unlock() { Unlock(); }
  void lock_shared() { RLock(); }
  bool try_lock_shared() { return TryRLock(); }
  void unlock_shared() { RUnlock(); }

 private:
  void rUnlockSlow(int32_t r);

  Mutex w_;
  std::atomic<uint32_t> writerSem_{0};
  std::atomic<uint32_t> readerSem_{0};
  std::atomic<int32_t> readerCount_{0};
  std::atomic<int32_t> readerWait_{0};
};

class WaitGroup {
 public:
  WaitGroup() = default;
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;

  void Add(int delta);
  void Done() { Add(-1); }
  void Wait();

 private:
  std::atomic<uint64_t> state_{0};  // high 32 bits: counter; low 32: waiters
  std::atomic<uint32_t> sema_{0};
};

class Once {
 public:
  Once() = default;
  Once(const Once&) = delete;
  Once& operator=(const Once&) = delete;

  template <class F>
  void Do(F&& f) {
    if (done_.load(std::memory_order_acquire) == 0) doSlow(std::forward<F>(f));
  }

 private:
  template <class F>
  void doSlow(F&& f) {
    m_.Lock();
    struct Unlock {
      Once* o;
      ~Unlock() { o->m_.Unlock(); }
    } unlock{this};
    if (done_.load(std::memory_order_relaxed) == 0) {
      // Done even if f panics, as with Go's deferred store.
      struct MarkDone {
        Once* o;
        ~MarkDone() { o->done_.store(1, std::memory_order_release); }
      } mark{this};
      f();
    }
  }

  std::atomic<uint32_t> done_{0};
  Mutex m_;
};

}  // namespace gort
