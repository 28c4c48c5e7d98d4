// sync.Mutex, RWMutex and WaitGroup, following Go 1.19's sync package.

#include <thread>

#include "gort/panic.h"
#include "gort/sync.h"
#include "sched/fatal.h"
#include "sched/sched.h"
#include "sched/sema.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gort {
namespace {

constexpr int32_t kMutexLocked = 1;
constexpr int32_t kMutexWoken = 2;
constexpr int32_t kMutexStarving = 4;
constexpr int32_t kMutexWaiterShift = 3;
// A waiter that has waited over 1 ms switches the mutex to starvation mode,
// where ownership is handed directly from unlocker to the first waiter.
constexpr int64_t kStarvationThresholdNs = 1'000'000;
constexpr int32_t kRwmutexMaxReaders = 1 << 30;

void syncSafepoint() {
  sched::safepoint();  // a no-op off the runtime's threads
}

// Spinning makes sense only on a multicore machine with other Ps running
// and nothing else to run here (sync_runtime_canSpin), and never in
// deterministic mode, where the owner cannot run while we spin.
bool canSpin(int iter) {
  if (iter >= 4 || !sched::running() || sched::deterministic()) return false;
  if (sched::numCPUs() <= 1) return false;
  int procs = sched::gSched->cfg.gomaxprocs;
  if (procs <= sched::gSched->npidle.load() + sched::gSched->nmspinning.load() + 1) return false;
  sched::P* p = sched::getp();
  return p != nullptr && p->runq.empty();
}

void doSpin() {
  for (int i = 0; i < 30; i++) {
#if defined(__x86_64__)
    _mm_pause();
#endif
  }
}

int64_t now() { return sched::running() ? sched::nanotime() : 0; }

}  // namespace

// ---------------------------------------------------------------------------
// Mutex

void Mutex::Lock() {
  syncSafepoint();
  int32_t unlocked = 0;
  if (state_.compare_exchange_strong(unlocked, kMutexLocked, std::memory_order_acquire)) return;
  lockSlow();
}

bool Mutex::TryLock() {
  syncSafepoint();
  int32_t old = state_.load(std::memory_order_relaxed);
  if (old & (kMutexLocked | kMutexStarving)) return false;
  return state_.compare_exchange_strong(old, old | kMutexLocked, std::memory_order_acquire);
}

void Mutex::lockSlow() {
  int64_t waitStart = 0;
  bool starving = false;
  bool awoke = false;
  int iter = 0;
  int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    // Spin while the mutex is held in normal mode, telling Unlock not to
    // wake anyone (we are awake already).
    if ((old & (kMutexLocked | kMutexStarving)) == kMutexLocked && canSpin(iter)) {
      if (!awoke && (old & kMutexWoken) == 0 && (old >> kMutexWaiterShift) != 0 &&
          state_.compare_exchange_strong(old, old | kMutexWoken)) {
        awoke = true;
      }
      doSpin();
      iter++;
      old = state_.load(std::memory_order_relaxed);
      continue;
    }
    int32_t next = old;
    if ((old & kMutexStarving) == 0) next |= kMutexLocked;  // starving: new arrivals queue
    if (old & (kMutexLocked | kMutexStarving)) next += 1 << kMutexWaiterShift;
    if (starving && (old & kMutexLocked)) next |= kMutexStarving;
    if (awoke) {
      if ((next & kMutexWoken) == 0) sched::throwError("sync: inconsistent mutex state");
      next &= ~kMutexWoken;
    }
    if (state_.compare_exchange_strong(old, next, std::memory_order_acq_rel)) {
      if ((old & (kMutexLocked | kMutexStarving)) == 0) return;  // locked it
      bool lifo = waitStart != 0;
      if (waitStart == 0) waitStart = now();
      sched::semacquire(&sema_, lifo);
      starving = starving || now() - waitStart > kStarvationThresholdNs;
      old = state_.load(std::memory_order_relaxed);
      if (old & kMutexStarving) {
        // Ownership was handed to us; fix up the state.
        if ((old & (kMutexLocked | kMutexWoken)) != 0 || (old >> kMutexWaiterShift) == 0) {
          sched::throwError("sync: inconsistent mutex state");
        }
        int32_t delta = kMutexLocked - (1 << kMutexWaiterShift);
        if (!starving || (old >> kMutexWaiterShift) == 1) delta -= kMutexStarving;
        state_.fetch_add(delta, std::memory_order_acq_rel);
        return;
      }
      awoke = true;
      iter = 0;
    } else {
      old = state_.load(std::memory_order_relaxed);
    }
  }
}

void Mutex::Unlock() {
  syncSafepoint();
  int32_t next = state_.fetch_sub(kMutexLocked, std::memory_order_release) - kMutexLocked;
  if (next != 0) unlockSlow(next);
}

void Mutex::unlockSlow(int32_t next) {
  if (((next + kMutexLocked) & kMutexLocked) == 0) sched::fatal("sync: unlock of unlocked mutex");
  if ((next & kMutexStarving) == 0) {
    int32_t old = next;
    for (;;) {
      // Nobody to wake, or someone already awake or holding it.
      if ((old >> kMutexWaiterShift) == 0 || (old & (kMutexLocked | kMutexWoken | kMutexStarving)) != 0) return;
      int32_t n = (old - (1 << kMutexWaiterShift)) | kMutexWoken;
      if (state_.compare_exchange_strong(old, n, std::memory_order_acq_rel)) {
        sched::semrelease(&sema_, false);
        return;
      }
    }
  }
  sched::semrelease(&sema_, true);
}

// ---------------------------------------------------------------------------
// RWMutex

void RWMutex::RLock() {
  syncSafepoint();
  if (readerCount_.fetch_add(1, std::memory_order_acq_rel) + 1 < 0) {
    sched::semacquire(&readerSem_, false);  // a writer is pending
  }
}

bool RWMutex::TryRLock() {
  syncSafepoint();
  for (;;) {
    int32_t c = readerCount_.load(std::memory_order_acquire);
    if (c < 0) return false;
    if (readerCount_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) return true;
  }
}

void RWMutex::RUnlock() {
  syncSafepoint();
  int32_t r = readerCount_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  if (r < 0) rUnlockSlow(r);
}

void RWMutex::rUnlockSlow(int32_t r) {
  if (r + 1 == 0 || r + 1 == -kRwmutexMaxReaders) sched::fatal("sync: RUnlock of unlocked RWMutex");
  // The last reader out lets the pending writer in.
  if (readerWait_.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0) sched::semrelease(&writerSem_, false);
}

void RWMutex::Lock() {
  w_.Lock();
  // Announce the writer; r is how many readers are inside.
  int32_t r = readerCount_.fetch_sub(kRwmutexMaxReaders, std::memory_order_acq_rel);
  if (r != 0 && readerWait_.fetch_add(r, std::memory_order_acq_rel) + r != 0) {
    sched::semacquire(&writerSem_, false);
  }
}

bool RWMutex::TryLock() {
  if (!w_.TryLock()) return false;
  int32_t zero = 0;
  if (!readerCount_.compare_exchange_strong(zero, -kRwmutexMaxReaders, std::memory_order_acq_rel)) {
    w_.Unlock();
    return false;
  }
  return true;
}

void RWMutex::Unlock() {
  syncSafepoint();
  int32_t r = readerCount_.fetch_add(kRwmutexMaxReaders, std::memory_order_acq_rel) + kRwmutexMaxReaders;
  if (r >= kRwmutexMaxReaders) sched::fatal("sync: Unlock of unlocked RWMutex");
  for (int32_t i = 0; i < r; i++) sched::semrelease(&readerSem_, false);
  w_.Unlock();
}

// ---------------------------------------------------------------------------
// WaitGroup

void WaitGroup::Add(int delta) {
  syncSafepoint();
  uint64_t state = state_.fetch_add(static_cast<uint64_t>(static_cast<int64_t>(delta)) << 32,
                                    std::memory_order_acq_rel) +
                   (static_cast<uint64_t>(static_cast<int64_t>(delta)) << 32);
  auto v = static_cast<int32_t>(state >> 32);
  auto w = static_cast<uint32_t>(state);
  if (v < 0) panic("sync: negative WaitGroup counter");
  if (w != 0 && delta > 0 && v == delta) panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  if (v > 0 || w == 0) return;
  // Counter at zero with waiters: nobody may change the state now but us.
  if (state_.load(std::memory_order_acquire) != state) {
    panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  }
  state_.store(0, std::memory_order_release);
  for (; w != 0; w--) sched::semrelease(&sema_, false);
}

void WaitGroup::Wait() {
  syncSafepoint();
  for (;;) {
    uint64_t state = state_.load(std::memory_order_acquire);
    if (static_cast<int32_t>(state >> 32) == 0) return;
    if (state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) {
      sched::semacquire(&sema_, false);
      if (state_.load(std::memory_order_acquire) != 0) {
        panic("sync: WaitGroup is reused before previous Wait has returned");
      }
      return;
    }
  }
}

}  // namespace gort
