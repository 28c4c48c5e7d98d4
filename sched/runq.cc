#include "sched/runq.h"

namespace gort::sched {

namespace {
constexpr auto kAcq = std::memory_order_acquire;
constexpr auto kRel = std::memory_order_release;
constexpr auto kRlx = std::memory_order_relaxed;
constexpr auto kAcqRel = std::memory_order_acq_rel;
}  // namespace

uint32_t LocalRunq::grab(G** batch, bool stealRunNext) {
  for (;;) {
    uint32_t h = head_.load(kAcq);
    uint32_t t = tail_.load(kAcq);
    uint32_t n = t - h;
    n = n - n / 2;
    if (n == 0) {
      if (stealRunNext) {
        G* next = runnext_.load(kAcq);
        if (next != nullptr && runnext_.compare_exchange_strong(next, nullptr, kAcqRel)) {
          batch[0] = next;
          return 1;
        }
      }
      return 0;
    }
    if (n > kLocalRunqSize / 2) continue;  // read an inconsistent h and t
    for (uint32_t i = 0; i < n; i++) batch[i] = ring_[(h + i) % kLocalRunqSize].load(kRlx);
    if (head_.compare_exchange_weak(h, h + n, kRel, kRlx)) return n;
  }
}

bool LocalRunq::takeHalfForGlobal(G* g, G** batch, uint32_t* n) {
  uint32_t h = head_.load(kAcq);
  uint32_t t = tail_.load(kRlx);
  uint32_t half = (t - h) / 2;
  if (half != kLocalRunqSize / 2) return false;
  for (uint32_t i = 0; i < half; i++) batch[i] = ring_[(h + i) % kLocalRunqSize].load(kRlx);
  if (!head_.compare_exchange_strong(h, h + half, kRel, kRlx)) return false;
  batch[half] = g;
  *n = half + 1;
  return true;
}

void LocalRunq::putBatch(G** batch, uint32_t n) {
  uint32_t t = tail_.load(kRlx);
  for (uint32_t i = 0; i < n; i++) ring_[(t + i) % kLocalRunqSize].store(batch[i], kRlx);
  tail_.store(t + n, kRel);
}

bool LocalRunq::empty() const {
  return size() == 0 && runnext_.load(kAcq) == nullptr;
}

uint32_t LocalRunq::size() const {
  for (;;) {
    uint32_t h = head_.load(kAcq);
    uint32_t t = tail_.load(kAcq);
    if (head_.load(kAcq) == h) return t - h;
  }
}

void GlobalRunq::put(G* g) {
  g->schedlink = nullptr;
  if (tail_ != nullptr) {
    tail_->schedlink = g;
  } else {
    head_ = g;
  }
  tail_ = g;
  size_.fetch_add(1, kRlx);
}

void GlobalRunq::putBatch(G** gs, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) put(gs[i]);
}

G* GlobalRunq::pop() {
  G* g = head_;
  if (g == nullptr) return nullptr;
  head_ = g->schedlink;
  if (head_ == nullptr) tail_ = nullptr;
  g->schedlink = nullptr;
  size_.fetch_sub(1, kRlx);
  return g;
}

}  // namespace gort::sched
