// Verify mode (GODEBUG=gcverify=1, gort's own key): the checks that catch
// what the C++ compiler cannot.
//
//   - every Ptr<T> lives inside a GC object (or a Local/Global), in a type
//     that declares a trace method;
//   - a Local<T> is used only by its own goroutine and does not outlive it;
//   - at mark termination, no black object points to a white one and every
//     object reachable from the roots is marked (the tri-color invariant);
//   - freed objects are poisoned and kept for a cycle, so a stale reference
//     is reported ("marking free object") instead of reading reused memory;
//   - object headers are checked whenever an object is marked.
// Each failure is a fatal error naming the mistake.
#pragma once

#include <string>

#include "gc/object.h"
#include "sched/g.h"

namespace gort::gc {

[[noreturn]] void verifyFail(const std::string& msg);
void verifyHeader(ObjHeader* h, const void* obj);
void verifyHeap();
void verifyGoroutineExit(sched::G* g);
void quarantine(ObjHeader* h);
// At the start of a cycle: objects freed two cycles ago are really freed.
void releaseQuarantine();
void freeQuarantineAll();

}  // namespace gort::gc
