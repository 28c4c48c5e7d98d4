// Concurrent use (M24, M31, M39, M42, M46, M59): unsynchronised writers,
// readers and iterators are caught with Go's fatal errors, reproducibly per
// seed in deterministic mode (runtime/crash_test.go TestConcurrentMapWrites,
// TestConcurrentMapReadWrite, TestConcurrentMapIterateWrite; conformance
// fatal_errors.json); synchronised use is clean, also on real threads
// under TSan (TestConcurrentReadsAfterGrowth; the *Parallel* cases).

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

Config det2(uint64_t seed) { return Config{Mode::Deterministic, 2, seed}; }

// Two goroutines m[i] = i on one map, as fatal_errors.json case a.
void twoWriters(int64_t iters) {
  auto m = make_map<int64_t, int64_t>();
  WaitGroup wg;
  wg.Add(2);
  for (int w = 0; w < 2; w++) {
    go([m, &wg, iters] {
      for (int64_t i = 0; i < iters; i++) (*m)[i & 0xffff] = i;
      wg.Done();
    });
  }
  wg.Wait();
}

// Runs body under seeds 1..10 (two virtual Ps); each run that fails must
// fail with the fatal error `want`. Returns how many failed.
int fatalRuns(const std::function<void()>& body, const std::string& want) {
  int crashed = 0;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    Outcome o = run(det2(seed), body);
    if (o.status == 0) continue;
    crashed++;
    EXPECT_EQ(o.failure.kind, FailureKind::Fatal) << "seed " << seed;
    EXPECT_EQ(o.failure.message, want) << "seed " << seed;
  }
  return crashed;
}

TEST(MapRace, ConcurrentMapWrites) {
  int crashed = 0;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    Outcome o = run(det2(seed), [] { twoWriters(100000); });
    if (o.status == 0) continue;
    crashed++;
    EXPECT_EQ(o.status, 2);
    EXPECT_EQ(o.failure.kind, FailureKind::Fatal);
    EXPECT_EQ(o.failure.message, "concurrent map writes") << "seed " << seed;
    EXPECT_EQ(o.failure.report.rfind("fatal error: concurrent map writes\n\ngoroutine ", 0), 0u) << o.failure.report;
    EXPECT_EQ(o.failure.seed, seedOr(seed)) << "the failure names the seed that replays it";
  }
  EXPECT_EQ(crashed, 10) << "Go crashes in 10 runs out of 10 (fatal_errors.json)";
}

// The point of deterministic mode: the seed replays the crash exactly.
TEST(MapRace, SameSeedSameCrash) {
  for (uint64_t seed : {3, 17}) {
    auto body = [] { twoWriters(100000); };
    Outcome a = run(det2(seed), body);
    Outcome b = run(det2(seed), body);
    ASSERT_EQ(a.status, 2);
    EXPECT_EQ(a.failure.message, b.failure.message);
    EXPECT_EQ(a.failure.goid, b.failure.goid);
    EXPECT_EQ(a.failure.report, b.failure.report) << "byte for byte";
  }
  // And different seeds interleave differently.
  if (std::getenv("GORT_SEED") != nullptr) return;  // GORT_SEED makes every run the same one
  std::set<std::string> reports;
  for (uint64_t seed = 1; seed <= 6; seed++) reports.insert(run(det2(seed), [] { twoWriters(100000); }).failure.report);
  EXPECT_GT(reports.size(), 1u);
}

// fatal_errors.json: the crash rate grows with the number of writes.
TEST(MapRace, DetectionRateGrowsWithWrites) {
  if (std::getenv("GORT_SEED") != nullptr) GTEST_SKIP() << "a rate over seeds; GORT_SEED fixes one";
  auto rate = [](int64_t iters) {
    int n = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) n += run(det2(seed), [iters] { twoWriters(iters); }).status != 0;
    return n;
  };
  int r1 = rate(1), r1000 = rate(1000);
  EXPECT_GE(r1000, 12) << "Go: 83% at 1000 writes each";
  EXPECT_LE(r1, r1000);
}

TEST(MapRace, ConcurrentMapReadWrite) {
  int crashed = fatalRuns(
      [] {
        auto m = make_map<int64_t, int64_t>();
        WaitGroup wg;
        wg.Add(2);
        go([m, &wg] {
          for (int64_t i = 0; i < 100000; i++) (*m)[i & 0xffff] = i;
          wg.Done();
        });
        go([m, &wg] {
          int64_t sum = 0;
          for (int64_t i = 0; i < 100000; i++) sum += m->get(i & 0xffff);
          wg.Done();
        });
        wg.Wait();
      },
      "concurrent map read and map write");
  EXPECT_GE(crashed, 8);
}

TEST(MapRace, ConcurrentMapIterateWrite) {
  int crashed = fatalRuns(
      [] {
        auto m = make_map<int64_t, int64_t>();
        for (int64_t i = 0; i < 1000; i++) (*m)[i] = i;
        WaitGroup wg;
        wg.Add(2);
        go([m, &wg] {
          for (int64_t i = 0; i < 100000; i++) (*m)[i & 0xffff] = i;
          wg.Done();
        });
        go([m, &wg] {
          int64_t sum = 0;
          for (int r = 0; r < 100; r++) {
            for (auto [k, v] : *m) sum += v;
          }
          wg.Done();
        });
        wg.Wait();
      },
      "concurrent map iteration and map write");
  EXPECT_GE(crashed, 8);
}

// Deletes and clear are writes too (M42, M63).
TEST(MapRace, DeleteAndClearAreWrites) {
  int crashed = fatalRuns(
      [] {
        auto m = make_map<int64_t, int64_t>();
        for (int64_t i = 0; i < 100; i++) (*m)[i] = i;
        WaitGroup wg;
        wg.Add(2);
        go([m, &wg] {
          for (int64_t i = 0; i < 100000; i++) m->del(i % 100);
          wg.Done();
        });
        go([m, &wg] {
          for (int64_t i = 0; i < 100000; i++) {
            (*m)[i % 100] = i;
            if (i % 1000 == 0) m->clear();
          }
          wg.Done();
        });
        wg.Wait();
      },
      "concurrent map writes");
  EXPECT_GE(crashed, 8);
}

// With one P a goroutine is switched only where a one-CPU Go program could
// be: writes that allocate nothing are never interrupted, so they are
// never caught (the check is best effort, not a lock). update() is one
// write; (*m)[k] += 1 would be a read and a write, and a switch between
// the two loses an increment, as in Go.
TEST(MapRace, OneProcWritesWithoutAllocationAreNotInterleaved) {
  for (uint64_t seed = 1; seed <= 5; seed++) {
    mapRun(
        [] {
          auto m = make_map<int64_t, int64_t>(1000);
          for (int64_t i = 0; i < 1000; i++) (*m)[i] = i;
          WaitGroup wg;
          wg.Add(2);
          for (int w = 0; w < 2; w++) {
            go([m, &wg] {
              for (int64_t i = 0; i < 50000; i++) m->update(i % 1000, [](int64_t& v) { v++; });
              wg.Done();
            });
          }
          wg.Wait();
          int64_t sum = 0;
          for (auto [k, v] : *m) sum += v - k;
          EXPECT_EQ(sum, 100000) << "no write was lost: none interleaved";
        },
        det1(seed));
  }
}

// Synchronised writers: no fatal error, no lost write, in every standard
// configuration (the parallel one runs under TSan, with the collector
// marking the map's buckets while the writers change them).
class MapSync : public MapConfigTest {};

TEST_P(MapSync, WritersUnderAMutex) {
  runOk([] {
    auto m = make_map<String, int64_t>();
    Mutex mu;
    WaitGroup wg;
    const int writers = 4;
    const int64_t per = mscaled(20000);
    wg.Add(writers);
    for (int w = 0; w < writers; w++) {
      go([m, &mu, &wg, w, per] {
        for (int64_t i = 0; i < per; i++) {
          std::string k = std::to_string(i % 5000) + "/" + std::to_string(w);
          mu.Lock();
          (*m)[k] += 1;
          if (i % 7 == 0) m->del(std::to_string((i + 3) % 5000) + "/" + std::to_string(w));
          mu.Unlock();
        }
        wg.Done();
      });
    }
    wg.Wait();
    mu.Lock();
    EXPECT_TRUE(mapConsistent(*m));
    int64_t n = 0;
    for (auto [k, v] : *m) n += v > 0;
    EXPECT_EQ(n, m->len());
    mu.Unlock();
  });
}

// TestConcurrentReadsAfterGrowth: many readers (range and lookup) of a map
// that grows between rounds.
TEST_P(MapSync, ConcurrentReadsAfterGrowth) {
  runOk([] {
    const int numLoop = 2, numGrowStep = static_cast<int>(mscaled(100, 2)), numReader = 8;
    for (int l = 0; l < numLoop; l++) {
      auto m = make_map<int64_t, int64_t>();
      for (int64_t gs = 0; gs < numGrowStep; gs++) {
        (*m)[gs] = gs;
        WaitGroup wg;
        wg.Add(numReader * 2);
        for (int r = 0; r < numReader; r++) {
          go([m, &wg] {
            int64_t n = 0;
            for (auto [k, v] : *m) n += k == v;
            EXPECT_EQ(n, m->len());
            wg.Done();
          });
          go([m, &wg, gs] {
            for (int64_t key = 0; key < gs; key++) EXPECT_EQ(m->get(key), key);
            wg.Done();
          });
        }
        wg.Wait();
      }
    }
  });
}

// Readers and a writer under an RWMutex, with collections going on.
TEST_P(MapSync, ReadersAndWriterUnderRWMutex) {
  runOk(
      [] {
          auto m = make_map<int64_t, String>();
          RWMutex mu;
          WaitGroup wg;
          wg.Add(3);
          go([m, &mu, &wg] {
            for (int64_t i = 0; i < mscaled(20000); i++) {
              Local<String> v = String::from(std::to_string(i));
              mu.Lock();
              (*m)[i % 3000] = *v;
              mu.Unlock();
            }
            wg.Done();
          });
          for (int r = 0; r < 2; r++) {
            go([m, &mu, &wg] {
              for (int round = 0; round < mscaled(40, 4); round++) {
                mu.RLock();
                for (auto [k, v] : *m) EXPECT_EQ(std::stoll(v.str()) % 3000, k);
                mu.RUnlock();
              }
              wg.Done();
            });
          }
          wg.Wait();
      },
      godebug("gcstress=500"));
}

INSTANTIATE_TEST_SUITE_P(Configs, MapSync, ::testing::ValuesIn(standardConfigs()), ConfigName());

}  // namespace
}  // namespace gort::testing
