// Channels and select, after Go's runtime/chan_test.go: blocking and
// non-blocking send and receive, len and cap, close, range, select
// fairness and stress, and the corner cases select has to get right (its
// own send and receive on one channel, duplicate channels, nil cases).

#include <gtest/gtest.h>

#include <any>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/sched/sched_test_util.h"

namespace gort::testing {
namespace {

using std::chrono::milliseconds;

class ChanTest : public ConfigTest {};

// Capacities TestChan walks through (a subset of Go's 0..199, to stay fast).
const int kCaps[] = {0, 1, 2, 3, 7, 16, 100};

TEST_P(ChanTest, ReceiveFromEmptyChannelBlocks) {
  runOk([] {
    for (int cap : kCaps) {
      auto c = make_chan<int>(cap);
      std::atomic<bool> recv1{false}, recv2{false};
      WaitGroup wg;
      wg.Add(2);
      go([&] {
        (void)c.recv();
        recv1 = true;
        wg.Done();
      });
      go([&] {
        (void)c.recv2();
        recv2 = true;
        wg.Done();
      });
      Sleep(milliseconds(1));
      EXPECT_FALSE(recv1.load() || recv2.load()) << "cap " << cap << ": received from an empty channel";
      // Non-blocking receives take the default case.
      bool tookDefault = false;
      select(recv(c, [] {}), default_([&] { tookDefault = true; }));
      EXPECT_TRUE(tookDefault) << "cap " << cap;
      tookDefault = false;
      select(recv(c, [](int, bool) {}), default_([&] { tookDefault = true; }));
      EXPECT_TRUE(tookDefault) << "cap " << cap;
      c.send(0);
      c.send(0);
      wg.Wait();
      EXPECT_TRUE(recv1.load() && recv2.load());
    }
  });
}

TEST_P(ChanTest, SendToFullChannelBlocks) {
  runOk([] {
    for (int cap : kCaps) {
      auto c = make_chan<int>(cap);
      for (int i = 0; i < cap; i++) c.send(i);
      std::atomic<bool> sent{false};
      auto done = make_chan<bool>();
      go([&] {
        c.send(0);
        sent = true;
        done.send(true);
      });
      Sleep(milliseconds(1));
      EXPECT_FALSE(sent.load()) << "cap " << cap << ": sent to a full channel";
      bool tookDefault = false;
      select(gort::send(c, 0, [] {}), default_([&] { tookDefault = true; }));
      EXPECT_TRUE(tookDefault) << "cap " << cap;
      EXPECT_EQ(c.recv(), 0) << "cap " << cap << ": FIFO order";
      done.recv();
      EXPECT_TRUE(sent.load());
    }
  });
}

TEST_P(ChanTest, ClosedChannelYieldsBufferedValuesThenZeros) {
  runOk([] {
    for (int cap : kCaps) {
      auto c = make_chan<int>(cap);
      for (int i = 0; i < cap; i++) c.send(i + 1);
      c.close();
      for (int i = 0; i < cap; i++) {
        auto [v, ok] = c.recv2();
        EXPECT_EQ(v, i + 1) << "cap " << cap;
        EXPECT_TRUE(ok) << "cap " << cap << ": buffered values survive the close";
      }
      EXPECT_EQ(c.recv(), 0);
      for (int i = 0; i < 3; i++) {
        auto [v, ok] = c.recv2();
        EXPECT_EQ(v, 0);
        EXPECT_FALSE(ok);
      }
      // A select receive sees the close as well, and never the default.
      bool closedSeen = false;
      select(recv(c, [&](int v, bool ok) { closedSeen = v == 0 && !ok; }), default_([] {}));
      EXPECT_TRUE(closedSeen) << "cap " << cap;
    }
  });
}

TEST_P(ChanTest, CloseUnblocksEveryReceiver) {
  runOk([] {
    for (int cap : {0, 1, 8}) {
      auto c = make_chan<std::string>(cap);
      constexpr int kReceivers = 5;
      auto results = make_chan<bool>(kReceivers);
      for (int i = 0; i < kReceivers; i++) {
        go([c, results] {
          auto [v, ok] = c.recv2();
          results.send(v.empty() && !ok);
        });
      }
      Sleep(milliseconds(1));
      c.close();
      for (int i = 0; i < kReceivers; i++) EXPECT_TRUE(results.recv()) << "cap " << cap;
    }
  });
}

TEST_P(ChanTest, CloseMakesBlockedSendersPanic) {
  std::atomic<int> panicked{0};
  runOk([&] {
    auto c = make_chan<int>();
    constexpr int kSenders = 4;
    WaitGroup wg;
    wg.Add(kSenders);
    for (int i = 0; i < kSenders; i++) {
      go([&, i] {
        func([&](Defer& defer) {
          defer([&] {
            if (auto r = recover(); r && r->message() == "send on closed channel") panicked++;
            wg.Done();
          });
          c.send(i);
        });
      });
    }
    Sleep(milliseconds(1));
    c.close();
    wg.Wait();
  });
  EXPECT_EQ(panicked.load(), 4);
}

TEST_P(ChanTest, ValuesArriveUncorruptedInFifoOrder) {
  runOk([] {
    for (int cap : kCaps) {
      auto c = make_chan<int>(cap);
      go([c] {
        for (int i = 0; i < 100; i++) c.send(i);
      });
      for (int i = 0; i < 100; i++) EXPECT_EQ(c.recv(), i) << "cap " << cap;
      go([c] {
        for (int i = 0; i < 100; i++) c.send(i);
      });
      for (int i = 0; i < 100; i++) {
        auto [v, ok] = c.recv2();
        EXPECT_TRUE(ok);
        EXPECT_EQ(v, i) << "cap " << cap;
      }
    }
  });
}

TEST_P(ChanTest, ManySendersManyReceiversLoseNothing) {
  runOk([] {
    for (int cap : {0, 1, 16}) {
      constexpr int kP = 4;
      constexpr int kL = 500;
      auto c = make_chan<int>(cap);
      auto done = make_chan<std::map<int, int>>();
      for (int p = 0; p < kP; p++) {
        go([c] {
          for (int i = 0; i < kL; i++) c.send(i);
        });
      }
      for (int p = 0; p < kP; p++) {
        go([c, done] {
          std::map<int, int> got;
          for (int i = 0; i < kL; i++) got[c.recv()]++;
          done.send(std::move(got));
        });
      }
      std::map<int, int> all;
      for (int p = 0; p < kP; p++) {
        for (auto [k, n] : done.recv()) all[k] += n;
      }
      EXPECT_EQ(all.size(), static_cast<size_t>(kL)) << "cap " << cap;
      for (auto [k, n] : all) EXPECT_EQ(n, kP) << "value " << k << " cap " << cap;
    }
  });
}

TEST_P(ChanTest, LenAndCap) {
  runOk([] {
    for (int cap : kCaps) {
      auto c = make_chan<int>(cap);
      EXPECT_EQ(c.len(), 0);
      EXPECT_EQ(c.cap(), cap);
      for (int i = 0; i < cap; i++) {
        c.send(i);
        EXPECT_EQ(c.len(), i + 1);
      }
      EXPECT_EQ(c.cap(), cap);
      c.close();
      EXPECT_EQ(c.len(), cap) << "close leaves the buffer";
      (void)c.recv();
      EXPECT_EQ(c.len(), cap > 0 ? cap - 1 : 0);
    }
    Chan<int> nil;
    EXPECT_EQ(nil.len(), 0);
    EXPECT_EQ(nil.cap(), 0);
    EXPECT_FALSE(static_cast<bool>(nil));
  });
}

TEST_P(ChanTest, RangeReceivesUntilClose) {
  runOk([] {
    auto c = make_chan<int>(3);
    go([c] {
      for (int i = 1; i <= 50; i++) c.send(i);
      c.close();
    });
    int sum = 0, n = 0;
    for (int v : c) {
      sum += v;
      n++;
    }
    EXPECT_EQ(n, 50);
    EXPECT_EQ(sum, 50 * 51 / 2);
    // Ranging over a closed, drained channel ends at once.
    int more = 0;
    for (int v : c) more += v + 1;
    EXPECT_EQ(more, 0);
  });
}

TEST_P(ChanTest, CopiesShareTheChannel) {
  runOk([] {
    auto a = make_chan<int>(2);
    Chan<int> b = a;
    EXPECT_TRUE(a == b);
    b.send(5);
    EXPECT_EQ(a.len(), 1);
    EXPECT_EQ(a.recv(), 5);
    auto c = make_chan<int>(2);
    EXPECT_FALSE(a == c);
  });
}

// Element values are C++ objects: each one sent is destroyed exactly once,
// including those left in a buffer, and move-only types work.
struct Counted {
  static std::atomic<int> live;
  std::string payload;
  Counted() { live++; }
  explicit Counted(std::string p) : payload(std::move(p)) { live++; }
  Counted(Counted&& o) noexcept : payload(std::move(o.payload)) { live++; }
  Counted& operator=(Counted&& o) noexcept {
    payload = std::move(o.payload);
    return *this;
  }
  ~Counted() { live--; }
};
std::atomic<int> Counted::live{0};

TEST_P(ChanTest, ElementsAreDestroyedExactlyOnce) {
  Counted::live = 0;
  runOk([] {
    {
      auto c = make_chan<Counted>(4);
      c.send(Counted("a long string that does not fit in the small buffer"));
      c.send(Counted("b long string that does not fit in the small buffer"));
      EXPECT_EQ(c.recv().payload, "a long string that does not fit in the small buffer");
      // One element stays in the buffer when the channel goes away.
    }
    auto u = make_chan<Counted>();
    go([u] { u.send(Counted("direct")); });
    EXPECT_EQ(u.recv().payload, "direct");
    u.close();
    EXPECT_EQ(u.recv().payload, "");
  });
  EXPECT_EQ(Counted::live.load(), 0);
}

TEST_P(ChanTest, MoveOnlyAndAnyElements) {
  runOk([] {
    auto c = make_chan<std::unique_ptr<int>>(1);
    c.send(std::make_unique<int>(7));
    std::unique_ptr<int> p = c.recv();
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, 7);
    // TestChanSendInterface: interface values through select sends, with
    // the channel full so that the sends fall through to default.
    auto ai = make_chan<std::any>(1);
    ai.send(std::any(std::string("first")));
    bool fell = false;
    select(gort::send(ai, std::any(1), [] {}), default_([&] { fell = true; }));
    EXPECT_TRUE(fell);
    fell = false;
    select(gort::send(ai, std::any(2), [] {}), gort::send(ai, std::any(3.0), [] {}), default_([&] { fell = true; }));
    EXPECT_TRUE(fell);
    EXPECT_EQ(std::any_cast<std::string>(ai.recv()), "first");
  });
}

TEST_P(ChanTest, SelectCaseBodyThatPanicsStillDestroysTheValue) {
  Counted::live = 0;
  std::string recovered;
  runOk([&] {
    auto c = make_chan<Counted>(1);
    c.send(Counted("kept in the select's buffer while the case body runs"));
    func([&](Defer& defer) {
      defer([&] {
        if (auto r = recover()) recovered = r->message();
      });
      select(recv(c, [] { panic("in case body"); }));
    });
  });
  EXPECT_EQ(recovered, "in case body");
  EXPECT_EQ(Counted::live.load(), 0) << "the received element leaked";
}

// TestNonblockRecvRace: a non-blocking receive from a channel that holds a
// value (or is closed) must never take the default case.
TEST_P(ChanTest, NonblockingReceiveOfAReadyChannelNeverTakesDefault) {
  std::atomic<int> wrong{0};
  runOk([&] {
    for (int i = 0; i < 2000; i++) {
      auto c = make_chan<int>(1);
      c.send(1);
      WaitGroup wg;
      wg.Add(1);
      go([&, c] {
        select(recv(c, [] {}), default_([&] { wrong++; }));
        wg.Done();
      });
      c.close();
      (void)c.recv();
      wg.Wait();
    }
  });
  EXPECT_EQ(wrong.load(), 0);
}

// TestNonblockSelectRace (and 2): from the moment the goroutine exists, one
// of c1 and c2 is always ready, so its non-blocking select never defaults.
TEST_P(ChanTest, NonblockingSelectSeesOneMomentOfTheChannels) {
  std::atomic<int> wrong{0};
  runOk([&] {
    auto done = make_chan<bool>(1);
    for (int i = 0; i < 2000; i++) {
      bool viaClose = i % 2 == 1;
      auto c1 = make_chan<int>(1);
      auto c2 = make_chan<int>(viaClose ? 0 : 1);
      c1.send(1);
      go([c1, c2, done] {
        bool ready = true;
        select(recv(c1, [] {}), recv(c2, [] {}), default_([&] { ready = false; }));
        done.send(ready);
      });
      if (viaClose) {
        c2.close();
      } else {
        c2.send(1);
      }
      select(recv(c1, [] {}), default_([] {}));
      if (!done.recv()) wrong++;
    }
  });
  EXPECT_EQ(wrong.load(), 0);
}

// TestSelfSelect: a select with a send and a receive on one unbuffered
// channel never pairs the goroutine with itself.
TEST_P(ChanTest, SelectNeverReceivesItsOwnSend) {
  std::atomic<int> selfReceives{0};
  runOk([&] {
    for (int cap : {0, 10}) {
      auto c = make_chan<int>(cap);
      WaitGroup wg;
      wg.Add(2);
      for (int p = 0; p < 2; p++) {
        go([&, p, cap, c] {
          auto onRecv = [&](int v) {
            if (cap == 0 && v == p) selfReceives++;
          };
          for (int i = 0; i < 1000; i++) {
            if (p == 0 || i % 2 == 0) {
              select(gort::send(c, p, [] {}), recv(c, onRecv));
            } else {
              select(recv(c, onRecv), gort::send(c, p, [] {}));
            }
          }
          wg.Done();
        });
      }
      wg.Wait();
    }
  });
  EXPECT_EQ(selfReceives.load(), 0);
}

// TestSelectStress: plain and select senders and receivers on four channels
// of different capacities, all at once; counts must balance and nothing may
// deadlock.
TEST_P(ChanTest, SelectStress) {
  constexpr int kN = 2000;
  std::atomic<int> selectSent{0}, selectReceived{0};
  runOk([&] {
    std::vector<Chan<int>> c = {make_chan<int>(), make_chan<int>(), make_chan<int>(2), make_chan<int>(3)};
    WaitGroup wg;
    wg.Add(10);
    for (int k = 0; k < 4; k++) {
      go([&, k] {
        for (int i = 0; i < kN; i++) c[k].send(0);
        wg.Done();
      });
      go([&, k] {
        for (int i = 0; i < kN; i++) (void)c[k].recv();
        wg.Done();
      });
    }
    go([&] {
      std::vector<Chan<int>> live = c;  // a case is nil-ed once it has done its share
      int n[4] = {0, 0, 0, 0};
      auto sent = [&](int k) {
        selectSent++;
        if (++n[k] == kN) live[k] = Chan<int>();
      };
      for (int i = 0; i < 4 * kN; i++) {
        select(gort::send(live[3], 0, [&] { sent(3); }), gort::send(live[2], 0, [&] { sent(2); }),
               gort::send(live[0], 0, [&] { sent(0); }), gort::send(live[1], 0, [&] { sent(1); }));
      }
      wg.Done();
    });
    go([&] {
      std::vector<Chan<int>> live = c;
      int n[4] = {0, 0, 0, 0};
      auto got = [&](int k) {
        selectReceived++;
        if (++n[k] == kN) live[k] = Chan<int>();
      };
      for (int i = 0; i < 4 * kN; i++) {
        select(recv(live[0], [&] { got(0); }), recv(live[1], [&] { got(1); }), recv(live[2], [&] { got(2); }),
               recv(live[3], [&] { got(3); }));
      }
      wg.Done();
    });
    wg.Wait();
    for (auto& ch : c) EXPECT_EQ(ch.len(), 0);
  });
  EXPECT_EQ(selectSent.load(), 4 * kN);
  EXPECT_EQ(selectReceived.load(), 4 * kN);
}

// TestSelectFairness: with several cases ready, select picks uniformly.
// Three always-ready buffered channels and one that never is; each count
// must be within six standard deviations of n/3.
TEST_P(ChanTest, SelectPicksUniformlyAmongReadyCases) {
  constexpr int kTrials = 9000;
  int counts[4] = {0, 0, 0, 0};
  runOk([&] {
    auto a = make_chan<int>(kTrials + 1);
    auto b = make_chan<int>(kTrials + 1);
    auto c = make_chan<int>(kTrials + 1);
    auto never = make_chan<int>();
    for (int i = 0; i <= kTrials; i++) {
      a.send(0);
      b.send(1);
      c.send(2);
    }
    auto out = make_chan<int>();
    go([=] {
      for (int i = 0; i < kTrials; i++) {
        int got = -1;
        select(recv(never, [&](int) { got = 3; }), recv(a, [&](int v) { got = v; }), recv(b, [&](int v) { got = v; }),
               recv(c, [&](int v) { got = v; }));
        out.send(got);
      }
    });
    for (int i = 0; i < kTrials; i++) counts[out.recv()]++;
  });
  const double mean = kTrials / 3.0;
  const double sd = std::sqrt(kTrials * (1.0 / 3) * (2.0 / 3));
  for (int k = 0; k < 3; k++) {
    EXPECT_LT(std::abs(counts[k] - mean), 6 * sd)
        << "unfair select: " << counts[0] << " " << counts[1] << " " << counts[2] << " (" << replay(cfg()) << ")";
  }
  EXPECT_EQ(counts[3], 0);
}

// TestPseudoRandomSend: two send cases on one channel, both ready, are
// picked at random too.
TEST_P(ChanTest, SelectPicksRandomlyBetweenSendCases) {
  runOk([] {
    constexpr int kN = 200;
    for (int cap : {0, kN}) {
      auto c = make_chan<int>(cap);
      std::vector<int> got(kN);
      Mutex m;
      m.Lock();
      go([&] {
        for (int i = 0; i < kN; i++) {
          Gosched();
          got[static_cast<size_t>(i)] = c.recv();
        }
        m.Unlock();  // Go mutexes may be unlocked by another goroutine
      });
      for (int i = 0; i < kN; i++) select(gort::send(c, 1, [] {}), gort::send(c, 0, [] {}));
      m.Lock();
      int ones = 0;
      for (int v : got) ones += v;
      EXPECT_GT(ones, kN / 10) << "cap " << cap;
      EXPECT_LT(ones, kN - kN / 10) << "cap " << cap;
    }
  });
}

// TestMultiConsumer: many workers ranging over one queue, results summed.
TEST_P(ChanTest, MultiConsumer) {
  constexpr int kWorkers = 23;
  constexpr int kIter = 20000;
  const int pn[] = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
  int64_t expect = 0, sum = 0;
  int n = 0;
  runOk([&] {
    auto q = make_chan<int>(kWorkers * 3);
    auto r = make_chan<int>(kWorkers * 3);
    WaitGroup wg;
    for (int w = 0; w < kWorkers; w++) {
      wg.Add(1);
      go([&, w] {
        for (int v : q) {
          if (pn[w % 10] == v) Gosched();  // stir the order up
          r.send(v);
        }
        wg.Done();
      });
    }
    go([&] {
      for (int i = 0; i < kIter; i++) {
        int v = pn[i % 10];
        expect += v;
        q.send(v);
      }
      q.close();
      wg.Wait();
      r.close();
    });
    for (int v : r) {
      n++;
      sum += v;
    }
  });
  EXPECT_EQ(n, kIter);
  EXPECT_EQ(sum, expect);
}

// TestSelectDuplicateChannel: a select may queue on one channel twice;
// waking it through a third channel must leave the first one's queue intact.
TEST_P(ChanTest, SelectWithADuplicateChannel) {
  runOk([] {
    auto c = make_chan<int>();
    auto d = make_chan<int>();
    auto e = make_chan<int>();
    int gotD = 0, gotB = 0;
    go([&] {
      select(recv(c, [] {}), recv(c, [] {}), recv(d, [&](int v) { gotD = v; }));
      e.send(9);
    });
    Sleep(milliseconds(1));  // A queues on c (twice) first
    auto bDone = make_chan<bool>();
    go([&] {
      gotB = c.recv();
      bDone.send(true);
    });
    Sleep(milliseconds(1));  // then B
    d.send(7);               // wakes A, which takes itself off c
    EXPECT_EQ(e.recv(), 9);
    c.send(8);  // must reach B
    bDone.recv();
    EXPECT_EQ(gotD, 7);
    EXPECT_EQ(gotB, 8);
  });
}

TEST_P(ChanTest, SelectWithSendAndReceiveOnOneBufferedChannel) {
  runOk([] {
    auto c = make_chan<int>(2);
    int sends = 0, recvs = 0;
    auto once = [&] { select(gort::send(c, 1, [&] { sends++; }), recv(c, [&](int) { recvs++; })); };
    once();  // empty: only the send is ready
    EXPECT_EQ(sends, 1);
    EXPECT_EQ(recvs, 0);
    c.send(2);  // full: only the receive is ready
    once();
    EXPECT_EQ(recvs, 1);
    // One element of two: both are ready; over many rounds both happen.
    sends = recvs = 0;
    for (int i = 0; i < 400; i++) {
      while (c.len() != 1) {
        if (c.len() > 1) {
          (void)c.recv();
        } else {
          c.send(0);
        }
      }
      once();
    }
    EXPECT_GT(sends, 40);
    EXPECT_GT(recvs, 40);
    // Unbuffered with nobody else: neither case can proceed.
    auto u = make_chan<int>();
    bool fell = false;
    select(gort::send(u, 1, [] {}), recv(u, [] {}), default_([&] { fell = true; }));
    EXPECT_TRUE(fell);
  });
}

TEST_P(ChanTest, NilChannelCasesAreNeverChosen) {
  runOk([] {
    Chan<int> nilc;
    auto ready = make_chan<int>(1);
    int nilChosen = 0, readyChosen = 0, defaults = 0;
    for (int i = 0; i < 500; i++) {
      ready.send(i);
      select(recv(nilc, [&] { nilChosen++; }), gort::send(nilc, 1, [&] { nilChosen++; }),
             recv(ready, [&](int) { readyChosen++; }), default_([&] { defaults++; }));
    }
    EXPECT_EQ(nilChosen, 0);
    EXPECT_EQ(defaults, 0);
    EXPECT_EQ(readyChosen, 500);
    // Only nil cases and a default: the default, every time.
    for (int i = 0; i < 100; i++) select(recv(nilc, [&] { nilChosen++; }), default_([&] { defaults++; }));
    EXPECT_EQ(nilChosen, 0);
    EXPECT_EQ(defaults, 100);
    // Non-blocking operations on a nil channel do not block either.
    bool fell = false;
    select(gort::send(nilc, 1, [] {}), default_([&] { fell = true; }));
    EXPECT_TRUE(fell);
  });
}

TEST_P(ChanTest, SelectDefaultOnlyRunsWhenNothingIsReady) {
  runOk([] {
    auto c = make_chan<int>(1);
    int path = 0;
    select(recv(c, [&] { path = 1; }), default_([&] { path = 2; }));
    EXPECT_EQ(path, 2);
    c.send(4);
    select(recv(c, [&](int v) { path = v; }), default_([&] { path = 2; }));
    EXPECT_EQ(path, 4);
    select(default_([&] { path = 5; }));
    EXPECT_EQ(path, 5);
  });
}

TEST_P(ChanTest, BlockingSelectWakesOnTheFirstReadyChannel) {
  runOk([] {
    auto a = make_chan<int>();
    auto b = make_chan<std::string>();
    auto done = make_chan<int>();
    go([&] {
      int which = 0;
      std::string s;
      select(recv(a, [&] { which = 1; }), recv(b, [&](std::string v) {
               which = 2;
               s = std::move(v);
             }));
      EXPECT_EQ(s, "hello");
      done.send(which);
    });
    Sleep(milliseconds(1));
    b.send("hello");
    EXPECT_EQ(done.recv(), 2);
    // The losing case left nothing behind on a: a plain send now blocks
    // until someone receives.
    bool fell = false;
    select(gort::send(a, 1, [] {}), default_([&] { fell = true; }));
    EXPECT_TRUE(fell);
  });
}

// More cases than selectgo keeps in its frame (8): its scratch arrays move
// to the heap, and a blocked select over all of them still wakes on the one
// that becomes ready and leaves nothing queued on the others.
TEST_P(ChanTest, BlockingSelectOverMoreCasesThanFitInItsFrame) {
  runOk([] {
    std::vector<Chan<int>> cs;
    for (int i = 0; i < 10; i++) cs.push_back(make_chan<int>());
    auto done = make_chan<int>();
    go([&] {
      int which = -1;
      int got = 0;
      auto on = [&](int i) {
        return recv(cs[i], [&, i](int v, bool) {
          which = i;
          got = v;
        });
      };
      select(on(0), on(1), on(2), on(3), on(4), on(5), on(6), on(7), on(8), on(9));
      EXPECT_EQ(got, 42);
      done.send(which);
    });
    Sleep(milliseconds(1));
    cs[8].send(42);
    EXPECT_EQ(done.recv(), 8);
    for (int i = 0; i < 10; i++) {
      bool fell = false;
      select(gort::send(cs[i], 1, [] {}), default_([&] { fell = true; }));
      EXPECT_TRUE(fell) << "a receiver is still queued on channel " << i;
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Configs, ChanTest, ::testing::ValuesIn(standardConfigs()), ConfigName());

// Select fairness over several seeds in deterministic mode: each seed is a
// different pseudo-random stream, and each must be fair.
TEST(ChanSelectFairnessSeeds, FairUnderEverySeed) {
  for (const Config& cfg : detConfigs({1, 2}, {11, 12, 13, 14})) {
    constexpr int kTrials = 3000;
    int counts[2] = {0, 0};
    Outcome o = run(cfg, [&] {
      auto a = make_chan<int>(1);
      auto b = make_chan<int>(1);
      for (int i = 0; i < kTrials; i++) {
        if (a.len() == 0) a.send(0);
        if (b.len() == 0) b.send(1);
        select(recv(a, [&](int v) { counts[v]++; }), recv(b, [&](int v) { counts[v]++; }));
      }
    });
    GORT_EXPECT_OK(o, cfg);
    double sd = std::sqrt(kTrials * 0.25);
    EXPECT_LT(std::abs(counts[0] - kTrials / 2.0), 6 * sd)
        << counts[0] << " vs " << counts[1] << " " << replay(cfg);
  }
}

}  // namespace
}  // namespace gort::testing
