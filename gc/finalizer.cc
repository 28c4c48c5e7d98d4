#include "gc/finalizer.h"

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "gc/collector.h"
#include "sched/fatal.h"

namespace gort::gc {
namespace {

struct Queued {
  void* obj;
  std::function<void(void*)> fn;
};

// Guards the registry, the queue and the running batch. Sections under it
// must be short and run no user code: destroying a finalizer runs the
// destructors of what it captured, which may allocate (a safepoint), block,
// or set finalizers themselves; under the lock that self-deadlocks, or
// suspends the holder while others spin for it (forever in deterministic
// mode, on its one thread; forever at exit, once the holder has left). So
// finalizers are destroyed after the lock is released, and goroutines
// (setFinalizer, the finalizer goroutine) wait for it at safepoints, never
// in a bare spin.
sched::SpinLock gLock;
std::unordered_map<const void*, std::function<void(void*)>>* gRegistry = nullptr;
std::vector<Queued>* gQueue = nullptr;
// The batch the finalizer goroutine is running. Its objects are roots until
// the whole batch is done: those still waiting their turn must survive the
// cycles that run meanwhile. Only the finalizer goroutine changes it, under
// the lock; it reads it outside, as the root jobs do under it.
std::vector<Queued>* gRunning = nullptr;
// Set (under the lock) when the finalizer goroutine parks for want of work.
std::atomic<bool> gFinalizerParked{false};

void ensure() {
  if (gRegistry == nullptr) {
    gRegistry = new std::unordered_map<const void*, std::function<void(void*)>>();
    gQueue = new std::vector<Queued>();
    gRunning = new std::vector<Queued>();
  }
}

void traceFields(const void* obj, Visitor& v) {
  ObjHeader* h = headerOf(obj);
  if (h->type->noscan) return;
  auto* base = static_cast<const char*>(h->payload());
  for (uint32_t i = 0; i < h->elems(); i++) h->type->trace(base + i * h->type->size, v);
}

void markVisit(Visitor*, const void* obj) { shade(obj); }

}  // namespace

void finalizerMain(void*) {
  for (;;) {
    sched::lockAtSafepoints(gLock);
    ensure();
    if (gQueue->empty()) {
      gFinalizerParked.store(true, std::memory_order_relaxed);
      sched::park(
          sched::WaitReason::FinalizerWait,
          [](sched::G*, void*) {
            gLock.unlock();
            return true;
          },
          nullptr);
      continue;
    }
    gRunning->swap(*gQueue);
    gLock.unlock();
    for (Queued& q : *gRunning) q.fn(q.obj);
    std::vector<Queued> done;  // destroyed after the unlock: the finalizers' captures
    sched::lockAtSafepoints(gLock);
    done.swap(*gRunning);
    gLock.unlock();
  }
}

void setFinalizer(const void* obj, std::function<void(void*)> fn) {
  Collector* c = gCollector;
  bool start = false;
  std::function<void(void*)> replaced;  // destroyed last, outside the lock
  sched::lockAtSafepoints(gLock);
  {
    std::lock_guard<sched::SpinLock> lk(gLock, std::adopt_lock);
    ensure();
    auto it = gRegistry->find(obj);
    if (it != gRegistry->end()) replaced.swap(it->second);
    if (fn) {
      if (it != gRegistry->end()) {
        it->second = std::move(fn);
      } else {
        gRegistry->emplace(obj, std::move(fn));
      }
      start = c->finalizerG == nullptr;
    } else if (it != gRegistry->end()) {
      gRegistry->erase(it);
    }
  }
  if (start) startBackgroundGoroutines();
  // Registered during mark: its referents may not have been scanned; they
  // are reachable from it, so shade them now.
  if (c->phase.load() != kGCoff) {
    Visitor v(markVisit);
    traceFields(obj, v);
  }
}

void runFinalizerMarking(PState*) {
  Visitor v(markVisit);
  std::vector<const void*> objs;
  {
    std::lock_guard<sched::SpinLock> lk(gLock);
    if (gRegistry == nullptr) return;
    for (auto& [obj, fn] : *gRegistry) objs.push_back(obj);
  }
  for (const void* obj : objs) traceFields(obj, v);
}

void scanFinalizerQueue(PState*) {
  std::vector<const void*> objs;
  {
    std::lock_guard<sched::SpinLock> lk(gLock);
    if (gQueue == nullptr) return;
    for (Queued& q : *gQueue) objs.push_back(q.obj);
    for (Queued& q : *gRunning) objs.push_back(q.obj);
  }
  for (const void* obj : objs) shade(obj);
}

void queueUnreachableFinalizers() {
  Collector* c = gCollector;
  uint32_t e = c->epoch.load();
  std::lock_guard<sched::SpinLock> lk(gLock);
  if (gRegistry == nullptr) return;
  for (auto it = gRegistry->begin(); it != gRegistry->end();) {
    ObjHeader* h = headerOf(it->first);
    if (h->mark.load() == e) {
      ++it;
      continue;
    }
    void* obj = const_cast<void*>(it->first);
    gQueue->push_back(Queued{obj, std::move(it->second)});
    it = gRegistry->erase(it);
    shade(obj);
  }
}

void wakeFinalizer() {
  Collector* c = gCollector;
  if (c->finalizerG == nullptr) return;
  // Not parked: the goroutine is busy and looks at the queue again before
  // it parks, so there is nothing to wake, and the collector's path stays
  // off the lock. The flag needs no lock here: it was set under the lock
  // before queueUnreachableFinalizers took it to queue, earlier in this
  // cycle's mark termination.
  if (!gFinalizerParked.load(std::memory_order_acquire)) return;
  bool wake = false;
  {
    std::lock_guard<sched::SpinLock> lk(gLock);
    if (gFinalizerParked.load(std::memory_order_relaxed) && gQueue != nullptr && !gQueue->empty()) {
      gFinalizerParked.store(false, std::memory_order_relaxed);
      wake = true;
    }
  }
  if (wake) sched::ready(c->finalizerG, false);
}

void forEachFinalizerRoot(const std::function<void(const void*)>& fn) {
  std::vector<const void*> registered;
  {
    std::lock_guard<sched::SpinLock> lk(gLock);
    if (gRegistry == nullptr) return;
    for (auto& [obj, f] : *gRegistry) registered.push_back(obj);
    for (Queued& q : *gQueue) fn(q.obj);
    for (Queued& q : *gRunning) fn(q.obj);
  }
  // A registered object's referents are roots; the object itself is not.
  thread_local const std::function<void(const void*)>* tFn = nullptr;
  tFn = &fn;
  Visitor v([](Visitor*, const void* child) { (*tFn)(child); });
  for (const void* obj : registered) traceFields(obj, v);
}

void resetFinalizers() {
  // Teardown runs alone: every M has stopped, and every goroutine has been
  // unwound or abandoned where it stood. One abandoned inside the lock (it
  // blocked in a destructor while being unwound) will never let go: take
  // the lock over instead of waiting, and leave it free for the next run.
  (void)gLock.try_lock();
  // Emptied under the lock, destroyed outside it (the finalizers' captures).
  std::unordered_map<const void*, std::function<void(void*)>> registry;
  std::vector<Queued> queue, running;
  std::lock_guard<sched::SpinLock> lk(gLock, std::adopt_lock);
  if (gRegistry != nullptr) registry.swap(*gRegistry);
  if (gQueue != nullptr) queue.swap(*gQueue);
  if (gRunning != nullptr) running.swap(*gRunning);  // a batch cut short by the exit
  gFinalizerParked.store(false, std::memory_order_relaxed);
}

sched::SpinLock& finalizerLock() { return gLock; }

size_t pendingFinalizers() {
  std::lock_guard<sched::SpinLock> lk(gLock);
  return gQueue == nullptr ? 0 : gQueue->size();
}

}  // namespace gort::gc
