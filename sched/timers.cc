#include "sched/timers.h"

#include <algorithm>

namespace gort::sched {
namespace {
// Heap order: the earliest deadline on top, ties by insertion.
bool later(const Timer& a, const Timer& b) {
  return a.when != b.when ? a.when > b.when : a.seq > b.seq;
}
}  // namespace

void Timers::add(const Timer& t) {
  Timer x = t;
  x.seq = seq_++;
  heap_.push_back(x);
  std::push_heap(heap_.begin(), heap_.end(), later);
  next_.store(heap_.front().when, std::memory_order_release);
  count_.store(heap_.size(), std::memory_order_release);
}

void Timers::takeExpired(int64_t now, std::vector<Timer>* out) {
  std::lock_guard<SpinLock> lk(mu_);
  while (!heap_.empty() && heap_.front().when <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    out->push_back(heap_.back());
    heap_.pop_back();
  }
  next_.store(heap_.empty() ? INT64_MAX : heap_.front().when, std::memory_order_release);
  count_.store(heap_.size(), std::memory_order_release);
}

void Timers::clear() {
  std::lock_guard<SpinLock> lk(mu_);
  heap_.clear();
  next_.store(INT64_MAX, std::memory_order_release);
  count_.store(0, std::memory_order_release);
}

}  // namespace gort::sched
