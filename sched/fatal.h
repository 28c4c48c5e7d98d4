// Fatal errors and unrecovered panics: how a run ends badly.
//
// Go distinguishes fatal() (a user error the runtime detects: concurrent map
// writes, unlock of an unlocked mutex, deadlock) from throw() (a runtime
// invariant broken). Both print `fatal error: <msg>`, the tracebacks of all
// goroutines, and exit with status 2; neither can be recovered, and deferred
// calls do not run. throw also shows runtime frames. An unrecovered panic
// prints `panic: <value>` and its own goroutine's traceback, also status 2.
//
// In deterministic mode one more line follows Go's output:
//   gort: GORT_SEED=<n> replays this run
// With Config::capture the run ends instead and the failure is returned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gort/failure.h"
#include "gort/panic.h"
#include "sched/g.h"

namespace gort::sched {

[[noreturn]] void fatal(const std::string& msg);
[[noreturn]] void throwError(const std::string& msg);
[[noreturn]] void fatalPanic(G* g, const Panic& p);

// A C++ exception that no gort::func turned into a panic escaped a
// goroutine: report it as Go reports an unrecovered panic, with the stack
// of the throw (std::terminate runs before any unwinding).
void installTerminateHandler();

// For the signal handler: a fatal error whose current-goroutine stack was
// taken from the faulting context. `preamble` is printed before the
// "fatal error:" line (Go's "runtime: goroutine stack exceeds ..." lines);
// `headline` replaces "fatal error: msg" when set (Go's nil-dereference
// panic text).
[[noreturn]] void fatalFromSignal(const std::string& preamble, const std::string& headline,
                                  FailureKind kind, const std::string& msg,
                                  const std::vector<uintptr_t>& stack);

}  // namespace gort::sched
