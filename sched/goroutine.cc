// The public goroutine API (gort/goroutine.h) over the scheduler.

#include "gort/goroutine.h"

#include <cstdlib>
#include <mutex>

#include "sched/fatal.h"
#include "sched/sched.h"

namespace gort {
namespace {

void requireRuntime(const char* what) {
  if (!sched::running() || sched::getm() == nullptr) {
    std::fprintf(stderr, "gort: %s called outside gort::run\n", what);
    std::abort();
  }
}

// Sleep's timer callback: the sleeper becomes runnable.
void wakeSleeper(void* arg) { sched::ready(static_cast<sched::G*>(arg), true); }

bool commitSleep(sched::G*, void*) {
  sched::gSched->timers.lock().unlock();
  return true;
}

}  // namespace

namespace detail {

GoSlot goBegin(size_t size, size_t align) {
  requireRuntime("gort::go");
  sched::G* g = sched::allocG();
  void* storage = g->closure;
  if (align > sched::kClosureHeapAlign) {
    sched::fatal("gort::go: callable alignment over 64 bytes is not supported");
  }
  if (size > sizeof g->closure || align > alignof(std::max_align_t)) {
    storage = ::operator new(size, std::align_val_t(sched::kClosureHeapAlign));
    g->closureOnHeap = true;
  }
  sched::setConstructingFor(g);
  return GoSlot{g, storage};
}

void goCommit(GoSlot slot, void (*run)(void*), void (*destroy)(void*), uintptr_t creatorPc) {
  auto* g = static_cast<sched::G*>(slot.g);
  sched::setConstructingFor(nullptr);
  g->fnRun = run;
  g->fnArg = slot.storage;
  g->fnDestroy = destroy;
  sched::startG(g, creatorPc, false);
  sched::yieldpoint();
}

}  // namespace detail

Time Now() {
  requireRuntime("gort::Now");
  return Time{sched::walltime()};
}

Duration Since(Time t) { return Now().Sub(t); }

void Sleep(Duration d) {
  requireRuntime("gort::Sleep");
  if (d.count() <= 0) {
    sched::yieldpoint();
    return;
  }
  sched::G* g = sched::getg();
  sched::Timer t;
  t.when = sched::nanotime() + d.count();
  t.fire = wakeSleeper;
  t.arg = g;
  sched::gSched->timers.lock().lock();
  sched::gSched->timers.add(t);
  sched::park(sched::WaitReason::Sleep, commitSleep, nullptr);
}

void Gosched() {
  requireRuntime("gort::Gosched");
  sched::safepoint();
  sched::gosched();
}

int NumGoroutine() {
  requireRuntime("gort::NumGoroutine");
  return static_cast<int>(sched::goroutineCount());
}

int GOMAXPROCS() {
  requireRuntime("gort::GOMAXPROCS");
  return sched::gSched->cfg.gomaxprocs;
}

}  // namespace gort
