#include "sched/context.h"

#include <boost/context/detail/fcontext.hpp>
#include <pthread.h>

#include <cstdlib>

#if defined(GORT_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(GORT_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace gort::sched {
namespace bctx = boost::context::detail;

namespace {

// The Itanium C++ ABI's per-thread exception state (section 2.2.2):
// __cxa_get_globals returns it.
struct EhGlobals {
  void* caughtExceptions;
  unsigned int uncaughtExceptions;
};
extern "C" EhGlobals* __cxa_get_globals() noexcept;

// The pointer is per thread and never changes; caching it saves a call
// through the PLT and __tls_get_addr on every switch. Only read at function
// entry, never across a switch, so a fiber moving threads sees its own.
thread_local EhGlobals* tEh = nullptr;
inline EhGlobals* ehGlobals() {
  EhGlobals* g = tEh;
  if (g == nullptr) g = tEh = __cxa_get_globals();
  return g;
}

inline void saveEh(Context* c) {
  EhGlobals* g = ehGlobals();
  c->ehCaught = g->caughtExceptions;
  c->ehUncaught = g->uncaughtExceptions;
}
inline void restoreEh(const Context* c) {
  EhGlobals* g = ehGlobals();
  g->caughtExceptions = c->ehCaught;
  g->uncaughtExceptions = c->ehUncaught;
}

// What travels across one switch. It lives on the source stack, which stays
// intact until `after` has run (even for a dying goroutine: the stack is only
// released inside `after`, after the fields were copied out).
struct Packet {
  Context* from;
  Context* to;
  AfterSwitch after;
  void* arg;
  bool dying;
};

struct EntryArgs {
  void (*entry)(void*);
  void* arg;
};

inline void sanitizerStartSwitch([[maybe_unused]] Context* from, [[maybe_unused]] Context* to,
                                 [[maybe_unused]] bool dying) {
#if defined(GORT_ASAN)
  __sanitizer_start_switch_fiber(dying ? nullptr : &from->asanFakeStack, to->stackLo, to->stackSize);
#endif
#if defined(GORT_TSAN)
  __tsan_switch_to_fiber(to->tsanFiber, 0);
#endif
}

inline void sanitizerFinishSwitch([[maybe_unused]] Context* to) {
#if defined(GORT_ASAN)
  __sanitizer_finish_switch_fiber(to->asanFakeStack, nullptr, nullptr);
#endif
}

// The context onTop() just arrived in, for a fresh stack's trampoline. A
// switch onto a fresh context through ontop_fcontext does not hand the
// trampoline a usable argument, so the trampoline finds its entry through
// this variable, set on the same thread an instant earlier.
thread_local Context* tArrived = nullptr;

bctx::transfer_t onTop(bctx::transfer_t t) {
  Packet* pk = static_cast<Packet*>(t.data);
  Context* from = pk->from;
  Context* to = pk->to;
  AfterSwitch after = pk->after;
  void* arg = pk->arg;
  from->fctx = pk->dying ? nullptr : t.fctx;
  sanitizerFinishSwitch(to);
  restoreEh(to);
  tArrived = to;
  if (after) after(from, arg);
  return {nullptr, nullptr};
}

EntryArgs* entryArgsOf(Context* ctx) {
  return reinterpret_cast<EntryArgs*>(static_cast<char*>(ctx->stackLo) + ctx->stackSize - 64);
}

// First code to run on a fresh stack, after onTop() has finished the switch
// that brought us here. The entry function never returns.
[[noreturn]] void trampoline(bctx::transfer_t) {
  EntryArgs* ea = entryArgsOf(tArrived);
  ea->entry(ea->arg);
  std::abort();  // entries leave through switchToForever
}

}  // namespace

void makeContext(Context* ctx, void* stackLo, size_t stackSize, void (*entry)(void*), void* arg) {
  // The entry arguments live in the top 64 bytes of the stack itself, so a
  // goroutine start needs no allocation.
  char* top = static_cast<char*>(stackLo) + stackSize;
  ctx->stackLo = stackLo;
  ctx->stackSize = stackSize;
  ctx->asanFakeStack = nullptr;
  ctx->ehCaught = nullptr;
  ctx->ehUncaught = 0;
  EntryArgs* ea = entryArgsOf(ctx);
  ea->entry = entry;
  ea->arg = arg;
  ctx->fctx = bctx::make_fcontext(top - 64, stackSize - 64, trampoline);
#if defined(GORT_TSAN)
  if (ctx->tsanFiber == nullptr) {
    ctx->tsanFiber = __tsan_create_fiber(0);
    ctx->tsanOwnsFiber = true;
  }
#endif
}

void adoptThreadContext(Context* ctx) {
  pthread_attr_t attr;
  void* lo = nullptr;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &lo, &size);
    pthread_attr_destroy(&attr);
  }
  ctx->fctx = nullptr;
  ctx->stackLo = lo;
  ctx->stackSize = size;
  ctx->asanFakeStack = nullptr;
#if defined(GORT_TSAN)
  ctx->tsanFiber = __tsan_get_current_fiber();
  ctx->tsanOwnsFiber = false;
#endif
}

namespace {
inline void doSwitch(Context* self, Context* to, AfterSwitch after, void* arg, bool dying) {
  Packet pk{self, to, after, arg, dying};
  saveEh(self);
  void* target = to->fctx;
  to->fctx = nullptr;
  sanitizerStartSwitch(self, to, dying);
  bctx::ontop_fcontext(target, &pk, onTop);
}
}  // namespace

void switchTo(Context* self, Context* to, AfterSwitch after, void* arg) {
  doSwitch(self, to, after, arg, false);
  // Back here means someone switched to us; their onTop already ran.
}

void switchToForever(Context* self, Context* to, AfterSwitch after, void* arg) {
  doSwitch(self, to, after, arg, true);
  std::abort();
}

void destroyContext([[maybe_unused]] Context* ctx) {
#if defined(GORT_TSAN)
  if (ctx->tsanOwnsFiber && ctx->tsanFiber != nullptr) {
    __tsan_destroy_fiber(ctx->tsanFiber);
  }
  ctx->tsanFiber = nullptr;
  ctx->tsanOwnsFiber = false;
#endif
}

bool suspendedFrame(const Context* ctx, uintptr_t* fp, uintptr_t* pc) {
#if defined(__x86_64__)
  // boost fcontext on x86-64 SysV saves, from the context pointer upwards:
  // mxcsr/x87 cw, r12, r13, r14, r15, rbx, rbp, return address.
  if (ctx->fctx == nullptr) return false;
  const uintptr_t* saved = static_cast<const uintptr_t*>(ctx->fctx);
  *fp = saved[6];
  *pc = saved[7];
  return true;
#else
  (void)ctx;
  (void)fp;
  (void)pc;
  return false;
#endif
}

}  // namespace gort::sched
