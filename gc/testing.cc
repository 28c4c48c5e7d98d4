#include "gc/testing.h"

#include "gc/collector.h"
#include "gc/finalizer.h"

namespace gort {
namespace detail {
extern bool gBarrierDisabledForTest;
}
namespace gc::testing {

namespace {
bool gManual = false;
}

bool manualMarking() { return gManual; }

void beginCycle() {
  gManual = true;
  gcStart(true);
}

void scanRoots(sched::G* g) { scanGoroutine(g); }

void scanGlobals() {
  Collector* c = gCollector;
  // Claim the globals job (always the first of the list) if still unclaimed.
  size_t expected = 0;
  if (c->nextRoot.compare_exchange_strong(expected, 1)) {
    Visitor v([](Visitor*, const void* obj) { shade(obj); });
    forEachGlobal([&](detail::RootNode* n) { n->trace(n, v); });
    c->rootsLeft.fetch_sub(1);
  }
}

int64_t markStep(int64_t budget) {
  // Only grey objects already queued: root jobs stay for the test to run.
  PState* ps = pstate(sched::getp());
  size_t saved = gCollector->nextRoot.exchange(gCollector->roots.size());
  int64_t work = drain(ps, budget, 0);
  gCollector->nextRoot.store(saved);
  return work;
}

void finishCycle() {
  gManual = false;
  Collector* c = gCollector;
  PState* ps = pstate(sched::getp());
  while (c->blackenEnabled.load()) {
    drain(ps, -1, 0);
    flushWorkBuf(ps);
    gcMarkDone();
  }
}

bool isMarked(const void* obj) { return headerOf(obj)->mark.load() == gCollector->epoch.load(); }
bool cycleActive() { return gCollector->phase.load() != kGCoff; }
void setWriteBarrier(bool effective) { detail::gBarrierDisabledForTest = !effective; }
uint32_t numGC() { return gCollector->numGC; }

uint64_t liveObjects() {
  uint64_t m = 0;
  for (sched::P* p : sched::gSched->allp) m += pstate(p)->mallocs;
  return m - gCollector->frees.load();
}

void sweepAll() {
  while (sweepOne()) {
  }
}

sched::SpinLock& finalizerLock() { return gc::finalizerLock(); }

}  // namespace gc::testing
}  // namespace gort
