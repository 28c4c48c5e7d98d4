// The collector's life within a run, and its hooks into the scheduler.

#include <algorithm>
#include <cstdlib>
#include <thread>

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

void freeChunkList(AllocChunk* c, bool destroyObjects) {
  while (c != nullptr) {
    AllocChunk* next = c->next;
    if (destroyObjects) {
      for (uint32_t i = 0; i < c->n; i++) {
        ObjHeader* h = c->objs[i];
        if (h->type->destroy != nullptr) h->type->destroy(h->payload());
      }
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
    // Every object of this P's heap goes at once (destructors already ran
    // in onShutdown). The owning thread does it, as mimalloc requires.
    mi_heap_destroy(ps->heap);
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
    // Destructors of what is still alive (GC objects are never deleted by
    // hand; a run's end frees them all), then forget every heap pointer
    // held in Globals.
    {
      std::lock_guard<sched::SpinLock> lk(c->sweepLock);
      freeChunkList(c->unswept, true);
      freeChunkList(c->swept, true);
      c->unswept = c->swept = nullptr;
    }
    for (sched::P* p : sched::gSched->allp) {
      PState* ps = pstate(p);
      if (ps == nullptr) continue;
      freeChunkList(ps->chunk, true);
      ps->chunk = nullptr;
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
