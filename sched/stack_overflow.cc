#include "sched/stack_overflow.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sched/fatal.h"
#include "sched/sched.h"
#include "sched/traceback.h"

namespace gort::sched {
namespace {

constexpr size_t kAltStackSize = 256 * 1024;  // room to symbolize a traceback
thread_local void* tAltStack = nullptr;

struct sigaction gOldSegv;
struct sigaction gOldBus;
bool gInstalled = false;

void chainToPrevious(int sig, siginfo_t* si, void* uctx) {
  const struct sigaction& old = sig == SIGBUS ? gOldBus : gOldSegv;
  if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction != nullptr) {
    old.sa_sigaction(sig, si, uctx);
    return;
  }
  if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN && old.sa_handler != nullptr) {
    old.sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

std::string hex(uintptr_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(v));
  return buf;
}

void onFault(int sig, siginfo_t* si, void* uctx) {
  G* g = running() ? getg() : nullptr;
  if (g == nullptr || !g->started) {
    chainToPrevious(sig, si, uctx);
    return;
  }
  auto* uc = static_cast<ucontext_t*>(uctx);
#if defined(__x86_64__)
  uintptr_t pc = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  uintptr_t fp = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RBP]);
  uintptr_t sp = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
#else
  uintptr_t pc = 0, fp = 0, sp = 0;
  (void)uc;
#endif
  // We never return from this handler: let the next fault on this thread be
  // delivered too.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);

  std::vector<uintptr_t> stack;
  captureFromFrame(pc, fp, g->stack, &stack);
  auto lo = reinterpret_cast<uintptr_t>(g->stack.lo);
  bool overflow = g->stack.inGuard(si->si_addr) || (sp != 0 && sp < lo + 256 && sp + 4096 > lo - g->stack.guardSize);
  if (overflow) {
    std::string preamble = "runtime: goroutine stack exceeds " + std::to_string(g->stack.size) + "-byte limit\n" +
                           "runtime: sp=" + hex(sp) + " stack=[" + hex(lo) + ", " + hex(lo + g->stack.size) +
                           "]\n";
    fatalFromSignal(preamble, "", FailureKind::Fatal, "stack overflow", stack);
  }
  const char* name = sig == SIGBUS ? "SIGBUS: bus error" : "SIGSEGV: segmentation violation";
  std::string headline = std::string("panic: runtime error: invalid memory address or nil pointer dereference\n") +
                         "[signal " + name + " code=" + hex(static_cast<uintptr_t>(si->si_code)) +
                         " addr=" + hex(reinterpret_cast<uintptr_t>(si->si_addr)) + " pc=" + hex(pc) + "]";
  fatalFromSignal("", headline, FailureKind::Panic,
                  "runtime error: invalid memory address or nil pointer dereference", stack);
}

}  // namespace

void installStackOverflowHandler() {
  if (gInstalled) return;
  struct sigaction sa {};
  sa.sa_sigaction = onFault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &gOldSegv);
  sigaction(SIGBUS, &sa, &gOldBus);
  gInstalled = true;
}

void installAltStack() {
  if (tAltStack != nullptr) return;
  void* mem = mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  stack_t ss{};
  ss.ss_sp = mem;
  ss.ss_size = kAltStackSize;
  ss.ss_flags = 0;
  if (sigaltstack(&ss, nullptr) != 0) {
    munmap(mem, kAltStackSize);
    return;
  }
  tAltStack = mem;
}

void releaseAltStack() {
  if (tAltStack == nullptr) return;
  stack_t ss{};
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
  munmap(tAltStack, kAltStackSize);
  tAltStack = nullptr;
}

}  // namespace gort::sched
