// What a run ended with, for programs and tests that ask gort::run() to
// return failures instead of exiting the process (Options::capture).
#pragma once

#include <cstdint>
#include <string>

namespace gort {

enum class FailureKind {
  None,
  Panic,  // an unrecovered panic: Go prints "panic: ..." and exits 2
  Fatal,  // a fatal error (Go's throw/fatal): "fatal error: ...", exit 2
};

struct Failure {
  FailureKind kind = FailureKind::None;
  std::string message;  // e.g. "concurrent map writes", "all goroutines are asleep - deadlock!"
  int64_t goid = 0;     // the goroutine that failed; 0 when none did (a deadlock)
  std::string report;   // everything Go would have printed to stderr
  uint64_t seed = 0;    // the deterministic-mode seed that replays the run

  explicit operator bool() const { return kind != FailureKind::None; }
};

}  // namespace gort
