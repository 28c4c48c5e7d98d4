// Watchdog: ends the test process when a scope runs past a time limit.
//
// For tests whose failure is a hang (a goroutine spinning for good, a run
// that never exits): they then fail within the limit, naming what hung
// (with its seed), instead of sitting until CTest's timeout kills the
// binary without a word.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace gort::testing {

class Watchdog {
 public:
  Watchdog(std::string what, std::chrono::seconds limit)
      : thread_([this, what = std::move(what), limit] {
          std::unique_lock<std::mutex> lk(mu_);
          if (cv_.wait_for(lk, limit, [this] { return done_; })) return;
          std::fprintf(stderr, "watchdog: %s still running after %lld s: it hangs\n", what.c_str(),
                       static_cast<long long>(limit.count()));
          std::fflush(stderr);
          std::_Exit(1);
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

}  // namespace gort::testing
