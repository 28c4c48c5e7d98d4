// Verify mode (GODEBUG=gcverify=1) catches the mistakes a C++ compiler
// lets through, each with a fatal error naming it: a Ptr<T> outside any GC
// object, a type with a Ptr but no trace method, a Local<T> used by another
// goroutine or outliving its own, and a stale pointer to a freed object
// stored back into the heap (after TestGcZombieReporting).

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/gc/gc_test_util.h"

namespace gort::testing {
namespace {

class Verify : public GcConfigTest {
 protected:
  // Runs body with verify mode on; it must end in a fatal error whose
  // message starts with `prefix` and contains every one of `parts`.
  void expectFatal(const std::function<void()>& body, const std::string& prefix,
                   std::initializer_list<std::string> parts) {
    Outcome o = run(cfg(), body, withGodebug("gcverify=1"));
    EXPECT_EQ(o.status, 2) << "verify mode should have failed the run under " << cfg().name();
    EXPECT_EQ(o.failure.kind, FailureKind::Fatal) << o.failure.report;
    EXPECT_TRUE(startsWith(o.failure.message, prefix)) << o.failure.message;
    for (const std::string& p : parts) EXPECT_NE(o.failure.message.find(p), std::string::npos) << o.failure.message;
    EXPECT_NE(o.failure.report.find("fatal error: " + prefix), std::string::npos) << o.failure.report;
  }
};

TEST_P(Verify, PtrAsALocalVariableIsReported) {
  expectFatal(
      [] {
        Ptr<Node> p;  // a heap field type on the C++ stack: nothing traces it
        (void)p;
      },
      "gcverify: Ptr<T> at ", {"is not inside a GC object", "gort::Local<T>"});
}

TEST_P(Verify, PtrInsideAPlainStructOnTheStackIsReported) {
  expectFatal(
      [] {
        Holder h;  // a GC type, but not made by New
        (void)h;
      },
      "gcverify: Ptr<T> at ", {"is not inside a GC object", "gort::New"});
}

struct NoTrace {
  Ptr<Node> p;  // never visited: the type has no trace method
  int64_t x = 0;
};

TEST_P(Verify, TypeWithAPtrButNoTraceMethodIsReported) {
  expectFatal([] { (void)New<NoTrace>(); }, "gcverify: type ",
              {"NoTrace", "holds a Ptr but declares no trace method"});
}

TEST_P(Verify, LocalUsedByAnotherGoroutineIsReported) {
  expectFatal(
      [] {
        Local<Node> mine = New<Node>(1);
        auto done = make_chan<int>();
        go([&mine, done] {
          mine->val = 2;  // goroutine 1's variable, used from here
          done.send(1);
        });
        (void)done.recv();
      },
      "gcverify: Local<T> of goroutine 1 used by goroutine ", {"a Local roots one goroutine's variable"});
}

// Locals stored where no stack reaches: leaked on purpose (the Locals in it
// name goroutines of a run that ended in a fatal error).
// Never reallocated or destroyed (its elements name goroutines of runs
// that are over), so it holds room for every run of the test,
// --gtest_repeat included. It lives in static storage, where
// LeakSanitizer sees its buffer as reachable.
using Stash = std::vector<Local<Node>>;
alignas(Stash) unsigned char gStashStorage[sizeof(Stash)];
Stash* const gStash = [] {
  Stash* v = ::new (gStashStorage) Stash();
  v->reserve(1 << 12);
  return v;
}();

TEST_P(Verify, LocalOutlivingItsGoroutineIsReported) {
#if defined(GORT_ASAN)
  // DISABLED under ASan: the fatal error is raised from Hooks::onGExit,
  // inside sched's goexit0, and teardown cannot unwind a goroutine that
  // failed there (the ForcedUnwind has no handler above goexit0), so the
  // strings of the failure report on its stack leak and LeakSanitizer
  // fails the binary. A sched fix, reported; the check itself works.
  GTEST_SKIP() << "leaks under ASan until sched can unwind a failure in goexit0";
#endif
  if (gStash->size() == gStash->capacity()) GTEST_SKIP() << "stash full (too many repeats)";
  expectFatal(
      [] {
        auto done = make_chan<int>(1);
        go([done] {
          gStash->push_back(New<Node>(3));  // the copy in the vector belongs to this goroutine
          done.send(1);
        });
        (void)done.recv();
        Sleep(std::chrono::milliseconds(1));
        GC();
      },
      "gcverify: Local<T> outlives goroutine ", {"use gort::Global<T>"});
}

// Without verify mode such a Local is detached when its goroutine exits:
// it stops rooting anything and can be destroyed later without harm.
TEST_P(Verify, WithoutVerifyALocalOutlivingItsGoroutineJustStopsRooting) {
  runOk([&] {
    std::vector<Local<Node>> stash;
    stash.reserve(4);
    uint64_t base = liveObjects();
    auto done = make_chan<int>();
    go([&stash, done] {
      stash.push_back(New<Node>(4));
      done.send(1);
    });
    (void)done.recv();
    for (int i = 0; i < 1000 && NumGoroutine() > 1; i++) Sleep(std::chrono::microseconds(100));
    ASSERT_EQ(NumGoroutine(), 1);
    GC();
    EXPECT_EQ(liveObjects(), base) << "a detached Local roots nothing";
    stash.clear();
  });
}

Global<Holder> gStaleHolder;

TEST_P(Verify, StalePointerToAFreedObjectStoredBackIsReported) {
  expectFatal(
      [] {
        Global<Holder>* h = &gStaleHolder;
        *h = New<Holder>();
        Node* stale;
        {
          Local<Node> x = New<Node>(5);
          stale = x.get();
        }
        GC();  // frees X; verify mode poisons it and keeps it for a cycle
        int64_t poison;
        std::memset(&poison, 0xdf, sizeof poison);
        EXPECT_EQ(stale->val, poison) << "freed objects are poisoned in verify mode";
        (*h)->p = stale;  // the stale pointer goes back into the heap
        GC();             // and the next mark finds it
      },
      "marking free object ", {"a reference outlived the object the collector freed"});
}

// Verify mode on its own passes a correct program, cycle after cycle.
TEST_P(Verify, ACorrectProgramPassesVerification) {
  const int64_t n = scaled(20000);
  runVerified([&] {
    Local<Node> head = buildList(n);
    Local<Slice<Ptr<Node>>> s;
    Local<String> str = String::from("verified");
    for (int i = 0; i < 10; i++) {
      churn(256 << 10);
      s = append(*s, head->next.get());
      GC();
    }
    EXPECT_TRUE(listIntact(head.get(), n));
    EXPECT_EQ(str->view(), "verified");
  }, "gcverify=1,gcstress=97");
}

INSTANTIATE_TEST_SUITE_P(Configs, Verify, ::testing::ValuesIn(standardConfigs()), ConfigName());

}  // namespace
}  // namespace gort::testing
