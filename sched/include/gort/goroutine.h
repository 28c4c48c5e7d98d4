// Goroutines: go, Gosched, Sleep, time.
//
//   gort::go([&] { ... });            // go func() { ... }()
//   gort::Gosched();                  // runtime.Gosched()
//   gort::Sleep(10ms);                // time.Sleep(10 * time.Millisecond)
//   gort::Time t = gort::Now();       // time.Now()
//
// Goroutine ids count from 1 (main is 1). In deterministic mode (the
// default) time is virtual: it stands still while goroutines run and jumps
// to the next deadline when all of them sleep or block, so Sleep(time.Hour)
// returns at once and runs reproduce exactly.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace gort {

using Duration = std::chrono::nanoseconds;

// A wall-clock instant, nanoseconds since the Unix epoch (time.Time).
struct Time {
  int64_t unixNano = 0;
  Duration Sub(Time earlier) const { return Duration(unixNano - earlier.unixNano); }
  int64_t UnixNano() const { return unixNano; }
};

Time Now();
Duration Since(Time t);
void Sleep(Duration d);
void Gosched();
int NumGoroutine();
int GOMAXPROCS();

namespace detail {
// Creation happens in two steps so that the callable is written straight
// into the new goroutine's storage: goBegin returns that storage (inline in
// the G when it fits), goCommit makes the goroutine runnable.
struct GoSlot {
  void* g;
  void* storage;
};
GoSlot goBegin(size_t size, size_t align);
void goCommit(GoSlot slot, void (*run)(void*), void (*destroy)(void*), uintptr_t creatorPc);
}  // namespace detail

// go f(): starts f (any callable taking no arguments) in a new goroutine.
template <class F>
[[gnu::noinline]] void go(F&& f) {
  using Fn = std::decay_t<F>;
  detail::GoSlot slot = detail::goBegin(sizeof(Fn), alignof(Fn));
  ::new (slot.storage) Fn(std::forward<F>(f));
  detail::goCommit(
      slot, [](void* p) { (*static_cast<Fn*>(p))(); }, [](void* p) { static_cast<Fn*>(p)->~Fn(); },
      reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
}

}  // namespace gort
