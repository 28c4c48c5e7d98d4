// How the scheduler calls up into the collector without including it.
//
// gc/ installs one Hooks object at start-up (DESIGN.md: nothing below
// includes anything above it). Each call names a moment in the scheduler's
// life where Go's scheduler calls into the GC directly: findRunnable asks for
// a mark worker (gcController.findRunnableGCWorker), a safepoint that finds
// GC attention requested lets the GC take the goroutine's time (stack scan
// or assist), a P starts or stops on its own thread (mcache setup).
#pragma once

namespace gort::sched {

struct G;
struct P;

class Hooks {
 public:
  virtual ~Hooks() = default;

  // Before any goroutine runs, for every P, on the thread calling start().
  virtual void onPCreate(P*) {}
  // On the P's own thread, before it runs any goroutine / after its last.
  virtual void onPStart(P*) {}
  virtual void onPStop(P*) {}

  // A goroutine was created / is about to be freed.
  virtual void onGCreate(G*) {}
  virtual void onGExit(G*) {}

  // A goroutine reached a safepoint while GC attention was requested for it
  // (requestGcAttention). Runs on that goroutine.
  virtual void onSafepoint(G*) {}

  // findRunnable asks, before user goroutines: is there a GC worker that
  // should run on this P now? (dedicated / fractional mark workers)
  virtual G* findRunnableGCWorker(P*) { return nullptr; }

  // findRunnable found nothing at all: may this idle P run GC work?
  virtual G* findIdleGCWorker(P*) { return nullptr; }

  // The world is stopping for good: every goroutine has been unwound.
  // Runs once, with the world stopped, before onPStop.
  virtual void onShutdown() {}
};

void installHooks(Hooks* h);
Hooks& hooks();

}  // namespace gort::sched
