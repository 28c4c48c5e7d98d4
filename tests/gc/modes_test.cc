// The collector's debug modes: GODEBUG=gcstoptheworld=1 (mark with the
// world stopped) and =2 (sweep too), and gort's gcstress=N (a cycle every N
// allocations), over list, string and slice workloads with verify mode on:
// everything reachable survives, and nothing leaks (the live object count
// comes back to its baseline once the roots are dropped).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/gc/gc_test_util.h"

namespace gort::testing {
namespace {

struct Mixed {
  Ptr<Mixed> next;
  String name;
  Slice<int64_t> nums;
  Slice<Ptr<Node>> nodes;
  int64_t id = 0;
  void trace(Visitor& v) const {
    v(next);
    v(name);
    v(nums);
    v(nodes);
  }
};

Global<Mixed> gMixed;

// A workload that mixes lists, Strings, substrings and growing Slices, held
// by Locals, a Global and heap fields, with garbage in between. Checks
// itself as it goes; returns whether everything was intact.
::testing::AssertionResult mixedWorkload(int64_t n) {
  Local<Mixed> head;
  for (int64_t i = 0; i < n; i++) {
    Local<Mixed> m = New<Mixed>();
    m->id = i;
    Local<String> full = String::from("item-" + std::to_string(i) + "-padding-padding");
    m->name = *full->substr(0, full->view().find("-padding"));
    for (int64_t k = 0; k <= i % 17; k++) m->nums.appendInPlace(i * 100 + k);
    if (i % 3 == 0) m->nodes.appendInPlace(New<Node>(i).get());
    m->next = head.get();
    head = m;
    if (i % 50 == 0) churn(16 << 10);
  }
  gMixed = head;
  head = nullptr;
  churn(256 << 10);
  int64_t i = n - 1;
  for (Mixed* m = gMixed.get(); m != nullptr; m = m->next.get(), i--) {
    if (m->id != i) return ::testing::AssertionFailure() << "id " << m->id << ", want " << i;
    if (m->name.view() != "item-" + std::to_string(i)) {
      return ::testing::AssertionFailure() << "item " << i << " name " << m->name.str();
    }
    if (m->nums.len() != static_cast<size_t>(i % 17 + 1)) return ::testing::AssertionFailure() << "item " << i << " nums";
    for (size_t k = 0; k < m->nums.len(); k++) {
      if (m->nums[k] != i * 100 + static_cast<int64_t>(k)) return ::testing::AssertionFailure() << "item " << i << " num " << k;
    }
    if (i % 3 == 0 && (m->nodes.len() != 1 || !m->nodes[0]->intact(i))) {
      return ::testing::AssertionFailure() << "item " << i << " node";
    }
  }
  if (i != -1) return ::testing::AssertionFailure() << "list ended at " << i;
  gMixed = nullptr;
  return ::testing::AssertionSuccess();
}

struct ModeCase {
  Config cfg;
  std::string godebug;
};
void PrintTo(const ModeCase& c, std::ostream* os) { *os << "GODEBUG=" << c.godebug << " " << c.cfg.name(); }

std::vector<ModeCase> modeCases() {
  std::vector<ModeCase> out;
  for (const char* gd : {"gcstoptheworld=1", "gcstoptheworld=2", "gcstress=7", "gcstress=50"}) {
    for (const Config& c : standardConfigs()) out.push_back({c, std::string("gcverify=1,") + gd});
  }
  return out;
}

std::string modeName(const ::testing::TestParamInfo<ModeCase>& info) {
  std::string gd = info.param.godebug.substr(info.param.godebug.find(',') + 1);
  std::string s;
  for (char ch : gd) s += (ch == '=' ? '_' : ch);
  return s + "_" + info.param.cfg.name();
}

class Modes : public ::testing::TestWithParam<ModeCase> {
 protected:
  void SetUp() override { gDestroyed.store(0); }
  void runOk(const std::function<void()>& body) {
    testing::runOk(GetParam().cfg, body, withGodebug(GetParam().godebug));
  }
};

TEST_P(Modes, ListsSurviveAndGarbageIsFreed) {
  const int64_t n = scaled(GetParam().godebug.find("gcstress=7") != std::string::npos ? 3000 : 20000);
  runOk([&] {
    uint64_t base = liveObjects();
    MemStats m0 = readMemStats();
    {
      Local<Node> head = buildList(n);
      churn(8 << 20);  // twice the first trigger: cycles of the pacer's too
      GC();
      EXPECT_TRUE(listIntact(head.get(), n));
    }
    GC();
    MemStats m1 = readMemStats();
    EXPECT_GT(m1.NumGC - m0.NumGC, 2u);
    EXPECT_EQ(liveObjects(), base) << "nothing leaks";
    EXPECT_EQ(m1.HeapObjects, m0.HeapObjects);
  });
}

TEST_P(Modes, StringsSlicesAndHeapFieldsSurvive) {
  const int64_t n = scaled(GetParam().godebug.find("gcstress=7") != std::string::npos ? 400 : 2000);
  runOk([&] {
    uint64_t base = liveObjects();
    EXPECT_TRUE(mixedWorkload(n));
    GC();
    EXPECT_EQ(liveObjects(), base) << "nothing leaks once the roots are dropped";
  });
}

TEST_P(Modes, CyclesAreFreed) {
  runOk([&] {
    uint64_t base = liveObjects();
    for (int r = 0; r < 200; r++) {
      Local<CountedNode> a = New<CountedNode>(1);
      Local<CountedNode> b = New<CountedNode>(2);
      a->next = b.get();
      b->next = a.get();
      a->other = a.get();
    }
    GC();
    EXPECT_EQ(liveObjects(), base);
  });
  EXPECT_EQ(gDestroyed.load(), 400);
}

INSTANTIATE_TEST_SUITE_P(GODEBUG, Modes, ::testing::ValuesIn(modeCases()), modeName);

}  // namespace
}  // namespace gort::testing
