// How runs fail: every panic, fatal error and deadlock text the scheduler
// layer produces, checked through captured runs (Options::capture): the
// failure's kind, message and goroutine, and the shape of the report Go
// would print ("panic: X\n\ngoroutine N [running]:\n..." or
// "fatal error: X\n\ngoroutine ...").

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/sched/sched_test_util.h"

namespace gort::testing {
namespace {

// Whether the report holds at least one frame: a function line followed by
// a tab-indented "file:line" line (with an optional " +0x..").
bool hasFrame(const std::string& report) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < report.size();) {
    size_t nl = report.find('\n', at);
    if (nl == std::string::npos) nl = report.size();
    lines.push_back(report.substr(at, nl - at));
    at = nl + 1;
  }
  for (size_t i = 0; i + 1 < lines.size(); i++) {
    const std::string& fn = lines[i];
    const std::string& loc = lines[i + 1];
    if (fn.empty() || fn[0] == '\t' || startsWith(fn, "goroutine ") || loc.size() < 2 || loc[0] != '\t') continue;
    std::string where = loc.substr(1, loc.find(" +0x") == std::string::npos ? std::string::npos : loc.find(" +0x") - 1);
    size_t colon = where.rfind(':');
    if (colon == std::string::npos || colon + 1 == where.size()) continue;
    if (where.find_first_not_of("0123456789", colon + 1) == std::string::npos) return true;
  }
  return false;
}

class FailureTest : public ConfigTest {
 protected:
  // Runs body, which must fail with `kind` and `message` on goroutine `goid`.
  Outcome expectFailure(const std::function<void()>& body, FailureKind kind, const std::string& message,
                        int64_t goid) {
    Outcome o = run(cfg(), body);
    EXPECT_EQ(o.status, 2) << replay(cfg());
    EXPECT_EQ(o.failure.kind, kind) << replay(cfg()) << "\n" << o.failure.report;
    EXPECT_EQ(o.failure.message, message) << replay(cfg());
    EXPECT_EQ(o.failure.goid, goid) << replay(cfg());
    EXPECT_EQ(o.failure.seed, seedOr(cfg().seed));
    return o;
  }
};

// ---------------------------------------------------------------------------
// Unrecovered panics

TEST_P(FailureTest, UnrecoveredPanicInMain) {
  Outcome o = expectFailure([] { panic("boom"); }, FailureKind::Panic, "boom", 1);
  const std::string& r = o.failure.report;
  EXPECT_TRUE(startsWith(r, "panic: boom\n\ngoroutine 1 [running]:\n")) << r;
  EXPECT_TRUE(hasFrame(r)) << r;
  EXPECT_EQ(r.find("created by"), std::string::npos) << "main has no creator\n" << r;
}

TEST_P(FailureTest, UnrecoveredPanicInAGoroutine) {
  Outcome o = expectFailure(
      [] {
        auto never = make_chan<int>();
        go([] { panic(std::string("from goroutine")); });
        never.recv();
      },
      FailureKind::Panic, "from goroutine", 2);
  const std::string& r = o.failure.report;
  EXPECT_TRUE(startsWith(r, "panic: from goroutine\n\ngoroutine 2 [running]:\n")) << r;
  EXPECT_TRUE(hasFrame(r)) << r;
  EXPECT_NE(r.find("\ncreated by "), std::string::npos) << r;
  // GOTRACEBACK=single (the default) shows only the panicking goroutine.
  EXPECT_EQ(r.find("goroutine 1 ["), std::string::npos) << r;
}

TEST_P(FailureTest, PanicThatNoDeferredCallRecoversStillFails) {
  bool deferRan = false;
  Outcome o = expectFailure(
      [&] {
        func([&](Defer& defer) {
          defer([&] { deferRan = true; });
          panic(7);
        });
      },
      FailureKind::Panic, "7", 1);
  EXPECT_TRUE(deferRan) << "deferred calls run before the panic ends the program";
  EXPECT_TRUE(startsWith(o.failure.report, "panic: 7\n\ngoroutine 1 [running]:\n")) << o.failure.report;
}

TEST_P(FailureTest, WaitGroupNegativeCounterPanics) {
  Outcome o = expectFailure(
      [] {
        WaitGroup wg;
        wg.Add(1);
        wg.Done();
        wg.Done();
      },
      FailureKind::Panic, "sync: negative WaitGroup counter", 1);
  EXPECT_TRUE(startsWith(o.failure.report, "panic: sync: negative WaitGroup counter\n\ngoroutine 1 [running]:\n"))
      << o.failure.report;
}

// The channel panics, each unrecovered in goroutine 2 while main waits.
struct ChanPanicCase {
  const char* name;
  std::function<void()> misuse;
  const char* message;
};

std::vector<ChanPanicCase> chanPanicCases() {
  return {
      {"SendOnClosed",
       [] {
         auto c = make_chan<int>(1);
         c.close();
         c.send(1);
       },
       "send on closed channel"},
      {"SelectSendOnClosed",
       [] {
         auto c = make_chan<int>();
         c.close();
         select(gort::send(c, 1, [] {}), default_([] {}));
       },
       "send on closed channel"},
      {"BlockedSendThenClosed",
       [] {
         auto c = make_chan<int>();
         go([c] {
           Sleep(std::chrono::milliseconds(1));
           c.close();
         });
         c.send(1);  // blocks until the close, then panics
       },
       "send on closed channel"},
      {"CloseOfClosed",
       [] {
         auto c = make_chan<int>();
         c.close();
         c.close();
       },
       "close of closed channel"},
      {"CloseOfNil",
       [] {
         Chan<int> c;
         c.close();
       },
       "close of nil channel"},
      {"MakechanNegative", [] { (void)make_chan<int>(-1); }, "makechan: size out of range"},
      {"MakechanHuge", [] { (void)make_chan<int64_t>(int64_t{1} << 62); }, "makechan: size out of range"},
  };
}

TEST_P(FailureTest, ChannelMisusePanicsWithGosMessages) {
  for (const ChanPanicCase& c : chanPanicCases()) {
    SCOPED_TRACE(c.name);
    Outcome o = expectFailure(
        [&] {
          auto never = make_chan<int>();
          go([&] { c.misuse(); });
          never.recv();
        },
        FailureKind::Panic, c.message, 2);
    EXPECT_TRUE(startsWith(o.failure.report, std::string("panic: ") + c.message + "\n\ngoroutine 2 [running]:\n"))
        << o.failure.report;
  }
}

TEST_P(FailureTest, ChannelMisusePanicsAreRecoverable) {
  for (const ChanPanicCase& c : chanPanicCases()) {
    SCOPED_TRACE(c.name);
    std::string got;
    runOk([&] {
      func([&](Defer& defer) {
        defer([&] {
          if (auto r = recover()) got = r->message();
        });
        c.misuse();
      });
    });
    EXPECT_EQ(got, c.message);
  }
}

TEST_P(FailureTest, FatalErrorsAreNotRecoverable) {
  bool deferRan = false;
  Outcome o = expectFailure(
      [&] {
        func([&](Defer& defer) {
          defer([&] {
            deferRan = true;
            (void)recover();
          });
          Mutex mu;
          mu.Unlock();
        });
      },
      FailureKind::Fatal, "sync: unlock of unlocked mutex", 1);
  EXPECT_FALSE(deferRan) << "a fatal error runs no deferred calls";
}

// ---------------------------------------------------------------------------
// Fatal errors from misusing sync (sync/mutex_test.go's misuse table).

struct MisuseCase {
  const char* name;
  std::function<void()> misuse;
  const char* message;
};

TEST_P(FailureTest, LockMisuseIsFatal) {
  std::vector<MisuseCase> cases = {
      {"Mutex.Unlock", [] { Mutex mu; mu.Unlock(); }, "sync: unlock of unlocked mutex"},
      {"Mutex.Unlock2",
       [] {
         Mutex mu;
         mu.Lock();
         mu.Unlock();
         mu.Unlock();
       },
       "sync: unlock of unlocked mutex"},
      {"RWMutex.Unlock", [] { RWMutex mu; mu.Unlock(); }, "sync: Unlock of unlocked RWMutex"},
      {"RWMutex.Unlock2",
       [] {
         RWMutex mu;
         mu.RLock();
         mu.Unlock();
       },
       "sync: Unlock of unlocked RWMutex"},
      {"RWMutex.Unlock3",
       [] {
         RWMutex mu;
         mu.Lock();
         mu.Unlock();
         mu.Unlock();
       },
       "sync: Unlock of unlocked RWMutex"},
      {"RWMutex.RUnlock", [] { RWMutex mu; mu.RUnlock(); }, "sync: RUnlock of unlocked RWMutex"},
      {"RWMutex.RUnlock2",
       [] {
         RWMutex mu;
         mu.Lock();
         mu.RUnlock();
       },
       "sync: RUnlock of unlocked RWMutex"},
      {"RWMutex.RUnlock3",
       [] {
         RWMutex mu;
         mu.RLock();
         mu.RUnlock();
         mu.RUnlock();
       },
       "sync: RUnlock of unlocked RWMutex"},
  };
  for (const MisuseCase& c : cases) {
    SCOPED_TRACE(c.name);
    Outcome o = expectFailure([&] { c.misuse(); }, FailureKind::Fatal, c.message, 1);
    EXPECT_TRUE(startsWith(o.failure.report, std::string("fatal error: ") + c.message + "\n\ngoroutine 1 [running]:\n"))
        << o.failure.report;
    EXPECT_TRUE(hasFrame(o.failure.report)) << o.failure.report;
  }
}

TEST_P(FailureTest, FatalErrorShowsEveryGoroutine) {
  Outcome o = expectFailure(
      [] {
        auto block = make_chan<int>();
        auto ready = make_chan<int>();
        go([&] {
          ready.send(1);
          block.recv();
        });
        ready.recv();
        Sleep(std::chrono::milliseconds(1));  // let goroutine 2 block
        Mutex mu;
        mu.Unlock();
      },
      FailureKind::Fatal, "sync: unlock of unlocked mutex", 1);
  const std::string& r = o.failure.report;
  EXPECT_TRUE(startsWith(r, "fatal error: sync: unlock of unlocked mutex\n\ngoroutine 1 [running]:\n")) << r;
  if (det()) {
    // Deterministic: virtual time moved only once goroutine 2 had parked.
    EXPECT_NE(r.find("\n\ngoroutine 2 [chan receive]:\n"), std::string::npos) << r;
  } else {
    EXPECT_NE(r.find("\n\ngoroutine 2 ["), std::string::npos) << r;
  }
}

TEST_P(FailureTest, TracebackAllShowsOtherGoroutinesForAPanic) {
  Outcome o;
  Options extra;
  extra.traceback = "all";
  o = run(
      cfg(),
      [] {
        auto never = make_chan<int>();
        go([] {
          Sleep(std::chrono::milliseconds(1));  // deterministic: main has blocked by then
          panic("all");
        });
        never.recv();
      },
      extra);
  EXPECT_EQ(o.failure.kind, FailureKind::Panic) << replay(cfg());
  const std::string& r = o.failure.report;
  EXPECT_TRUE(startsWith(r, "panic: all\n\ngoroutine 2 [running]:\n")) << r;
  EXPECT_NE(r.find(det() ? "\n\ngoroutine 1 [chan receive]:\n" : "\n\ngoroutine 1 ["), std::string::npos) << r;
}

TEST_P(FailureTest, TracebackNoneShowsOnlyTheHeadline) {
  Options extra;
  extra.traceback = "none";
  Outcome o = run(cfg(), [] { panic("quiet"); }, extra);
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.failure.report, "panic: quiet\n");  // what Go 1.19 prints with GOTRACEBACK=none
}

// ---------------------------------------------------------------------------
// Deadlocks

TEST_P(FailureTest, DeadlockReportNamesEveryBlockedGoroutinesState) {
  Outcome o = expectFailure(
      [] {
        auto unread = make_chan<int>();     // nobody receives
        auto quiet = make_chan<int>();      // nobody sends
        auto quiet2 = make_chan<int>(1);    // nobody sends
        Mutex held;
        WaitGroup pending;
        RWMutex written;
        held.Lock();
        pending.Add(1);
        written.Lock();
        go([unread] { unread.send(1); });                                                    // 2
        go([quiet, quiet2] { select(recv(quiet, [] {}), recv(quiet2, [] {})); });          // 3
        go([] { select(); });                                                                // 4
        go([&] { held.Lock(); });                                                            // 5
        go([&] { pending.Wait(); });                                                         // 6
        go([] { Chan<int> nil; nil.recv(); });                                               // 7
        go([] { Chan<int> nil; nil.send(1); });                                              // 8
        go([&] { written.RLock(); });                                                        // 9
        go([] { Sleep(std::chrono::milliseconds(5)); });                                     // 10, exits
        go([quiet] { select(recv(quiet, [] {}), gort::send(Chan<int>(), 1, [] {})); });    // 11
        quiet.recv();                                                                        // 1
      },
      FailureKind::Fatal, "all goroutines are asleep - deadlock!", 0);
  const std::string& r = o.failure.report;
  EXPECT_TRUE(startsWith(r, "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\n"))
      << r;
  const char* expected[] = {
      "goroutine 2 [chan send]:\n",
      "goroutine 3 [select]:\n",
      "goroutine 4 [select (no cases)]:\n",
      "goroutine 5 [semacquire]:\n",
      "goroutine 6 [semacquire]:\n",
      "goroutine 7 [chan receive (nil chan)]:\n",
      "goroutine 8 [chan send (nil chan)]:\n",
      "goroutine 9 [semacquire]:\n",
      "goroutine 11 [select]:\n",
  };
  size_t last = 0;
  for (const char* e : expected) {
    size_t at = r.find(std::string("\n\n") + e);
    EXPECT_NE(at, std::string::npos) << "missing " << e << r;
    if (at != std::string::npos) {
      EXPECT_GT(at, last) << "goroutines are listed in creation order: " << e;
      last = at;
    }
  }
  EXPECT_EQ(r.find("goroutine 10 ["), std::string::npos) << "a goroutine that exited is not listed\n" << r;
  EXPECT_EQ(countOf(r, "\ncreated by "), 9) << "every goroutine but main says who created it\n" << r;
  EXPECT_EQ(r.find("[running]"), std::string::npos) << "nothing runs in a deadlock\n" << r;
}

TEST_P(FailureTest, MainBlockedOnNilChannelIsADeadlock) {
  Outcome o = expectFailure(
      [] {
        Chan<int> nil;
        nil.recv();
      },
      FailureKind::Fatal, "all goroutines are asleep - deadlock!", 0);
  EXPECT_TRUE(startsWith(o.failure.report,
                         "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive (nil chan)]:\n"))
      << o.failure.report;
}

TEST_P(FailureTest, EmptySelectInMainIsADeadlock) {
  Outcome o = expectFailure([] { select(); }, FailureKind::Fatal, "all goroutines are asleep - deadlock!", 0);
  EXPECT_TRUE(startsWith(o.failure.report,
                         "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [select (no cases)]:\n"))
      << o.failure.report;
}

TEST_P(FailureTest, SelectOverOnlyNilChannelsBlocksForever) {
  Outcome o = expectFailure(
      [] {
        Chan<int> a, b;
        select(recv(a, [] {}), gort::send(b, 1, [] {}));
      },
      FailureKind::Fatal, "all goroutines are asleep - deadlock!", 0);
  EXPECT_TRUE(
      startsWith(o.failure.report, "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [select]:\n"))
      << o.failure.report;
}

TEST_P(FailureTest, NilChannelBlocksOnlyOnceTheOthersAreDone) {
  // Blocking on a nil channel is not a deadlock while other goroutines can
  // still run; it becomes one when they finish.
  std::atomic<int> finished{0};
  Outcome o = expectFailure(
      [&] {
        for (int i = 0; i < 4; i++) {
          go([&, i] {
            Sleep(std::chrono::milliseconds(1 + i));
            finished++;
          });
        }
        Chan<int> nil;
        nil.send(1);
      },
      FailureKind::Fatal, "all goroutines are asleep - deadlock!", 0);
  EXPECT_EQ(finished.load(), 4);
}

TEST_P(FailureTest, SleepingGoroutinesAreNotADeadlock) {
  runOk([] {
    auto c = make_chan<int>();
    go([c] {
      Sleep(std::chrono::milliseconds(20));
      c.send(1);
    });
    EXPECT_EQ(c.recv(), 1);
  });
}

INSTANTIATE_TEST_SUITE_P(Configs, FailureTest, ::testing::ValuesIn(standardConfigs()), ConfigName());

// Only the first failure of a run is reported.
TEST(FailureOnce, OnlyTheFirstFailureIsReported) {
  for (const Config& cfg : detConfigs({1, 4}, {1, 2, 3})) {
    Outcome o = run(cfg, [] {
      auto never = make_chan<int>();
      for (int i = 0; i < 4; i++) go([i] { panic(i); });
      never.recv();
    });
    EXPECT_EQ(o.status, 2) << replay(cfg);
    EXPECT_EQ(o.failure.kind, FailureKind::Panic) << replay(cfg);
    EXPECT_EQ(countOf(o.failure.report, "panic: "), 1) << replay(cfg) << "\n" << o.failure.report;
    EXPECT_EQ(o.failure.message, std::to_string(o.failure.goid - 2)) << replay(cfg);
  }
}

// Corners where gort once diverged from Go 1.19.

// Goexit in main: the other goroutines run on; with none left it is Go's
// "no goroutines" deadlock.
TEST(GoDivergence, GoexitInMainLetsTheOthersFinishThenIsADeadlock) {
  Config cfg{Mode::Deterministic, 1, 1};
  bool otherFinished = false;
  Outcome o = run(cfg, [&] {
    go([&] {
      Sleep(std::chrono::milliseconds(1));
      otherFinished = true;
    });
    Goexit();
  });
  EXPECT_TRUE(otherFinished);
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.failure.kind, FailureKind::Fatal);
  EXPECT_EQ(o.failure.message, "no goroutines (main called runtime.Goexit) - deadlock!");
}

// A panic raised by a deferred call while another is in flight: Go prints
// the whole chain, oldest first (panic.go printpanics).
TEST(GoDivergence, UnrecoveredNestedPanicsPrintTheChain) {
  Config cfg{Mode::Deterministic, 1, 1};
  Outcome o = run(cfg, [] {
    func([](Defer& defer) {
      defer([] { panic("second"); });
      panic("first");
    });
  });
  EXPECT_EQ(o.status, 2);
  EXPECT_TRUE(startsWith(o.failure.report, "panic: first\n\tpanic: second\n\ngoroutine 1 [running]:\n"))
      << o.failure.report;
}

}  // namespace
}  // namespace gort::testing
