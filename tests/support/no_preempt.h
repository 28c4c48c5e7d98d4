// NoPreempt: holds the running goroutine on its virtual M while a test
// scripts a collector cycle step by step (deterministic mode), so no time
// slice ends in between. Reaches into sched's G, hence not in gort_test.h.
#pragma once

#include "sched/g.h"
#include "sched/sched.h"

namespace gort::testing {

class NoPreempt {
 public:
  NoPreempt() : g_(sched::getg()), saved_(g_->lockedDet) { g_->lockedDet = true; }
  ~NoPreempt() { g_->lockedDet = saved_; }
  NoPreempt(const NoPreempt&) = delete;
  NoPreempt& operator=(const NoPreempt&) = delete;

 private:
  sched::G* g_;
  bool saved_;
};

}  // namespace gort::testing
