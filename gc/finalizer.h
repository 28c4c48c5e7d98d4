// Finalizers (runtime.SetFinalizer): a function to run once an object is
// unreachable.
//
// As in Go: while an object with a finalizer is registered, everything it
// references is kept alive (its fields are roots), but the object itself is
// not. When a cycle finds it unmarked, mark termination queues the
// finalizer, marks the object so it survives the sweep, and forgets the
// registration; the finalizer goroutine then calls fn(obj). The queued
// objects stay roots until the goroutine has run their whole batch. After
// that each is an ordinary object again: if fn did not store it anywhere,
// the next cycle frees it. A finalizer therefore runs at most once.
#pragma once

#include <functional>

#include "gc/state.h"

namespace gort::gc {

void setFinalizer(const void* obj, std::function<void(void*)> fn);  // empty fn: remove
void runFinalizerMarking(PState* ps);      // root job: referents of registered objects
void queueUnreachableFinalizers();         // mark termination (world stopped)
void scanFinalizerQueue(PState* ps);       // root job: queued objects
void wakeFinalizer();
void finalizerMain(void*);                 // the finalizer goroutine
// Every object verify mode must treat as reachable from finalizers.
void forEachFinalizerRoot(const std::function<void(const void*)>& fn);
void resetFinalizers();                    // end of run
size_t pendingFinalizers();
sched::SpinLock& finalizerLock();         // for gc::testing

}  // namespace gort::gc
