// Panics, defer, recover and Goexit (gort/panic.h): Go's function-frame
// semantics inside gort::func, and how panic values print (printpanicval).

#include <gtest/gtest.h>

#include <any>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/sched/sched_test_util.h"

namespace gort::testing {
namespace {

class PanicTest : public ConfigTest {};

// An error value, as Go's `error` interface: panic prints its Error().
class NotFound : public gort::error {
 public:
  explicit NotFound(std::string what) : what_(std::move(what)) {}
  std::string Error() const override { return "not found: " + what_; }

 private:
  std::string what_;
};

struct Point {
  int x = 0;
  int y = 0;
};

TEST_P(PanicTest, RecoverReturnsThePanicValue) {
  bool recovered = false;
  std::string message;
  int value = 0;
  runOk([&] {
    func([&](Defer& defer) {
      defer([&] {
        std::optional<Panic> r = recover();
        recovered = r.has_value();
        if (!r) return;
        message = r->message();
        if (const int* v = std::any_cast<int>(&r->value())) value = *v;
      });
      panic(42);
    });
  });
  EXPECT_TRUE(recovered);
  EXPECT_EQ(message, "42");
  EXPECT_EQ(value, 42);
}

TEST_P(PanicTest, RecoveredValueKeepsItsType) {
  std::string err;
  Point p;
  runOk([&] {
    func([&](Defer& defer) {
      defer([&] {
        if (auto r = recover()) {
          if (const NotFound* e = std::any_cast<NotFound>(&r->value())) err = e->Error();
        }
      });
      panic(NotFound("key"));
    });
    func([&](Defer& defer) {
      defer([&] {
        if (auto r = recover()) {
          if (const Point* v = std::any_cast<Point>(&r->value())) p = *v;
        }
      });
      panic(Point{3, 4});
    });
  });
  EXPECT_EQ(err, "not found: key");
  EXPECT_EQ(p.x, 3);
  EXPECT_EQ(p.y, 4);
}

TEST_P(PanicTest, RecoverOutsideADeferredCallReturnsNothing) {
  bool inBody = true, inGoroutine = true, inDeferNoPanic = true, firstToRun = false, secondToRun = true;
  runOk([&] {
    inBody = recover().has_value();
    auto done = make_chan<bool>();
    go([&] {
      inGoroutine = recover().has_value();
      done.send(true);
    });
    done.recv();
    // A deferred call run by a normal return sees no panic.
    func([&](Defer& defer) { defer([&] { inDeferNoPanic = recover().has_value(); }); });
    func([&](Defer& defer) {
      defer([&] { secondToRun = recover().has_value(); });
      defer([&] { firstToRun = recover().has_value(); });
      panic("x");
    });
  });
  EXPECT_FALSE(inBody);
  EXPECT_FALSE(inGoroutine);
  EXPECT_FALSE(inDeferNoPanic);
  EXPECT_TRUE(firstToRun) << "the last deferred call registered runs first and takes the panic";
  EXPECT_FALSE(secondToRun);
}

TEST_P(PanicTest, SecondRecoverReturnsNothing) {
  bool first = false, secondSameCall = true, laterCall = true;
  runOk([&] {
    func([&](Defer& defer) {
      defer([&] { laterCall = recover().has_value(); });
      defer([&] {
        first = recover().has_value();
        secondSameCall = recover().has_value();
      });
      panic("once");
    });
  });
  EXPECT_TRUE(first);
  EXPECT_FALSE(secondSameCall);
  EXPECT_FALSE(laterCall) << "a recovered panic is gone for the remaining deferred calls";
}

TEST_P(PanicTest, DeferredCallsRunLastInFirstOut) {
  std::string normal, panicking;
  bool afterPanicRan = false;
  runOk([&] {
    func([&](Defer& defer) {
      for (char c : std::string("abcd")) defer([&normal, c] { normal += c; });
      normal += '-';
    });
    func([&](Defer& defer) {
      defer([&] { (void)recover(); });
      for (char c : std::string("wxyz")) defer([&panicking, c] { panicking += c; });
      panicking += '-';
      panic("stop");
      afterPanicRan = true;
    });
  });
  EXPECT_EQ(normal, "-dcba");
  EXPECT_EQ(panicking, "-zyxw");
  EXPECT_FALSE(afterPanicRan);
}

TEST_P(PanicTest, DeferredCallsOfNestedFramesRunInnermostFirst) {
  std::string order;
  std::string recovered;
  runOk([&] {
    func([&](Defer& defer) {
      defer([&] {
        order += "outer";
        if (auto r = recover()) recovered = r->message();
      });
      func([&](Defer& defer2) {
        defer2([&] { order += "inner,"; });
        panic("deep");
      });
      order += "not reached,";
    });
  });
  EXPECT_EQ(order, "inner,outer");
  EXPECT_EQ(recovered, "deep");
}

TEST_P(PanicTest, PanicInADeferredCallReplacesTheOneInFlight) {
  std::string recovered;
  std::string ran;
  runOk([&] {
    func([&](Defer& defer) {
      defer([&] {
        if (auto r = recover()) recovered = r->message();
      });
      defer([&] { ran += "after-second,"; });
      defer([&] { panic("second"); });
      panic("first");
    });
  });
  EXPECT_EQ(recovered, "second");
  EXPECT_EQ(ran, "after-second,") << "the remaining deferred calls run for the new panic";
}

TEST_P(PanicTest, PanicInADeferredCallAfterNormalReturnCanBeRecovered) {
  std::string recovered;
  int result = -1;
  runOk([&] {
    result = func([&](Defer& defer) -> int {
      defer([&] {
        if (auto r = recover()) recovered = r->message();
      });
      defer([] { panic("late"); });
      return 7;
    });
  });
  EXPECT_EQ(recovered, "late");
  // As in Go (f() returns 7 there too): the return statement set the result
  // before the deferred calls ran.
  EXPECT_EQ(result, 7);
}

TEST_P(PanicTest, RecoveredFuncReturnsValueInitialisedResult) {
  struct Pair {
    int a;
    std::string b;
  };
  int i = -1;
  std::string s = "unset";
  Pair pr{-1, "unset"};
  double d = -1;
  int normal = 0;
  runOk([&] {
    auto recoverAll = [](Defer& defer) { defer([] { (void)recover(); }); };
    i = func([&](Defer& defer) -> int {
      recoverAll(defer);
      panic("i");
    });
    s = func([&](Defer& defer) -> std::string {
      recoverAll(defer);
      panic("s");
    });
    pr = func([&](Defer& defer) -> Pair {
      recoverAll(defer);
      panic("p");
    });
    d = func([&](Defer& defer) -> double {
      recoverAll(defer);
      throw std::runtime_error("d");
    });
    normal = func([&](Defer& defer) -> int {
      recoverAll(defer);
      return 99;
    });
  });
  EXPECT_EQ(i, 0);
  EXPECT_EQ(s, "");
  EXPECT_EQ(pr.a, 0);
  EXPECT_EQ(pr.b, "");
  EXPECT_EQ(d, 0.0);
  EXPECT_EQ(normal, 99);
}

TEST_P(PanicTest, CppExceptionsAreRecoverableAsPanics) {
  std::vector<std::string> got;
  runOk([&] {
    auto catchOne = [&](auto thrower) {
      func([&](Defer& defer) {
        defer([&] {
          if (auto r = recover()) got.push_back(r->message());
        });
        thrower();
      });
    };
    catchOne([] { throw std::runtime_error("disk on fire"); });
    catchOne([] { throw std::out_of_range("index 9"); });
    catchOne([] { throw 17; });
  });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "std::runtime_error: disk on fire");
  EXPECT_EQ(got[1], "std::out_of_range: index 9") << "the dynamic type is named";
  EXPECT_EQ(got[2], "unknown C++ exception");
}

TEST_P(PanicTest, UnrecoveredPanicPassesThroughFuncToTheCaller) {
  std::string outer;
  bool innerDeferRan = false;
  bool afterInner = false;
  runOk([&] {
    func([&](Defer& defer) {
      defer([&] {
        if (auto r = recover()) outer = r->message();
      });
      func([&](Defer& inner) {
        inner([&] { innerDeferRan = true; });  // runs, but does not recover
        panic(std::string("through"));
      });
      afterInner = true;
    });
  });
  EXPECT_TRUE(innerDeferRan);
  EXPECT_FALSE(afterInner);
  EXPECT_EQ(outer, "through");
}

TEST_P(PanicTest, DeferredCallsMayBlockWhilePanicking) {
  // A deferred call parks on a channel in the middle of a panic; the other
  // goroutine's own panics and catch blocks must not disturb it.
  std::atomic<int> recovered{0};
  runOk([&] {
    auto a = make_chan<int>();
    auto b = make_chan<int>();
    WaitGroup wg;
    wg.Add(2);
    go([&] {
      func([&](Defer& defer) {
        defer([&] { wg.Done(); });
        defer([&] {
          a.send(1);       // blocks until the other goroutine receives
          int v = b.recv();
          if (auto r = recover(); r && r->message() == "left" && v == 2) recovered++;
        });
        panic("left");
      });
    });
    go([&] {
      func([&](Defer& defer) {
        defer([&] { wg.Done(); });
        defer([&] {
          int v = a.recv();
          b.send(2);
          if (auto r = recover(); r && r->message() == "right" && v == 1) recovered++;
        });
        panic("right");
      });
    });
    wg.Wait();
  });
  EXPECT_EQ(recovered.load(), 2);
}

TEST_P(PanicTest, BlockingInsideCatchBlocksKeepsEachGoroutinesException) {
  // Each goroutine blocks inside its own catch block, then rethrows: the
  // exception in hand must still be its own (per-context EH state).
  std::atomic<int> ok{0};
  runOk([&] {
    constexpr int kN = 6;
    auto ping = make_chan<int>();
    WaitGroup wg;
    for (int i = 0; i < kN; i++) {
      wg.Add(1);
      go([&, i] {
        try {
          try {
            throw std::runtime_error("g" + std::to_string(i));
          } catch (const std::runtime_error&) {
            if (i % 2 == 0) {
              ping.send(i);
            } else {
              (void)ping.recv();
            }
            Gosched();
            throw;
          }
        } catch (const std::runtime_error& e) {
          if (e.what() == "g" + std::to_string(i)) ok++;
        }
        wg.Done();
      });
    }
    wg.Wait();
  });
  EXPECT_EQ(ok.load(), 6);
}

TEST_P(PanicTest, RecoveredGoroutineCarriesOn) {
  std::atomic<int> after{0};
  runOk([&] {
    auto done = make_chan<int>(4);
    for (int i = 0; i < 4; i++) {
      go([&, i] {
        func([&](Defer& defer) {
          defer([] { (void)recover(); });
          if (i % 2 == 0) panic(i);
        });
        after++;
        done.send(i);
      });
    }
    for (int i = 0; i < 4; i++) done.recv();
  });
  EXPECT_EQ(after.load(), 4);
}

TEST_P(PanicTest, GoexitRunsDeferredCallsAndIsNotRecoverable) {
  std::string trace;
  bool sawPanic = true;
  bool caughtAsStdException = false;
  bool afterGoexit = false;
  runOk([&] {
    auto done = make_chan<bool>();
    int before = NumGoroutine();
    int during = 0;
    go([&] {
      func([&](Defer& outer) {
        outer([&] {
          trace += "outer,";
          done.send(true);
        });
        try {
          func([&](Defer& defer) {
            defer([&] {
              trace += "inner,";
              sawPanic = recover().has_value();
            });
            Goexit();
          });
        } catch (const std::exception&) {
          caughtAsStdException = true;
        }
        afterGoexit = true;
      });
      afterGoexit = true;
    });
    done.recv();
    // The goroutine is gone once its last deferred call returns.
    for (int i = 0; i < 100000 && NumGoroutine() > before; i++) Gosched();
    during = NumGoroutine();
    EXPECT_EQ(during, before);
  });
  EXPECT_EQ(trace, "inner,outer,");
  EXPECT_FALSE(sawPanic);
  EXPECT_FALSE(caughtAsStdException) << "Goexit is not a std::exception";
  EXPECT_FALSE(afterGoexit);
}

INSTANTIATE_TEST_SUITE_P(Configs, PanicTest, ::testing::ValuesIn(standardConfigs()), ConfigName());

// ---------------------------------------------------------------------------
// How panic values print: Go's printpanicval (print.go) for basic kinds,
// Error() for errors, "(Type) 0xADDR" for everything else.

std::string printed(const Panic& p) { return p.message(); }

TEST(PanicValue, Integers) {
  EXPECT_EQ(printed(Panic(42)), "42");
  EXPECT_EQ(printed(Panic(-7)), "-7");
  EXPECT_EQ(printed(Panic(std::numeric_limits<int64_t>::max())), "9223372036854775807");
  EXPECT_EQ(printed(Panic(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(printed(Panic(std::numeric_limits<uint64_t>::max())), "18446744073709551615");
  EXPECT_EQ(printed(Panic(static_cast<uint8_t>(200))), "200");  // a Go byte prints as a number
}

TEST(PanicValue, Bools) {
  EXPECT_EQ(printed(Panic(true)), "true");
  EXPECT_EQ(printed(Panic(false)), "false");
}

TEST(PanicValue, FloatsUseGosPrintFormat) {
  // Checked against Go 1.19's println(float64).
  EXPECT_EQ(printed(Panic(1.5)), "+1.500000e+000");
  EXPECT_EQ(printed(Panic(-2.25)), "-2.250000e+000");
  EXPECT_EQ(printed(Panic(0.0)), "+0.000000e+000");
  EXPECT_EQ(printed(Panic(-0.0)), "-0.000000e+000");
  EXPECT_EQ(printed(Panic(1e100)), "+1.000000e+100");
  EXPECT_EQ(printed(Panic(1e-5)), "+1.000000e-005");
  EXPECT_EQ(printed(Panic(123456789.0)), "+1.234568e+008");
  EXPECT_EQ(printed(Panic(0.1)), "+1.000000e-001");
  EXPECT_EQ(printed(Panic(1.0 / 3)), "+3.333333e-001");
  EXPECT_EQ(printed(Panic(1.5f)), "+1.500000e+000") << "float32 prints as float64";
  EXPECT_EQ(printed(Panic(std::nan(""))), "NaN");
  EXPECT_EQ(printed(Panic(std::numeric_limits<double>::infinity())), "+Inf");
  EXPECT_EQ(printed(Panic(-std::numeric_limits<double>::infinity())), "-Inf");
}

TEST(PanicValue, Strings) {
  EXPECT_EQ(printed(Panic(std::string("boom"))), "boom");
  EXPECT_EQ(printed(Panic("literal")), "literal");
  EXPECT_EQ(printed(Panic(std::string())), "");
  EXPECT_EQ(printed(Panic(std::string("two\nlines"))), "two\nlines");
}

TEST(PanicValue, ErrorsPrintTheirErrorText) {
  EXPECT_EQ(printed(Panic(NotFound("user 12"))), "not found: user 12");
}

TEST(PanicValue, StdExceptionValuesPrintWhat) {
  EXPECT_EQ(printed(Panic(std::runtime_error("plain"))), "plain");
}

// "(" + type + ") 0x" + hex digits.
bool isTypeAndAddress(const std::string& s, const std::string& type) {
  std::string head = "(" + type + ") 0x";
  if (!startsWith(s, head) || s.size() == head.size()) return false;
  return s.find_first_not_of("0123456789abcdef", head.size()) == std::string::npos;
}

TEST(PanicValue, OtherTypesPrintTypeAndAddress) {
  std::string s = printed(Panic(Point{1, 2}));
  EXPECT_TRUE(isTypeAndAddress(s, "gort::testing::(anonymous namespace)::Point")) << s;
  int x = 0;
  std::string ptr = printed(Panic(&x));
  EXPECT_TRUE(isTypeAndAddress(ptr, "int*")) << ptr;
}

TEST(PanicValue, RuntimeErrorsCarryThePrefix) {
  Panic rt = Panic::runtime("index out of range [5] with length 3", true);
  EXPECT_EQ(rt.message(), "runtime error: index out of range [5] with length 3");
  EXPECT_TRUE(rt.isRuntimeError());
  Panic plain = Panic::runtime("send on closed channel", false);
  EXPECT_EQ(plain.message(), "send on closed channel");
  EXPECT_FALSE(plain.isRuntimeError());
}

// The value's text is what an unrecovered panic prints after "panic: ".
TEST(PanicValue, UnrecoveredPanicPrintsTheFormattedValue) {
  struct Case {
    std::function<void()> raise;
    std::string headline;
  };
  std::vector<Case> cases = {
      {[] { panic(1.5); }, "panic: +1.500000e+000\n"},
      {[] { panic(-3); }, "panic: -3\n"},
      {[] { panic(true); }, "panic: true\n"},
      {[] { panic(NotFound("row")); }, "panic: not found: row\n"},
      {[] { throw std::logic_error("bad state"); }, "panic: std::logic_error: bad state\n"},
  };
  for (size_t i = 0; i < cases.size(); i++) {
    Config cfg{Mode::Deterministic, 1, 10 + i};
    Outcome o = run(cfg, [&] { func([&](Defer&) { cases[i].raise(); }); });
    EXPECT_EQ(o.status, 2) << replay(cfg);
    EXPECT_EQ(o.failure.kind, FailureKind::Panic) << replay(cfg);
    EXPECT_TRUE(startsWith(o.failure.report, cases[i].headline + "\ngoroutine 1 [running]:\n"))
        << replay(cfg) << "\n"
        << o.failure.report;
  }
}

}  // namespace
}  // namespace gort::testing
