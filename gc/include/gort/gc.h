// The collector's public face: runtime.GC, runtime.ReadMemStats,
// debug.SetGCPercent, runtime.SetFinalizer, runtime.KeepAlive.
//
//   gort::GC();                                   // runtime.GC()
//   gort::MemStats ms; gort::ReadMemStats(&ms);   // runtime.ReadMemStats(&ms)
//   int old = gort::debug::SetGCPercent(50);      // debug.SetGCPercent(50)
//   gort::SetFinalizer(obj, [](gort::Local<T> o) { ... });
//   gort::KeepAlive(obj);
//
// GOGC and GODEBUG=gctrace=1, gcstoptheworld=1|2 are read as Go reads them.
// gort adds two GODEBUG keys of its own: gcverify=1 (check the heap and the
// use of Ptr/Local at every cycle; see gc/verify.h) and gcstress=N (a cycle
// every N allocations).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <type_traits>

#include "gort/heap.h"

namespace gort {

// runtime.GC(): runs a full cycle and waits for it, sweep included. Runs
// even with GOGC=off.
void GC();

struct MemStats {
  // --- Go's fields, with Go's meanings (runtime/mstats.go). Byte counts of
  // heap objects are what Go would report: sizes rounded to Go's size
  // classes, large objects to 8 KiB pages.
  uint64_t Alloc = 0;          // = HeapAlloc
  uint64_t TotalAlloc = 0;     // cumulative bytes allocated
  uint64_t Sys = 0;            // HeapSys + StackSys + GCSys + OtherSys
  uint64_t Lookups = 0;        // always 0, as in Go
  uint64_t Mallocs = 0;
  uint64_t Frees = 0;
  uint64_t HeapAlloc = 0;      // live objects plus those not yet swept
  uint64_t HeapSys = 0;        // gort: what mimalloc has committed for GC objects (at least HeapInuse)
  uint64_t HeapIdle = 0;       // HeapSys - HeapInuse
  uint64_t HeapInuse = 0;      // gort: = HeapAlloc (no spans to round to)
  uint64_t HeapReleased = 0;   // gort: 0 (mimalloc decommits on its own)
  uint64_t HeapObjects = 0;    // Mallocs - Frees
  uint64_t StackInuse = 0;     // goroutine stacks in use (fixed-size in gort)
  uint64_t StackSys = 0;
  uint64_t MSpanInuse = 0, MSpanSys = 0, MCacheInuse = 0, MCacheSys = 0, BuckHashSys = 0;
  uint64_t GCSys = 0;          // gort: allocation logs and mark buffers
  uint64_t OtherSys = 0;
  uint64_t NextGC = 0;         // the heap goal
  uint64_t LastGC = 0;         // end of the last cycle, ns since the Unix epoch
  uint64_t PauseTotalNs = 0;
  uint64_t PauseNs[256] = {};  // most recent: PauseNs[(NumGC+255)%256]
  uint64_t PauseEnd[256] = {};
  uint32_t NumGC = 0;
  uint32_t NumForcedGC = 0;
  double GCCPUFraction = 0;
  bool EnableGC = true;
  bool DebugGC = false;
  struct SizeClassStats {
    uint32_t Size = 0;
    uint64_t Mallocs = 0;
    uint64_t Frees = 0;
  } BySize[61];

  // --- gort's own, labelled as such: what the process really uses, and
  // where the collector spent its time.
  struct Gort {
    uint64_t RealHeapAlloc = 0;    // bytes mimalloc handed out for live GC objects, headers included
    uint64_t RealTotalAlloc = 0;
    uint64_t HeaderBytes = 0;      // 16 per live object
    uint64_t ProcessRSS = 0;       // resident set size of the process
    uint64_t LastSweepTermPauseNs = 0;
    uint64_t LastMarkTermPauseNs = 0;
    uint64_t SweepTermPauseTotalNs = 0;
    uint64_t MarkTermPauseTotalNs = 0;
    uint64_t DedicatedMarkNs = 0;  // background worker time, all cycles
    uint64_t FractionalMarkNs = 0;
    uint64_t IdleMarkNs = 0;
    uint64_t AssistNs = 0;         // mark assist time, all goroutines
  } Gort;
};

// runtime.ReadMemStats: stops the world for a consistent snapshot.
void ReadMemStats(MemStats* m);

namespace debug {
// debug.SetGCPercent: sets GOGC, returns the previous value; a negative
// value disables the collector (and waits for a running mark to end). The
// new goal and trigger apply at once.
int SetGCPercent(int percent);
// Mark assist time of every live goroutine, by goroutine id (gort's).
std::map<int64_t, int64_t> AssistTimes();
}  // namespace debug

namespace detail {
void setFinalizer(const void* obj, std::function<void(void*)> fn);
}

// runtime.SetFinalizer(obj, fn): fn(obj) runs on the finalizer goroutine
// once obj is unreachable, at most once. fn takes a Local<T> (or T*).
// SetFinalizer(obj, nullptr) removes it.
template <class T, class F>
void SetFinalizer(const Local<T>& obj, F fn) {
  if constexpr (std::is_same_v<F, std::nullptr_t>) {
    detail::setFinalizer(obj.get(), {});
  } else {
    detail::setFinalizer(obj.get(), [fn = std::move(fn)](void* p) mutable {
      Local<T> l(static_cast<T*>(p));
      fn(l);
    });
  }
}

// runtime.KeepAlive: obj stays reachable at least until this call.
template <class T>
void KeepAlive(const Local<T>& obj) {
  const void* p = obj.get();
  asm volatile("" : : "r"(p) : "memory");
}

}  // namespace gort
