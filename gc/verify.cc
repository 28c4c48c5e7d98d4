#include "gc/verify.h"

#include <cstdio>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "gc/collector.h"
#include "gc/finalizer.h"
#include "sched/fatal.h"

namespace gort {
namespace detail {

void verifyPtrPlacement(const void* field) {
  sched::G* g = sched::running() ? sched::rootOwner() : nullptr;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", field);
  if (g == nullptr) {
    gc::verifyFail(std::string("Ptr<T> at ") + buf + " created outside a goroutine: it is in no GC object");
  }
  gc::GState* gs = gc::gstate(g);
  auto a = reinterpret_cast<uintptr_t>(field);
  auto lo = reinterpret_cast<uintptr_t>(gs->constructLo);
  if (gs->constructLo == nullptr || a < lo || a >= lo + gs->constructSize) {
    gc::verifyFail(std::string("Ptr<T> at ") + buf +
                   " is not inside a GC object: heap fields belong in objects made by gort::New "
                   "(hold references in variables as gort::Local<T>)");
  }
  if (gs->constructType != nullptr && gs->constructType->noscan) {
    gc::verifyFail(std::string("type ") + gs->constructType->name +
                   " holds a Ptr but declares no trace method: the collector would never see it");
  }
}

void verifyLocalAccess(const void* owner) {
  sched::G* g = sched::running() ? sched::getg() : nullptr;
  if (owner == g) return;
  auto* o = static_cast<const sched::G*>(owner);
  std::string who = g != nullptr ? "goroutine " + std::to_string(g->goid) : "code outside any goroutine";
  std::string whose = o != nullptr ? "goroutine " + std::to_string(o->goid) : "no goroutine";
  gc::verifyFail("Local<T> of " + whose + " used by " + who +
                 ": a Local roots one goroutine's variable; share objects through heap fields, Globals or channels");
}

}  // namespace detail

namespace gc {

const TypeInfo kFreedType{"<freed object>", 0, 1, true, nullptr, nullptr, kTypeMagic};

namespace {
sched::SpinLock gQuarantineLock;
std::vector<ObjHeader*> gQuarantine;  // freed this cycle
std::vector<ObjHeader*> gOlder;       // freed last cycle

std::string describe(const void* obj) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%p", obj);
  ObjHeader* h = headerOf(obj);
  return std::string(buf) + " (" + h->type->name + ")";
}
}  // namespace

void verifyFail(const std::string& msg) { sched::fatal("gcverify: " + msg); }

void verifyHeader(ObjHeader* h, const void* obj) {
  if (h->type == &kFreedType) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%p", obj);
    sched::fatal(std::string("marking free object ") + buf + ": a reference outlived the object the collector freed");
  }
  if (h->type == nullptr || h->type->magic != kTypeMagic) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%p", obj);
    sched::fatal(std::string("found bad pointer in Go heap ") + buf + ": not a GC object (header corrupt)");
  }
}

void quarantine(ObjHeader* h) {
  std::memset(h->payload(), 0xdf, h->payloadSize());
  h->type = &kFreedType;
  h->mark.store(0, std::memory_order_relaxed);
  std::lock_guard<sched::SpinLock> lk(gQuarantineLock);
  gQuarantine.push_back(h);
}

void releaseQuarantine() {
  std::lock_guard<sched::SpinLock> lk(gQuarantineLock);
  for (ObjHeader* h : gOlder) {
    tsanFreeing(h);
    mi_free(h);
  }
  gOlder.swap(gQuarantine);
  gQuarantine.clear();
}

void freeQuarantineAll() {
  std::lock_guard<sched::SpinLock> lk(gQuarantineLock);
  for (ObjHeader* h : gOlder) mi_free(h);
  for (ObjHeader* h : gQuarantine) mi_free(h);
  gOlder.clear();
  gQuarantine.clear();
}

void verifyGoroutineExit(sched::G* g) {
  GState* gs = gstate(g);
  if (gs->roots.next == nullptr) return;
  if (detail::gVerify) {
    verifyFail("Local<T> outlives goroutine " + std::to_string(g->goid) +
               ": it was stored where the goroutine's stack does not reach (a static, a heap container); "
               "use gort::Global<T>");
  }
  // Without verify mode, such Locals just stop rooting anything.
  for (detail::RootNode* n = gs->roots.next; n != nullptr;) {
    detail::RootNode* next = n->next;
    n->owner = nullptr;
    n->prev = n->next = nullptr;
    n = next;
  }
  gs->roots.next = nullptr;
}

namespace {

// The tri-color check: every child of a marked object is marked.
thread_local const void* tParent = nullptr;
void checkChild(Visitor*, const void* obj) {
  ObjHeader* h = headerOf(obj);
  verifyHeader(h, obj);
  if (h->mark.load() != gCollector->epoch.load()) {
    verifyFail("black object " + describe(tParent) + " points to white object " + describe(obj) +
               ": the tri-color invariant is broken (a store missed the write barrier)");
  }
}

void forEachObject(const std::function<void(ObjHeader*)>& fn) {
  Collector* c = gCollector;
  for (AllocChunk* ch = c->swept; ch != nullptr; ch = ch->next) {
    for (uint32_t i = 0; i < ch->n; i++) fn(ch->objs[i]);
  }
  for (AllocChunk* ch = c->unswept; ch != nullptr; ch = ch->next) {
    for (uint32_t i = 0; i < ch->n; i++) fn(ch->objs[i]);
  }
  for (sched::P* p : sched::gSched->allp) {
    AllocChunk* ch = pstate(p)->chunk;
    for (uint32_t i = 0; i < ch->n; i++) fn(ch->objs[i]);
  }
}

void traceAll(ObjHeader* h, Visitor& v) {
  if (h->type->noscan) return;
  auto* base = static_cast<const char*>(h->payload());
  for (uint32_t i = 0; i < h->elems(); i++) h->type->trace(base + i * h->type->size, v);
}

// Reachability, recomputed from scratch.
std::unordered_set<const void*>* tSeen = nullptr;
std::vector<const void*>* tStack = nullptr;
void reach(Visitor*, const void* obj) {
  if (tSeen->insert(obj).second) tStack->push_back(obj);
}

}  // namespace

void verifyHeap() {
  Collector* c = gCollector;
  uint32_t e = c->epoch.load();
  Visitor check(checkChild);
  forEachObject([&](ObjHeader* h) {
    if (h->mark.load() != e) return;
    tParent = h->payload();
    traceAll(h, check);
  });

  std::unordered_set<const void*> seen;
  std::vector<const void*> stack;
  tSeen = &seen;
  tStack = &stack;
  Visitor v(reach);
  forEachGlobal([&](detail::RootNode* n) { n->trace(n, v); });
  sched::forEachG([&](sched::G* g) {
    for (detail::RootNode* n = gstate(g)->roots.next; n != nullptr; n = n->next) n->trace(n, v);
  });
  forEachFinalizerRoot([&](const void* obj) { reach(&v, obj); });
  while (!stack.empty()) {
    const void* obj = stack.back();
    stack.pop_back();
    ObjHeader* h = headerOf(obj);
    verifyHeader(h, obj);
    if (h->mark.load() != e) {
      verifyFail("object " + describe(obj) + " is reachable from the roots but was not marked");
    }
    traceAll(h, v);
  }
  tSeen = nullptr;
  tStack = nullptr;
}

}  // namespace gc
}  // namespace gort
