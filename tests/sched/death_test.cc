// How a failing program ends when nothing captures the failure: Go's text
// on stderr and exit status 2, for unrecovered panics, fatal errors,
// deadlocks, stack overflow, nil dereference and C++ exceptions that escape
// a goroutine; in deterministic mode followed by the line that replays the
// run. Death tests: each case runs in a child process.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

#include "tests/sched/sched_test_util.h"

namespace gort::testing {
namespace {

using ::testing::ExitedWithCode;
using ::testing::HasSubstr;
using ::testing::Not;

// Runs body as gort's main with failures ending the process. If the run
// returns instead, the child exits with a status no failure gives.
void runUncaptured(Mode mode, int procs, uint64_t seed, std::function<void()> body, size_t stackSize = 0) {
  Options o;
  o.mode = mode;
  o.gomaxprocs = procs;
  o.seed = seed;
  o.stack_size = stackSize;
  o.traceback = "single";
  int status = gort::run(o, std::move(body));
  std::exit(status == 0 ? 0 : 100 + status);
}

void runDet(std::function<void()> body, uint64_t seed = 7) {
  runUncaptured(Mode::Deterministic, 1, seed, std::move(body));
}

class SchedDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { ::testing::FLAGS_gtest_death_test_style = "threadsafe"; }
};

TEST_F(SchedDeathTest, UnrecoveredPanicInMainExitsTwo) {
  EXPECT_EXIT(runDet([] { panic("boom"); }), ExitedWithCode(2), "^panic: boom\n\ngoroutine 1 \\[running\\]:\n");
}

TEST_F(SchedDeathTest, UnrecoveredPanicInAGoroutineExitsTwo) {
  EXPECT_EXIT(runDet([] {
                auto never = make_chan<int>();
                go([] { panic(2.5); });
                never.recv();
              }),
              ExitedWithCode(2), "^panic: \\+2\\.500000e\\+000\n\ngoroutine 2 \\[running\\]:\n(.|\n)*created by ");
}

TEST_F(SchedDeathTest, DeferredCallsRunBeforeAnUnrecoveredPanicEndsTheProgram) {
  EXPECT_EXIT(runDet([] {
                func([](Defer& defer) {
                  defer([] { std::fputs("deferred ran\n", stderr); });
                  panic("after defer");
                });
              }),
              ExitedWithCode(2), "^deferred ran\npanic: after defer\n");
}

TEST_F(SchedDeathTest, FatalErrorExitsTwo) {
  EXPECT_EXIT(runDet([] {
                Mutex mu;
                mu.Unlock();
              }),
              ExitedWithCode(2), "^fatal error: sync: unlock of unlocked mutex\n\ngoroutine 1 \\[running\\]:\n");
}

TEST_F(SchedDeathTest, FatalErrorCannotBeRecovered) {
  EXPECT_EXIT(runDet([] {
                func([](Defer& defer) {
                  defer([] { (void)recover(); });
                  RWMutex mu;
                  mu.RUnlock();
                });
              }),
              ExitedWithCode(2), "^fatal error: sync: RUnlock of unlocked RWMutex\n");
}

TEST_F(SchedDeathTest, DeadlockExitsTwo) {
  EXPECT_EXIT(runDet([] {
                auto c = make_chan<int>();
                go([c] { c.send(1); });
                (void)c.recv();
                (void)c.recv();
              }),
              ExitedWithCode(2),
              "^fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 \\[chan receive\\]:\n");
}

TEST_F(SchedDeathTest, DeterministicFailureEndsWithTheReplayLine) {
  EXPECT_EXIT(runDet([] { panic("replay me"); }, 4242), ExitedWithCode(2),
              "^panic: replay me\n(.|\n)*\ngort: GORT_SEED=4242 replays this run\n$");
  EXPECT_EXIT(runDet(
                  [] {
                    auto c = make_chan<int>();
                    c.close();
                    c.close();
                  },
                  99),
              ExitedWithCode(2), "^panic: close of closed channel\n(.|\n)*\ngort: GORT_SEED=99 replays this run\n$");
}

TEST_F(SchedDeathTest, CppExceptionEscapingAGoroutineIsAPanic) {
  EXPECT_EXIT(runDet([] {
                auto never = make_chan<int>();
                go([] { throw std::runtime_error("escaped"); });
                never.recv();
              }),
              ExitedWithCode(2), "^panic: std::runtime_error: escaped\n\ngoroutine 2 \\[running\\]:\n");
}

TEST_F(SchedDeathTest, CppExceptionEscapingMainIsAPanic) {
  EXPECT_EXIT(runDet([] { throw std::out_of_range("vector index 12"); }), ExitedWithCode(2),
              "^panic: std::out_of_range: vector index 12\n\ngoroutine 1 \\[running\\]:\n");
}

// Faults: these rely on gort's SIGSEGV handler, which the sanitizers'
// own handlers (and UBSan's null checks) get in the way of.
#if defined(GORT_ASAN) || defined(GORT_TSAN)
#define GORT_SKIP_SIGNAL_TESTS() GTEST_SKIP() << "faults are the sanitizer's to report in this build"
#else
#define GORT_SKIP_SIGNAL_TESTS() \
  do {                           \
  } while (0)
#endif

volatile int gRecursionGuard = 1;

[[gnu::noinline]] int recurse(int depth) {
  volatile char frame[256];
  frame[0] = static_cast<char>(depth);
  if (gRecursionGuard == 0) return frame[0];
  return recurse(depth + 1) + frame[0];
}

TEST_F(SchedDeathTest, StackOverflowIsFatal) {
  GORT_SKIP_SIGNAL_TESTS();
  EXPECT_EXIT(runDet([] { (void)recurse(0); }), ExitedWithCode(2),
              "^runtime: goroutine stack exceeds 262144-byte limit\n"
              "runtime: sp=0x[0-9a-f]+ stack=\\[0x[0-9a-f]+, 0x[0-9a-f]+\\]\n"
              "fatal error: stack overflow\n\ngoroutine 1 \\[running\\]:\n");
}

TEST_F(SchedDeathTest, StackOverflowInAGoroutineWithASmallStack) {
  GORT_SKIP_SIGNAL_TESTS();
  EXPECT_EXIT(runUncaptured(
                  Mode::Deterministic, 2, 5,
                  [] {
                    auto never = make_chan<int>();
                    go([] { (void)recurse(0); });
                    never.recv();
                  },
                  64 * 1024),
              ExitedWithCode(2),
              "^runtime: goroutine stack exceeds 65536-byte limit\n(.|\n)*fatal error: stack overflow\n\n"
              "goroutine 2 \\[running\\]:\n");
}

TEST_F(SchedDeathTest, NilPointerDereferenceIsARuntimeErrorPanic) {
  GORT_SKIP_SIGNAL_TESTS();
  EXPECT_EXIT(runDet([] {
                volatile int* volatile p = nullptr;  // volatile both ways: the store stays
                *p = 1;
              }),
              ExitedWithCode(2),
              "^panic: runtime error: invalid memory address or nil pointer dereference\n"
              "\\[signal SIGSEGV: segmentation violation code=0x[0-9a-f]+ addr=0x0 pc=0x[0-9a-f]+\\]\n\n"
              "goroutine 1 \\[running\\]:\n");
}

// Parallel mode exits the same way, without a seed line (a parallel run
// cannot be replayed).
TEST_F(SchedDeathTest, ParallelPanicExitsTwoWithoutAReplayLine) {
  EXPECT_EXIT(runUncaptured(Mode::Parallel, 2, 1,
                            [] {
                              auto never = make_chan<int>();
                              go([] { panic("parallel"); });
                              never.recv();
                            }),
              ExitedWithCode(2),
              ::testing::AllOf(HasSubstr("panic: parallel\n\ngoroutine 2 [running]:\n"), Not(HasSubstr("GORT_SEED"))));
}

TEST_F(SchedDeathTest, ParallelDeadlockExitsTwo) {
  EXPECT_EXIT(runUncaptured(Mode::Parallel, 2, 1,
                            [] {
                              WaitGroup wg;
                              wg.Add(1);
                              wg.Wait();
                            }),
              ExitedWithCode(2),
              "^fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 \\[semacquire\\]:\n");
}

// A run that succeeds exits 0 (the helper's "returned" path), which the
// death-test machinery must see as such: guards the tests above against
// passing for the wrong reason.
TEST_F(SchedDeathTest, SuccessfulRunExitsZero) {
  EXPECT_EXIT(runDet([] {
                auto c = make_chan<int>(1);
                c.send(1);
                (void)c.recv();
              }),
              ExitedWithCode(0), "^$");
}

}  // namespace
}  // namespace gort::testing
