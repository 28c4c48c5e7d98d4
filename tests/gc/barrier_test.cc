// The hybrid write barrier, by scripted interleavings (gc/testing.h): each
// script hides a white object from the marker in one of the ways the
// barrier exists to prevent. With the barrier the object is marked and
// survives; with it switched off, verify mode (GODEBUG=gcverify=1) must
// catch the loss at mark termination with a message naming the mistake.
//
// Every script runs in a deterministic run with GOMAXPROCS=1 and the main
// goroutine held on its M (NoPreempt), so nothing runs between the steps
// but what the script itself does.

#include <gtest/gtest.h>

#include <string>

#include "tests/gc/gc_test_util.h"

namespace gort::testing {
namespace {

namespace gct = gc::testing;

Global<Holder> gHolder;
Global<Node> gNode;

struct ScriptResult {
  Outcome outcome;
  bool marked = false;   // the hidden object was marked by finishCycle
  bool intact = false;   // and still intact after a following full GC
};

// Runs script in det P1 with verify mode on, the barrier on or off.
// script(marked, intact) fills in what it observed.
ScriptResult runScript(bool barrier, const std::function<void(bool*, bool*)>& script) {
  ScriptResult r;
  gct::setWriteBarrier(barrier);
  r.outcome = run(detP1(), [&] { script(&r.marked, &r.intact); }, withGodebug("gcverify=1"));
  gct::setWriteBarrier(true);  // the switch outlives runs: always put it back
  return r;
}

void expectKept(const ScriptResult& r) {
  GORT_EXPECT_OK(r.outcome, detP1());
  EXPECT_TRUE(r.marked) << "the barrier should have shaded the hidden object";
  EXPECT_TRUE(r.intact) << "the hidden object should survive the next full GC intact";
}

// The run must end with verify mode's fatal error, whose message starts
// with "gcverify:" and contains `what`.
void expectCaught(const ScriptResult& r, const std::string& what) {
  EXPECT_EQ(r.outcome.status, 2) << "without the barrier, verify mode should have failed the run";
  EXPECT_EQ(r.outcome.failure.kind, FailureKind::Fatal);
  const std::string& msg = r.outcome.failure.message;
  EXPECT_TRUE(startsWith(msg, "gcverify: ")) << msg;
  EXPECT_NE(msg.find(what), std::string::npos) << msg;
  EXPECT_NE(msg.find("Node"), std::string::npos) << "the message should name the lost object's type: " << msg;
  EXPECT_NE(r.outcome.failure.report.find("fatal error: gcverify: "), std::string::npos) << r.outcome.failure.report;
}

// (a) Copy the only reference to X from a heap object the marker has not
// scanned onto a stack it has already scanned (no barrier: stack stores
// have none), then delete the heap reference. Only the deletion half of
// the barrier (shade the overwritten pointer) saves X.
void moveToScannedStack(bool* marked, bool* intact) {
  gHolder = New<Holder>();
  gHolder->p = New<Node>(42).get();  // X: white once the cycle starts
  Local<Node> x;                     // on main's stack, null when scanned
  {
    NoPreempt hold;
    gct::beginCycle();
    gct::scanRoots(sched::getg());  // main's stack is black from here on
    x = gHolder->p;                 // X onto the scanned stack
    gHolder->p = nullptr;           // the only heap reference goes
    gct::scanGlobals();             // the holder is scanned: it no longer refers to X
    gct::markStep(-1);
    gct::finishCycle();             // verify mode checks the heap here
    *marked = gct::isMarked(x.get());
    gct::sweepAll();
  }
  GC();
  *intact = x->intact(42);
  gHolder = nullptr;
}

TEST(Barrier, MoveFromUnscannedHeapToScannedStackThenDelete) {
  expectKept(runScript(true, moveToScannedStack));
}

TEST(Barrier, MoveFromUnscannedHeapToScannedStackIsCaughtWithoutTheBarrier) {
  expectCaught(runScript(false, moveToScannedStack), "is reachable from the roots but was not marked");
}

// (b) Delete the only heap reference during mark while another goroutine,
// whose stack was scanned before, has copied it: the deleting goroutine is
// not the one hiding the object, so the barrier cannot rely on the colour
// of its own stack.
void deleteWhileAnotherStackHoldsIt(bool* marked, bool* intact) {
  gHolder = New<Holder>();
  gHolder->p = New<Node>(7).get();
  Node* x = gHolder->p.get();
  auto toG2 = make_chan<int>();
  auto fromG2 = make_chan<sched::G*>();
  auto result = make_chan<bool>(1);
  go([=] {
    Local<Node> mine;
    fromG2.send(sched::getg());
    (void)toG2.recv();  // parked: main scans this stack now
    mine = gHolder->p;  // copy the only heap reference onto a scanned stack
    fromG2.send(nullptr);
    (void)toG2.recv();  // parked while main deletes the heap reference and the cycle ends
    result.send(mine->intact(7));
  });
  sched::G* g2 = fromG2.recv();
  {
    NoPreempt hold;
    gct::beginCycle();
    gct::scanRoots(sched::getg());
    gct::scanRoots(g2);
    toG2.send(1);
    (void)fromG2.recv();
    gHolder->p = New<Node>(8).get();  // overwrite the only heap reference to X
    gct::scanGlobals();
    gct::markStep(-1);
    gct::finishCycle();
    *marked = gct::isMarked(x);
    gct::sweepAll();
  }
  GC();
  toG2.send(1);
  *intact = result.recv();
  gHolder = nullptr;
}

TEST(Barrier, DeleteTheOnlyHeapReferenceDuringMark) {
  expectKept(runScript(true, deleteWhileAnotherStackHoldsIt));
}

TEST(Barrier, DeleteTheOnlyHeapReferenceDuringMarkIsCaughtWithoutTheBarrier) {
  expectCaught(runScript(false, deleteWhileAnotherStackHoldsIt), "is reachable from the roots but was not marked");
}

// The same through a Global: X is referenced only by a package-level
// variable the marker has not scanned; it is copied to the scanned stack
// and the Global is overwritten (global stores have the barrier too).
void moveFromGlobalToScannedStack(bool* marked, bool* intact) {
  gNode = New<Node>(11);
  Local<Node> x;
  {
    NoPreempt hold;
    gct::beginCycle();
    gct::scanRoots(sched::getg());
    x = gNode.get();
    gNode = nullptr;
    gct::scanGlobals();
    gct::finishCycle();
    *marked = gct::isMarked(x.get());
    gct::sweepAll();
  }
  GC();
  *intact = x->intact(11);
}

TEST(Barrier, MoveFromUnscannedGlobalToScannedStackThenOverwrite) {
  expectKept(runScript(true, moveFromGlobalToScannedStack));
}

TEST(Barrier, MoveFromUnscannedGlobalIsCaughtWithoutTheBarrier) {
  expectCaught(runScript(false, moveFromGlobalToScannedStack), "is reachable from the roots but was not marked");
}

// (c) Store a white object, held only by a stack the marker has not
// scanned yet, into a black object, then drop it from the stack. Only the
// insertion half (shade the new pointer) saves it.
void storeWhiteIntoBlack(bool* marked, bool* intact) {
  gHolder = New<Holder>();          // B
  Local<Node> x = New<Node>(9);     // X, on the unscanned stack only
  Node* raw = x.get();
  {
    NoPreempt hold;
    gct::beginCycle();
    gct::scanGlobals();
    gct::markStep(-1);              // B is black: scanned while its field was null
    EXPECT_TRUE(gct::isMarked(gHolder.get()));
    EXPECT_FALSE(gct::isMarked(raw));
    gHolder->p = x.get();           // white X into black B
    x = nullptr;                    // and off the stack before the stack is scanned
    gct::scanRoots(sched::getg());
    gct::finishCycle();
    *marked = gct::isMarked(raw);
    gct::sweepAll();
  }
  GC();
  *intact = gHolder->p->intact(9);
  gHolder = nullptr;
}

TEST(Barrier, StoreWhiteObjectIntoBlackObject) {
  expectKept(runScript(true, storeWhiteIntoBlack));
}

TEST(Barrier, StoreWhiteObjectIntoBlackObjectIsCaughtWithoutTheBarrier) {
  ScriptResult r = runScript(false, storeWhiteIntoBlack);
  expectCaught(r, "points to white object");
  EXPECT_NE(r.outcome.failure.message.find("black object"), std::string::npos) << r.outcome.failure.message;
  EXPECT_NE(r.outcome.failure.message.find("write barrier"), std::string::npos) << r.outcome.failure.message;
}

// Objects allocated during mark are black: a fresh object stored only in
// a scanned stack survives the cycle (no barrier needed).
TEST(Barrier, ObjectsAllocatedDuringMarkAreBlack) {
  bool marked = false, intact = false;
  runOk(detP1(), [&] {
    Local<Node> x;
    {
      NoPreempt hold;
      gct::beginCycle();
      gct::scanRoots(sched::getg());
      x = New<Node>(5);
      marked = gct::isMarked(x.get());
      gct::finishCycle();
      gct::sweepAll();
    }
    GC();
    intact = x->intact(5);
  }, withGodebug("gcverify=1"));
  EXPECT_TRUE(marked);
  EXPECT_TRUE(intact);
}

// Without any script trick: what nobody reaches at the start of a scripted
// cycle is not marked, and is freed by its sweep.
TEST(Barrier, UnreachableObjectsStayWhiteInAScriptedCycle) {
  bool marked = true;
  uint64_t before = 0, after = 0;
  runOk(detP1(), [&] {
    Node* raw;
    {
      Local<Node> x = New<Node>(1);
      raw = x.get();
    }
    before = liveObjects();
    NoPreempt hold;
    gct::beginCycle();
    gct::scanRoots(sched::getg());
    gct::scanGlobals();
    gct::finishCycle();
    marked = gct::isMarked(raw);
    gct::sweepAll();
    after = liveObjects();
  }, withGodebug("gcverify=1"));
  EXPECT_FALSE(marked);
  EXPECT_EQ(after + 1, before);
}

}  // namespace
}  // namespace gort::testing
