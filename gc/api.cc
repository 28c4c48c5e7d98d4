// runtime.GC, ReadMemStats, debug.SetGCPercent, SetFinalizer.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "gc/collector.h"
#include "gc/finalizer.h"
#include "gort/gc.h"
#include "sched/fatal.h"

namespace gort {
namespace {

gc::Collector* requireCollector(const char* what) {
  if (gc::gCollector == nullptr || !sched::running() || sched::getg() == nullptr) {
    std::fprintf(stderr, "gort: %s called outside a goroutine of gort::run\n", what);
    std::abort();
  }
  return gc::gCollector;
}

uint64_t processRSS() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, rss = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &rss);
  std::fclose(f);
  return n == 2 ? rss * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

void GC() {
  gc::Collector* c = requireCollector("gort::GC");
  gc::startBackgroundGoroutines();
  // Wait for the cycle in progress to finish marking, start a new one (unless
  // someone else already did) and wait for its mark, as runtime.GC does.
  uint32_t n = c->cycles.load();
  if (c->phase.load() != gc::kGCoff) gc::waitForMark(n);
  while (c->cycles.load() <= n) {
    gc::gcStart(true);
    if (c->cycles.load() <= n) sched::gosched();
  }
  gc::waitForMark(n + 1);
  // Then sweep everything, ourselves, and wait for sweepers elsewhere. A
  // safepoint after every chunk: the next cycle's stop-the-world must not
  // wait for the whole heap to be swept.
  while (gc::sweepOne()) sched::safepoint();
  while (!gc::sweepDone() && c->marksDone.load() == n + 1) sched::gosched();
  sched::yieldpoint();
}

void ReadMemStats(MemStats* m) {
  gc::Collector* c = requireCollector("gort::ReadMemStats");
  sched::stopTheWorld("read mem stats");
  MemStats out;
  uint64_t mallocs = 0, totalAlloc = 0, realAlloc = 0;
  uint64_t bySize[gc::kNumSizeClasses] = {};
  for (sched::P* p : sched::gSched->allp) {
    gc::PState* ps = gc::pstate(p);
    mallocs += ps->mallocs;
    totalAlloc += ps->totalAlloc;
    realAlloc += ps->realAlloc;
    for (int i = 0; i < gc::kNumSizeClasses; i++) bySize[i] += ps->bySizeMallocs[i];
  }
  uint64_t frees = c->frees.load();
  uint64_t totalFree = c->totalFree.load();
  out.Mallocs = mallocs;
  out.Frees = frees;
  out.TotalAlloc = totalAlloc;
  out.HeapAlloc = totalAlloc - totalFree;
  out.Alloc = out.HeapAlloc;
  out.HeapObjects = mallocs - frees;
  out.HeapInuse = out.HeapAlloc;
  size_t elapsed = 0, user = 0, sys = 0, rss = 0, peakRss = 0, commit = 0, peakCommit = 0, faults = 0;
  mi_process_info(&elapsed, &user, &sys, &rss, &peakRss, &commit, &peakCommit, &faults);
  out.HeapSys = std::max<uint64_t>(out.HeapInuse, commit);
  out.HeapIdle = out.HeapSys - out.HeapInuse;
  int64_t stacks = 0;
  sched::forEachG([&](sched::G* g) {
    if (g->started) stacks += static_cast<int64_t>(g->stack.size);
  });
  out.StackInuse = static_cast<uint64_t>(stacks);
  out.StackSys = out.StackInuse;
  out.GCSys = 0;
  out.Sys = out.HeapSys + out.StackSys + out.GCSys + out.OtherSys;
  {
    std::lock_guard<sched::SpinLock> lk(c->pacerLock);
    out.NextGC = c->pacer.heapGoal();
  }
  out.LastGC = c->lastGC;
  out.PauseTotalNs = c->pauseTotalNs;
  std::copy(std::begin(c->pauseNs), std::end(c->pauseNs), out.PauseNs);
  std::copy(std::begin(c->pauseEnd), std::end(c->pauseEnd), out.PauseEnd);
  out.NumGC = c->numGC;
  out.NumForcedGC = c->numForcedGC;
  int64_t total = gc::realNow();
  int procs = c->procs;
  if (total > 0) out.GCCPUFraction = static_cast<double>(c->gcCpuNs) / (static_cast<double>(total) * procs);
  for (int i = 0; i < 61; i++) {
    out.BySize[i].Size = static_cast<uint32_t>(gc::classSize(i));
    // Class 0 is where sizeToClass puts large objects; Go counts those
    // apart and leaves BySize[0] empty.
    if (i == 0) continue;
    out.BySize[i].Mallocs = bySize[i];
    out.BySize[i].Frees = c->bySizeFrees[i].load();
  }
  out.Gort.RealTotalAlloc = realAlloc;
  out.Gort.RealHeapAlloc = realAlloc - c->realFree.load();
  out.Gort.HeaderBytes = out.HeapObjects * sizeof(gc::ObjHeader);
  out.Gort.ProcessRSS = processRSS();
  for (const gc::CycleRecord& r : c->history) {
    out.Gort.SweepTermPauseTotalNs += static_cast<uint64_t>(r.sweepTermNs);
    out.Gort.MarkTermPauseTotalNs += static_cast<uint64_t>(r.markTermNs);
    out.Gort.DedicatedMarkNs += static_cast<uint64_t>(r.dedicatedNs);
    out.Gort.FractionalMarkNs += static_cast<uint64_t>(r.fractionalNs);
    out.Gort.IdleMarkNs += static_cast<uint64_t>(r.idleNs);
    out.Gort.AssistNs += static_cast<uint64_t>(r.assistNs);
  }
  if (!c->history.empty()) {
    out.Gort.LastSweepTermPauseNs = static_cast<uint64_t>(c->history.back().sweepTermNs);
    out.Gort.LastMarkTermPauseNs = static_cast<uint64_t>(c->history.back().markTermNs);
  }
  sched::startTheWorld();
  *m = out;
}

namespace debug {

int SetGCPercent(int percent) {
  gc::Collector* c = requireCollector("gort::debug::SetGCPercent");
  int old;
  {
    std::lock_guard<sched::SpinLock> lk(c->pacerLock);
    old = c->pacer.setGCPercent(percent, gc::sweepDone());
    gc::publishPacer();
  }
  // A lower goal may already be behind us.
  if (percent >= 0 && c->phase.load() == gc::kGCoff &&
      c->heapLive.load() >= c->triggerBytes.load()) {
    gc::gcStart(false);
  }
  if (percent < 0 && c->phase.load() != gc::kGCoff) gc::waitForMark(c->cycles.load());
  return old;
}

std::map<int64_t, int64_t> AssistTimes() {
  requireCollector("gort::debug::AssistTimes");
  std::map<int64_t, int64_t> out;
  sched::forEachG([&](sched::G* g) {
    if (!g->system) out[g->goid] = gc::gstate(g)->assistNs;
  });
  return out;
}

}  // namespace debug

namespace detail {
void setFinalizer(const void* obj, std::function<void(void*)> fn) {
  requireCollector("gort::SetFinalizer");
  if (obj == nullptr) throwRuntimePanic("runtime.SetFinalizer: nil pointer", false);
  gc::setFinalizer(obj, std::move(fn));
}
}  // namespace detail

}  // namespace gort
