#include "sched/fatal.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "sched/sched.h"
#include "sched/traceback.h"

namespace gort::sched {
namespace {

void writeAll(int fd, const std::string& s) {
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// Parallel mode: ask every other M to stop at its next safepoint so the
// stacks of the goroutines they run can be read, and wait a little for it
// (Go's freezetheworld). Deterministic mode needs nothing: the other virtual
// Ms are already suspended.
void freezeTheWorld() {
  if (deterministic()) return;
  gSched->gcwaiting.store(true);
  for (P* p : gSched->allp) p->attention.fetch_or(kAttnStop, std::memory_order_release);
  for (int i = 0; i < 5; i++) {
    bool all = true;
    for (P* p : gSched->allp) {
      if (p == getp()) continue;
      uint32_t s = p->status.load();
      if (s != kPidle && s != kPgcstop) all = false;
    }
    if (all) break;
    usleep(1000);
  }
}

std::string stackSection(const G* g, const char* status, const std::vector<uintptr_t>* stack, bool firstExact,
                         int level) {
  std::string out = goroutineHeader(g, status);
  if (stack != nullptr) {
    out += formatStack(*stack, firstExact, level);
  } else if (!g->frozenStack.empty()) {
    out += formatStack(g->frozenStack, false, level);
  } else {
    std::vector<uintptr_t> pcs;
    captureSuspendedStack(g, &pcs);
    if (pcs.empty() && (g->status() & ~kGscan) == kGrunning) {
      out += "\tgoroutine running on other thread; stack unavailable\n";
    } else {
      out += formatStack(pcs, false, level);
    }
  }
  out += formatCreatedBy(g, level);
  return out;
}

// The tracebacks after the headline: the current goroutine first, then
// (with all) every other live one in creation order, as tracebackothers.
std::string tracebacks(G* cur, const std::vector<uintptr_t>* curStack, bool firstExact, bool all, int level) {
  std::string out;
  if (level <= 0) return out;
  if (cur != nullptr) {
    out += "\n";
    out += stackSection(cur, "running", curStack, firstExact, level);
  }
  if (!all) return out;
  std::vector<G*> others;
  forEachG([&](G* g) {
    if (g == cur || (g->system && level < 2)) return;
    if ((g->status() & ~kGscan) == kGidle) return;
    others.push_back(g);
  });
  for (G* g : others) {
    const char* status = nullptr;
    // A goroutine stopped mid-run (another P's, suspended at a safepoint)
    // shows as runnable, the way Go shows goroutines it preempted to print
    // their stacks.
    if ((g->status() & ~kGscan) == kGrunning) {
      uintptr_t fp, pc;
      if (!g->frozenStack.empty() || suspendedFrame(&g->ctx, &fp, &pc)) status = "runnable";
    }
    out += "\n";
    out += stackSection(g, status, nullptr, false, level);
  }
  return out;
}

[[noreturn]] void finish(FailureKind kind, const std::string& msg, int64_t goid, const std::string& report) {
  const Config& cfg = gSched->cfg;
  if (!cfg.capture) {
    std::fflush(nullptr);  // what the program printed comes first, as with Go's unbuffered stdout
    writeAll(2, report);
    if (cfg.mode == Mode::Deterministic) {
      writeAll(2, "gort: GORT_SEED=" + std::to_string(cfg.seed) + " replays this run\n");
    }
    _exit(2);
  }
  if (cfg.failure != nullptr) {
    cfg.failure->kind = kind;
    cfg.failure->message = msg;
    cfg.failure->goid = goid;
    cfg.failure->report = report;
    cfg.failure->seed = cfg.seed;
  }
  exitRun(2);
}

// Only the first failure of a run is reported; a goroutine failing after it
// just stops.
[[noreturn]] void stopSecondFailure() {
  G* g = getg();
  if (g != nullptr) g->fnRun = nullptr;  // nothing to unwind at teardown
  for (;;) {
    if (gSched->exiting.load()) exitRun(2);
    if (g == nullptr) throw SchedulerExit{};
    park(WaitReason::Zero, nullptr, nullptr);
  }
}

bool claimFailure() {
  bool expected = false;
  return gSched->failing.compare_exchange_strong(expected, true);
}

[[noreturn]] void fatalImpl(const std::string& msg, bool runtimeThrow) {
  if (gSched == nullptr) {
    std::fflush(nullptr);
    writeAll(2, "fatal error: " + msg + "\n");
    _exit(2);
  }
  if (!claimFailure()) stopSecondFailure();
  freezeTheWorld();
  G* cur = getg();
  std::vector<uintptr_t> stack;
  captureCurrentStack(&stack, 2);
  int level = runtimeThrow ? 2 : gSched->cfg.traceback.level;
  if (gSched->cfg.traceback.level == 0) level = 0;
  std::string report = "fatal error: " + msg + "\n" + tracebacks(cur, &stack, false, true, level);
  finish(FailureKind::Fatal, msg, cur != nullptr ? cur->goid : 0, report);
}

}  // namespace

void fatal(const std::string& msg) { fatalImpl(msg, false); }
void throwError(const std::string& msg) { fatalImpl(msg, true); }

void fatalPanic(G* g, const Panic& p) {
  if (!claimFailure()) stopSecondFailure();
  const Traceback& tb = gSched->cfg.traceback;
  if (tb.all) freezeTheWorld();
  // Go's printpanics: the replaced panics first, each line then indented.
  std::string report;
  for (const std::string& earlier : p.replaced()) report += "panic: " + earlier + "\n\t";
  report += "panic: " + p.message();
  if (p.isRuntimeError() && p.message().find("nil pointer dereference") != std::string::npos) {
    report += "\n[signal SIGSEGV: segmentation violation]";
  }
  report += "\n" + tracebacks(g, &p.stack(), false, tb.all, tb.level);
  finish(FailureKind::Panic, p.message(), g->goid, report);
}

namespace {
std::terminate_handler gPrevTerminate = nullptr;

[[noreturn]] void onTerminate() {
  G* g = running() ? getg() : nullptr;
  std::exception_ptr e = std::current_exception();
  if (g == nullptr || e == nullptr) {
    if (gPrevTerminate != nullptr) gPrevTerminate();
    std::abort();
  }
  Panic p = detail::toPanic(e);
  p.captureStack();
  g->fnRun = nullptr;  // the exception is still in flight: never resume this stack
  fatalPanic(g, p);
}
}  // namespace

void installTerminateHandler() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  gPrevTerminate = std::set_terminate(onTerminate);
}

void fatalFromSignal(const std::string& preamble, const std::string& headline, FailureKind kind,
                     const std::string& msg, const std::vector<uintptr_t>& stack) {
  if (!claimFailure()) stopSecondFailure();
  freezeTheWorld();
  G* cur = getg();
  const Traceback& tb = gSched->cfg.traceback;
  bool all = kind == FailureKind::Fatal || tb.all;
  std::string head = headline.empty() ? "fatal error: " + msg : headline;
  std::string report = preamble + head + "\n" + tracebacks(cur, &stack, true, all, tb.level);
  if (cur != nullptr) cur->fnRun = nullptr;  // its stack cannot be unwound
  finish(kind, msg, cur != nullptr ? cur->goid : 0, report);
}

}  // namespace gort::sched
