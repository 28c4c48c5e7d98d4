// Starting the runtime.
//
//   int main() {
//     return gort::run([] {
//       ... the body of Go's func main() ...
//     });
//   }
//
// run() runs main as goroutine 1 and returns the exit status Go would give:
// 0 when main returns (other goroutines are stopped, as in Go), 2 after an
// unrecovered panic or a fatal error, which are printed to stderr the way
// Go prints them. Without Options::capture, a failure ends the process at
// once (exit status 2), as in Go.
//
// Each option is taken from the code when set there, else from the
// environment, else Go's default:
//   gomaxprocs   GOMAXPROCS      number of CPUs
//   mode         GORT_MODE       deterministic (one OS thread, seeded
//                                schedule) or parallel (GOMAXPROCS threads)
//   seed         GORT_SEED       random; printed when a run fails
//   godebug      GODEBUG         comma-separated key=value, Go's keys
//   stack_size   GORT_STACK_SIZE 256 KiB per goroutine (fixed, not growing)
//   traceback    GOTRACEBACK     single (none, single, all, system)
//   gogc         GOGC            100 ("off" disables the collector)
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "gort/failure.h"

namespace gort {

enum class Mode { Deterministic, Parallel };

struct Options {
  int gomaxprocs = 0;
  std::optional<Mode> mode;
  std::optional<uint64_t> seed;
  std::optional<std::string> godebug;
  size_t stack_size = 0;
  std::optional<std::string> traceback;
  std::optional<std::string> gogc;
  // When set, a panic or fatal error ends the run instead of the process:
  // run() fills *capture and returns 2.
  Failure* capture = nullptr;
};

int run(const Options& options, std::function<void()> main);
inline int run(std::function<void()> main) { return run(Options{}, std::move(main)); }

}  // namespace gort
