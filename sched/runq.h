// Run queues: a P's local lock-free ring with its runnext slot, and the
// global queue. The algorithm is Go's (proc.go runqput, runqget, runqgrab,
// globrunqget): only the owning P writes to the tail, any P may take from
// the head with a CAS, and a thief takes half.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/g.h"
#include "sched/spinlock.h"

namespace gort::sched {

constexpr uint32_t kLocalRunqSize = 256;

class LocalRunq {
 public:
  // Puts g on the queue. With next, g takes the runnext slot and whatever was
  // there moves to the tail (newproc and ready do this, so the goroutine just
  // woken or created runs next and inherits the time slice). Returns false,
  // leaving the queue unchanged, when the ring is full: the caller moves half
  // of it to the global queue (runqputslow).
  // Inline: both run at every hand-off between goroutines.
  inline bool put(G* g, bool next, G** displaced);

  // Takes runnext first (inheritTime = true), else the head.
  inline G* get(bool* inheritTime);

  // Moves up to half of the ring into `batch` (at most 128). A thief may also
  // take runnext when the ring is empty.
  uint32_t grab(G** batch, bool stealRunNext);

  // Takes runnext if it still holds `expected` (a thief that waited to see
  // whether the owner would run it first).
  bool takeRunnext(G* expected) { return runnext_.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel); }

  // Removes half the ring plus g for the global queue; returns how many were
  // written into batch (g last). False if the ring changed meanwhile.
  bool takeHalfForGlobal(G* g, G** batch, uint32_t* n);

  // Appends from a batch (used by the thief after grab).
  void putBatch(G** batch, uint32_t n);

  // With a single P nobody steals, so the owner may take runnext with a
  // plain load and store instead of a CAS.
  void setNoThieves(bool v) { noThieves_ = v; }

  bool empty() const;
  uint32_t size() const;
  G* peekRunnext() const { return runnext_.load(std::memory_order_acquire); }

 private:
  std::atomic<uint32_t> head_{0};
  std::atomic<uint32_t> tail_{0};
  std::atomic<G*> ring_[kLocalRunqSize] = {};
  std::atomic<G*> runnext_{nullptr};
  bool noThieves_ = false;
};

inline bool LocalRunq::put(G* g, bool next, G** displaced) {
  *displaced = nullptr;
  if (next) {
    // Only the owner fills runnext; thieves only empty it. An empty slot
    // therefore stays empty until we store, and needs no atomic exchange.
    G* old = runnext_.load(std::memory_order_acquire);
    if (old == nullptr) {
      runnext_.store(g, std::memory_order_release);
      return true;
    }
    old = runnext_.exchange(g, std::memory_order_acq_rel);
    if (old == nullptr) return true;
    g = old;  // the previous runnext goes to the tail
  }
  uint32_t h = head_.load(std::memory_order_acquire);
  uint32_t t = tail_.load(std::memory_order_relaxed);
  if (t - h < kLocalRunqSize) {
    ring_[t % kLocalRunqSize].store(g, std::memory_order_relaxed);
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  *displaced = g;
  return false;
}

inline G* LocalRunq::get(bool* inheritTime) {
  G* next = runnext_.load(std::memory_order_acquire);
  if (next != nullptr && noThieves_) {
    runnext_.store(nullptr, std::memory_order_relaxed);
    *inheritTime = true;
    return next;
  }
  if (next != nullptr && runnext_.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) {
    *inheritTime = true;
    return next;
  }
  *inheritTime = false;
  for (;;) {
    uint32_t h = head_.load(std::memory_order_acquire);
    uint32_t t = tail_.load(std::memory_order_relaxed);
    if (t == h) return nullptr;
    G* g = ring_[h % kLocalRunqSize].load(std::memory_order_relaxed);
    if (head_.compare_exchange_weak(h, h + 1, std::memory_order_release, std::memory_order_relaxed)) return g;
  }
}

// The global run queue, a FIFO linked through G::schedlink.
class GlobalRunq {
 public:
  void put(G* g);
  void putBatch(G** gs, uint32_t n);
  G* pop();  // caller holds the lock
  uint32_t size() const { return size_.load(std::memory_order_relaxed); }
  // Held for a few pointer updates at a time, never across a block: a
  // SpinLock, which costs no locked instruction when one thread runs every
  // goroutine (every Gosched takes it twice).
  SpinLock& lock() { return mu_; }

 private:
  SpinLock mu_;
  G* head_ = nullptr;
  G* tail_ = nullptr;
  std::atomic<uint32_t> size_{0};
};

}  // namespace gort::sched
