// Back doors for tests of the collector (Go's export_test.go). Not for
// programs: these drive a cycle by hand so a test can script exactly when
// the marker looks at what.
//
//   beginCycle()           sweep termination; marking enabled, but no mark
//                          worker or assist runs: only the test marks
//   scanRoots(g)           scan one goroutine's roots now
//   scanGlobals()          the global roots
//   markStep(budget)       drain up to budget bytes of grey objects (-1: all)
//   finishCycle()          scan what is left, drain, mark termination
//   isMarked(obj)          is obj black or grey in the current cycle?
//   setWriteBarrier(on)    switch the barrier's effect off, to show what it
//                          prevents (verify mode must then catch the loss)
//   finalizerLock()        the finalizers' lock, for a test to hold the way
//                          a holder that cannot let go would
//
// Call them from a goroutine of a deterministic-mode run with GOMAXPROCS=1
// so nothing else runs in between.
#pragma once

#include <cstdint>

#include "sched/g.h"
#include "sched/spinlock.h"

namespace gort::gc::testing {

void beginCycle();
void scanRoots(sched::G* g);
void scanGlobals();
int64_t markStep(int64_t budget);
void finishCycle();
bool isMarked(const void* obj);
bool cycleActive();
void setWriteBarrier(bool effective);
uint32_t numGC();
// Objects live in the heap as the collector counts them (allocated minus freed).
uint64_t liveObjects();
// Runs the sweeper to completion.
void sweepAll();
sched::SpinLock& finalizerLock();

}  // namespace gort::gc::testing
