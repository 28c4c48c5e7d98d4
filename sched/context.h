// Execution contexts and the one primitive that switches between them.
//
// A Context is somewhere a CPU can be resumed: a goroutine's fiber, an M's
// scheduler loop (g0), or the thread that called gort::run(). Every switch
// goes through switchTo(), built on Boost.Context's ontop_fcontext: the
// `after` callback runs on the *destination* stack, after the source's
// registers are saved. That ordering is the whole point. A goroutine that
// parks must not be visible to other threads as "waiting" until its context
// is saved, or another M could resume a half-saved stack; Go solves this by
// switching to g0 first (mcall) and publishing the state there (park_m). The
// after-callback is our mcall: it publishes state and releases locks on the
// far side of the switch, so a parking goroutine can jump straight to the
// next one without a detour through g0.
//
// The sanitizer annotations also live here, so nothing else in the runtime
// needs to know that ASan and TSan must be told about stack switches.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::sched {

struct Context {
  void* fctx = nullptr;          // saved boost fcontext; null while running
  void* stackLo = nullptr;       // lowest usable address of the stack
  size_t stackSize = 0;          // usable bytes (guard page excluded)
  void* asanFakeStack = nullptr; // ASan's per-fiber fake stack
  void* tsanFiber = nullptr;     // TSan's fiber handle
  bool tsanOwnsFiber = false;    // created by us (destroy on release)
  // The C++ runtime keeps its exception-handling state (exceptions being
  // handled, the uncaught count) per thread. Each context keeps its own
  // copy, swapped in and out at every switch, so a goroutine may block
  // inside a catch block without corrupting another goroutine's.
  void* ehCaught = nullptr;
  unsigned ehUncaught = 0;
};

// Runs on the destination stack right after the switch. `from` now holds
// the saved context of the stack we left.
using AfterSwitch = void (*)(Context* from, void* arg);

// Makes `ctx` start at entry(arg) on [stackLo, stackLo+stackSize) when it is
// first switched to. The entry function must never return; it leaves by
// switching away for the last time (see switchToForever).
void makeContext(Context* ctx, void* stackLo, size_t stackSize, void (*entry)(void*), void* arg);

// Describes the current native thread stack (for g0 contexts on real threads
// and the root context).
void adoptThreadContext(Context* ctx);

// Saves the running context into `self`, resumes `to`, and returns when
// something later switches back to `self`. `after(self, arg)` runs first on
// the destination stack.
void switchTo(Context* self, Context* to, AfterSwitch after, void* arg);

// Like switchTo, for a context that will never be resumed (an exiting
// goroutine). `after` typically returns the dying stack to the pool; it runs
// on the destination stack so it is safe to free the one we left.
[[noreturn]] void switchToForever(Context* self, Context* to, AfterSwitch after, void* arg);

// Releases sanitizer bookkeeping of a context that will never run again.
void destroyContext(Context* ctx);

// The saved frame pointer and return address of a suspended context, for
// walking its stack in tracebacks. False when the platform layout is unknown.
bool suspendedFrame(const Context* ctx, uintptr_t* fp, uintptr_t* pc);

}  // namespace gort::sched
