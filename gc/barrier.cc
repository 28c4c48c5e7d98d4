// The write barrier: Go's hybrid barrier (proposal 17503, "Eliminate STW
// stack re-scanning"), a Yuasa-style deletion barrier combined with a
// Dijkstra-style insertion barrier.
//
// While the collector marks, every store of a pointer into the heap or a
// global, `*slot = ptr`, first shades the pointer being overwritten and the
// one being written. Go's proposal states the insertion half as "shade ptr if
// the current stack is grey"; Go's implementation shades both
// unconditionally (its buffered barrier records old and new), and so do we.
// Stores into stack variables (gort::Local) have no barrier, as in Go.
//
// Why both halves, and why this lets every goroutine's roots be scanned just
// once per cycle: a mutator can hide a white object from the marker only by
// (1) copying its only reference from an unscanned heap object onto an
// already scanned stack and (2) then erasing the heap reference. The
// deletion half shades the object at (2). The insertion half covers the
// mirror case, a reference taken from a stack not yet scanned and stored
// into a black object. With both, no black object and no scanned stack ever
// holds the only reference to a white object that stays reachable, so mark
// termination has no stacks to rescan (Go 1.7 had to rescan them all, with
// the world stopped).
//
// The fast path, inline in Ptr<T>::set, is one relaxed load of
// gWriteBarrier (Go's writeBarrier.enabled).

#include "gc/collector.h"
#include "gc/verify.h"
#include "sched/fatal.h"

namespace gort {
namespace detail {

// Switched off only by tests that demonstrate what the barrier prevents
// (gort/testing.h); verify mode must then catch the lost object.
bool gBarrierDisabledForTest = false;

void writeBarrierSlow(const void* oldObj, const void* newObj) {
  if (gBarrierDisabledForTest) return;
  if (!sched::running() || sched::getp() == nullptr) {
    sched::fatal("gort: GC pointer stored outside gort::run while the collector marks");
  }
  if (oldObj != nullptr) gc::shade(oldObj);
  if (newObj != nullptr) gc::shade(newObj);
}

void bulkBarrierSlow(const void* p, const TypeInfo* t, size_t count) {
  if (gBarrierDisabledForTest) return;
  Visitor v([](Visitor*, const void* obj) { gc::shade(obj); });
  auto* base = static_cast<const char*>(p);
  for (size_t i = 0; i < count; i++) t->trace(base + i * t->size, v);
}

}  // namespace detail
}  // namespace gort
