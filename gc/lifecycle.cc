// The collector's life within a run, and its hooks into the scheduler.

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <vector>

#include "gc/finalizer.h"
#include "gc/run.h"
#include "gc/verify.h"
#include "sched/hooks.h"

namespace gort::gc {
namespace {

void freeBufList(WorkBuf* b) {
  while (b != nullptr) {
    WorkBuf* next = b->next;
    mi_free(b);
    b = next;
  }
}

// A run's end, in two passes over the logs: every destructor first (one may
// still read another object), then the memory.
void destroyObjects(AllocChunk* c) {
  for (; c != nullptr; c = c->next) {
    for (uint32_t i = 0; i < c->n; i++) {
      ObjHeader* h = c->objs[i];
      if (h->type->destroy != nullptr) h->type->destroy(h->payload());
    }
  }
}

void freeObjectsAndLogs(AllocChunk* c) {
  while (c != nullptr) {
    AllocChunk* next = c->next;
    for (uint32_t i = 0; i < c->n; i++) {
      tsanFreeing(c->objs[i]);
      mi_free(c->objs[i]);
    }
    freeChunk(c);
    c = next;
  }
}

class CollectorHooks : public sched::Hooks {
 public:
  void onPCreate(sched::P* p) override {
    auto* ps = new PState();
    ps->chunk = newChunk();
    *reinterpret_cast<PState**>(p->gcdata) = ps;
  }

  // A mimalloc heap belongs to the thread that made it: make it there.
  void onPStart(sched::P* p) override { pstate(p)->heap = mi_heap_new(); }

  void onPStop(sched::P* p) override {
    PState* ps = pstate(p);
    if (ps == nullptr) return;
    // The heap's objects are freed already (onShutdown), one by one. It is
    // deleted, not destroyed (mi_heap_destroy, which frees every block in
    // it): mimalloc 2.0 lets a heap that needs a fresh page take over the
    // abandoned segment of an exited thread, live blocks included (the Ms
    // of earlier runs exit holding some), whatever mi_heap_new's no_reclaim
    // says. mi_heap_delete hands such pages to this thread's own heap
    // instead. The owning thread does it, as mimalloc requires.
    mi_heap_delete(ps->heap);
    if (ps->wbuf != nullptr) mi_free(ps->wbuf);
    delete ps;
    *reinterpret_cast<PState**>(p->gcdata) = nullptr;
  }

  void onGCreate(sched::G* g) override { onGoroutineCreated(g); }
  void onGExit(sched::G* g) override { verifyGoroutineExit(g); }
  void onSafepoint(sched::G* g) override { selfScan(g); }
  sched::G* findRunnableGCWorker(sched::P* p) override { return findWorker(p, false); }
  sched::G* findIdleGCWorker(sched::P* p) override { return findWorker(p, true); }

  void onShutdown() override {
    Collector* c = gCollector;
    // Destructors of what is still alive, then its memory (GC objects are
    // never deleted by hand; a run's end frees them all), then forget every
    // heap pointer held in Globals.
    {
      std::lock_guard<sched::SpinLock> lk(c->sweepLock);
      std::vector<AllocChunk*> logs = {c->unswept, c->swept};
      for (sched::P* p : sched::gSched->allp) {
        if (pstate(p) != nullptr) logs.push_back(pstate(p)->chunk);
      }
      for (AllocChunk* l : logs) destroyObjects(l);
      for (AllocChunk* l : logs) freeObjectsAndLogs(l);
      c->unswept = c->swept = nullptr;
      for (sched::P* p : sched::gSched->allp) {
        if (pstate(p) != nullptr) pstate(p)->chunk = nullptr;
      }
    }
    forEachGlobal([](detail::RootNode* n) {
      if (n->reset != nullptr) n->reset(n);
    });
    releaseSpareChunks();
    resetFinalizers();
    freeQuarantineAll();
    detail::gWriteBarrier.store(false);
  }
};

CollectorHooks gHooks;

}  // namespace

Config configFrom(const char* gogcEnv, const std::map<std::string, std::string>& godebug) {
  Config cfg;
  cfg.gcPercent = readGOGC(gogcEnv);
  auto num = [&](const char* key) -> int64_t {
    auto it = godebug.find(key);
    if (it == godebug.end()) return 0;
    return std::strtoll(it->second.c_str(), nullptr, 10);
  };
  cfg.gctrace = num("gctrace") > 0;
  cfg.stopTheWorld = static_cast<int>(num("gcstoptheworld"));
  cfg.verify = num("gcverify") > 0;
  cfg.stress = num("gcstress");
  return cfg;
}

void beginRun(const Config& cfg, int procs) {
  auto* c = new Collector();
  c->cfg = cfg;
  c->procs = procs;
  c->stwProcs = std::min(procs, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  c->pacer = Pacer(cfg.gcPercent);
  c->runStartReal = sched::realNanotime();
  gCollector = c;
  {
    std::lock_guard<sched::SpinLock> lk(c->pacerLock);
    publishPacer();
  }
  detail::gVerify = cfg.verify;
  detail::gWriteBarrier.store(false);
  sched::installHooks(&gHooks);
}

void endRun() {
  Collector* c = gCollector;
  if (c == nullptr) return;
  freeBufList(c->fullBufs);
  freeBufList(c->emptyBufs);
  sched::installHooks(nullptr);
  detail::gVerify = false;
  delete c;
  gCollector = nullptr;
}

}  // namespace gort::gc
