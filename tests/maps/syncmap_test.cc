// gort::SyncMap, Go's sync.Map (go-semantics.md S1-S14, Go 1.20's Swap,
// CompareAndSwap and CompareAndDelete).
//
// A port of sync/map_test.go: TestMapMatchesRWMutex and
// TestMapMatchesDeepCopy (random call sequences against the two reference
// maps of map_reference_test.go, ported below as C++ oracles), under many
// seeds; TestConcurrentRange, TestIssue40999 and TestMapRangeNestedCall.
// Then the rules one by one, read off debug::inspect (S5-S12, with the lock
// and miss counts Go's code implies), the figures measured on Go 1.19
// (testdata/syncmap_go119.inc, from the conformance file syncmap.json),
// when a deleted key becomes collectable (S14), the write barrier on every
// change of an entry (scripted collections, as in tests/gc/barrier_test.cc),
// and concurrent use under every scheduler configuration (the *Parallel*
// cases run on real threads, and under TSan in CI).
//
// Everything runs deterministically by default; a failing run prints the
// seed that replays it (GORT_SEED=<n>), and the model tests also seed their
// call generator with it.

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <shared_mutex>
#include <sstream>
#include <string>
#include <vector>

#include "gort/syncmap.h"
#include "gort/syncmap_debug.h"
#include "sched/g.h"
#include "sched/sched.h"
#include "tests/support/no_preempt.h"
#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

using std::chrono::microseconds;
using IntMap = SyncMap<int64_t, int64_t>;
using Info = debug::SyncMapInfo;
namespace gct = gc::testing;

struct GoSyncMapSample {
  int op;
  int64_t lenDirty;
  bool dirtyNil;
  int64_t lenRead;
  int64_t misses;
  bool amended;
};
#include "tests/maps/testdata/syncmap_go119.inc"

template <class K, class V>
Info st(SyncMap<K, V>& m) {
  return debug::inspect(m);
}

// The state read, dirty-nil, dirty, amended, misses as one comparable string.
std::string shape(const Info& i) {
  std::ostringstream o;
  o << "read=" << i.readLen << " dirty=" << i.dirtyLen << (i.dirtyNil ? "(nil)" : "") << " amended=" << i.amended
    << " misses=" << i.misses;
  return o.str();
}
std::string shape(int64_t read, int64_t dirty, bool dirtyNil, bool amended, int64_t misses) {
  Info i;
  i.readLen = read;
  i.dirtyLen = dirty;
  i.dirtyNil = dirtyNil;
  i.amended = amended;
  i.misses = misses;
  return shape(i);
}

// A value object whose contents show whether it was freed and reused.
struct Node {
  int64_t val = 0;
  int64_t check = 0;
  explicit Node(int64_t v) : val(v), check(~v) {}
  bool intact(int64_t v) const { return val == v && check == ~v; }
};

struct Empty {};

// Lets the finalizer goroutine run (virtual sleeps in deterministic mode).
bool waitFor(const std::function<bool()>& cond, int rounds = 400) {
  for (int i = 0; i < rounds; i++) {
    if (cond()) return true;
    Sleep(microseconds(50));
  }
  return cond();
}

// ===========================================================================
// The reference maps of map_reference_test.go, as C++ oracles (String keys
// and values, like the strings TestMapMatches* generates), with Go 1.20's
// three methods added.

using SV = std::string_view;

// RWMutexMap: a plain map behind an RWMutex.
class RWMutexMap {
 public:
  LookupResult<String> Load(SV k) {
    std::shared_lock<RWMutex> lk(mu_);
    return dirty_.lookup(k);
  }
  void Store(SV k, SV v) {
    std::lock_guard<RWMutex> lk(mu_);
    ensure();
    dirty_.set(k, v);
  }
  SyncResult<String> LoadOrStore(SV k, SV v) {
    std::lock_guard<RWMutex> lk(mu_);
    auto r = dirty_.lookup(k);
    if (r.ok) return {r.value, true};
    ensure();
    dirty_.set(k, v);
    return {dirty_.get(k), false};
  }
  SyncResult<String> LoadAndDelete(SV k) {
    std::lock_guard<RWMutex> lk(mu_);
    auto r = dirty_.lookup(k);
    if (!r.ok) return {Local<String>(), false};
    dirty_.del(k);
    return {r.value, true};
  }
  void Delete(SV k) {
    std::lock_guard<RWMutex> lk(mu_);
    dirty_.del(k);
  }
  SyncResult<String> Swap(SV k, SV v) {
    std::lock_guard<RWMutex> lk(mu_);
    auto r = dirty_.lookup(k);
    ensure();
    dirty_.set(k, v);
    return {r.value, r.ok};
  }
  bool CompareAndSwap(SV k, SV old, SV nw) {
    std::lock_guard<RWMutex> lk(mu_);
    auto r = dirty_.lookup(k);
    if (!r.ok || r.value->view() != old) return false;
    dirty_.set(k, nw);
    return true;
  }
  bool CompareAndDelete(SV k, SV old) {
    std::lock_guard<RWMutex> lk(mu_);
    auto r = dirty_.lookup(k);
    if (!r.ok || r.value->view() != old) return false;
    dirty_.del(k);
    return true;
  }
  // The keys first (under the read lock), then a Load of each.
  template <class F>
  void Range(F&& f) {
    std::vector<std::string> keys;
    {
      std::shared_lock<RWMutex> lk(mu_);
      for (auto [k, v] : dirty_) keys.push_back(k.str());
    }
    for (const std::string& k : keys) {
      auto r = Load(k);
      if (!r.ok) continue;
      Local<String> key = String::from(k);
      if (!f(*key, r.value)) break;
    }
  }
  void trace(Visitor& v) const { v(dirty_); }

 private:
  void ensure() {
    if (dirty_.isNil()) dirty_ = *make_map<String, String>();
  }
  RWMutex mu_;
  Map<String, String> dirty_;
};

// DeepCopyMap: a copy-on-write map, published atomically, written under a
// Mutex; a deep copy on every write.
class DeepCopyMap {
  struct Clean {
    Map<String, String> m;
    void trace(Visitor& v) const { v(m); }
  };

 public:
  LookupResult<String> Load(SV k) {
    Local<Clean> c(clean_.get());
    if (!c) return {Local<String>(), false};
    return c->m.lookup(k);
  }
  void Store(SV k, SV v) {
    std::lock_guard<Mutex> lk(mu_);
    Local<Clean> d = dirty();
    d->m.set(k, v);
    clean_ = d.get();
  }
  SyncResult<String> LoadOrStore(SV k, SV v) {
    auto r = Load(k);
    if (r.ok) return {r.value, true};
    std::lock_guard<Mutex> lk(mu_);
    r = Load(k);  // reload: clean may have changed while we waited
    if (r.ok) return {r.value, true};
    Local<Clean> d = dirty();
    d->m.set(k, v);
    clean_ = d.get();
    return {d->m.get(k), false};
  }
  SyncResult<String> LoadAndDelete(SV k) {
    std::lock_guard<Mutex> lk(mu_);
    Local<Clean> d = dirty();
    auto r = d->m.lookup(k);
    d->m.del(k);
    clean_ = d.get();
    return {r.value, r.ok};
  }
  void Delete(SV k) {
    std::lock_guard<Mutex> lk(mu_);
    Local<Clean> d = dirty();
    d->m.del(k);
    clean_ = d.get();
  }
  SyncResult<String> Swap(SV k, SV v) {
    std::lock_guard<Mutex> lk(mu_);
    Local<Clean> d = dirty();
    auto r = d->m.lookup(k);
    d->m.set(k, v);
    clean_ = d.get();
    return {r.value, r.ok};
  }
  bool CompareAndSwap(SV k, SV old, SV nw) {
    auto r = Load(k);
    if (!r.ok || r.value->view() != old) return false;
    std::lock_guard<Mutex> lk(mu_);
    Local<Clean> d = dirty();
    auto cur = d->m.lookup(k);
    if (!cur.ok || cur.value->view() != old) return false;
    d->m.set(k, nw);
    clean_ = d.get();
    return true;
  }
  bool CompareAndDelete(SV k, SV old) {
    auto r = Load(k);
    if (!r.ok || r.value->view() != old) return false;
    std::lock_guard<Mutex> lk(mu_);
    Local<Clean> d = dirty();
    auto cur = d->m.lookup(k);
    if (!cur.ok || cur.value->view() != old) return false;
    d->m.del(k);
    clean_ = d.get();
    return true;
  }
  template <class F>
  void Range(F&& f) {
    Local<Clean> c(clean_.get());
    if (!c) return;
    for (auto [k, v] : c->m) {
      Local<String> val(v);
      if (!f(k, val)) break;
    }
  }
  void trace(Visitor& v) const { v(clean_); }

 private:
  Local<Clean> dirty() {
    Local<Clean> c(clean_.get());
    Local<Clean> d = New<Clean>();
    d->m = *make_map<String, String>((c ? c->m.len() : 0) + 1);
    if (c) {
      for (auto [k, v] : c->m) d->m.set(k, v);
    }
    return d;
  }
  Mutex mu_;
  Ptr<Clean> clean_;
};

// ---------------------------------------------------------------------------
// Random calls (map_test.go's mapCall), applied to any of the three.

enum class Op { Load, Store, LoadOrStore, LoadAndDelete, Delete, Swap, CompareAndSwap, CompareAndDelete };
const char* opName(Op op) {
  static const char* names[] = {"Load",   "Store", "LoadOrStore",    "LoadAndDelete",
                                "Delete", "Swap",  "CompareAndSwap", "CompareAndDelete"};
  return names[static_cast<int>(op)];
}

struct Call {
  Op op;
  std::string k, v, old;
};

struct Result {
  std::string value;
  bool ok = false;
  bool operator==(const Result&) const = default;
};

// map_test.go's randValue: 0 to 3 letters. alphabet 26 as in Go; a small
// alphabet makes keys (and compare values) collide often.
std::string randValue(std::mt19937_64& r, int alphabet) {
  std::string s(r() % 4, ' ');
  for (char& c : s) c = static_cast<char>('a' + r() % alphabet);
  return s;
}

std::vector<Call> randomCalls(std::mt19937_64& r, bool go120, int alphabet, int maxLen) {
  std::vector<Call> calls(r() % (maxLen + 1));
  const int nops = go120 ? 8 : 5;
  for (Call& c : calls) {
    c.op = static_cast<Op>(r() % nops);
    c.k = randValue(r, alphabet);
    if (c.op == Op::Store || c.op == Op::LoadOrStore || c.op == Op::Swap || c.op == Op::CompareAndSwap) {
      c.v = randValue(r, alphabet);
    }
    if (c.op == Op::CompareAndSwap || c.op == Op::CompareAndDelete) c.old = randValue(r, alphabet);
  }
  return calls;
}

std::string str(const Local<String>& s) { return s->str(); }

template <class M>
Result apply(M& m, const Call& c) {
  switch (c.op) {
    case Op::Load: {
      auto r = m.Load(c.k);
      return {str(r.value), r.ok};
    }
    case Op::Store:
      m.Store(c.k, c.v);
      return {};
    case Op::LoadOrStore: {
      auto r = m.LoadOrStore(c.k, c.v);
      return {str(r.value), r.loaded};
    }
    case Op::LoadAndDelete: {
      auto r = m.LoadAndDelete(c.k);
      return {str(r.value), r.loaded};
    }
    case Op::Delete:
      m.Delete(c.k);
      return {};
    case Op::Swap: {
      auto r = m.Swap(c.k, c.v);
      return {str(r.value), r.loaded};
    }
    case Op::CompareAndSwap:
      return {"", m.CompareAndSwap(c.k, c.old, c.v)};
    case Op::CompareAndDelete:
      return {"", m.CompareAndDelete(c.k, c.old)};
  }
  return {};
}

// map_test.go's applyCalls: the results, then the final contents by Range
// (a key visited twice is reported in `dup`).
template <class M>
std::vector<Result> applyCalls(M& m, const std::vector<Call>& calls, std::map<std::string, std::string>* final,
                               bool* dup) {
  std::vector<Result> out;
  for (const Call& c : calls) out.push_back(apply(m, c));
  *dup = false;
  m.Range([&](const String& k, Local<String>& v) {
    if (!final->emplace(k.str(), v->str()).second) *dup = true;
    return true;
  });
  return out;
}

std::string describe(const std::vector<Call>& calls, size_t upTo) {
  std::ostringstream o;
  for (size_t i = 0; i < calls.size() && i <= upTo; i++) {
    const Call& c = calls[i];
    o << "  " << i << ": " << opName(c.op) << "(\"" << c.k << "\"";
    if (c.op == Op::CompareAndSwap || c.op == Op::CompareAndDelete) o << ", old \"" << c.old << "\"";
    if (!c.v.empty() || c.op == Op::Store || c.op == Op::LoadOrStore || c.op == Op::Swap) o << ", \"" << c.v << "\"";
    o << ")\n";
  }
  return o.str();
}

// quick.CheckEqual(applyMap, applyOracle): nseq random sequences from one
// generator seed; the first difference fails the test with the calls.
template <class Oracle>
void checkAgainst(uint64_t seed, bool go120, int alphabet, int nseq, int maxLen) {
  std::mt19937_64 r(seed);
  for (int s = 0; s < nseq; s++) {
    std::vector<Call> calls = randomCalls(r, go120, alphabet, maxLen);
    Local<SyncMap<String, String>> m = New<SyncMap<String, String>>();
    Local<Oracle> o = New<Oracle>();
    std::map<std::string, std::string> fm, fo;
    bool dm = false, dO = false;
    std::vector<Result> rm = applyCalls(*m, calls, &fm, &dm);
    std::vector<Result> ro = applyCalls(*o, calls, &fo, &dO);
    ASSERT_FALSE(dm) << "Range visited a key twice (seed " << seed << ", sequence " << s << ")";
    for (size_t i = 0; i < calls.size(); i++) {
      ASSERT_EQ(rm[i], ro[i]) << "call " << i << " differs (seed " << seed << ", sequence " << s
                              << "): sync.Map gave (\"" << rm[i].value << "\", " << rm[i].ok << "), the oracle (\""
                              << ro[i].value << "\", " << ro[i].ok << ")\n"
                              << describe(calls, i);
    }
    ASSERT_EQ(fm, fo) << "final contents differ (seed " << seed << ", sequence " << s << ")\n"
                      << describe(calls, calls.size());
  }
}

class SyncMapModel : public ::testing::TestWithParam<Config> {};

// TestMapMatchesRWMutex: Go 1.19's five methods, Go's strings.
TEST_P(SyncMapModel, MatchesRWMutex) {
  const Config& cfg = GetParam();
  mapRun([&] { checkAgainst<RWMutexMap>(seedOr(cfg.seed), false, 26, 100, 50); }, cfg);
}

// TestMapMatchesDeepCopy.
TEST_P(SyncMapModel, MatchesDeepCopy) {
  const Config& cfg = GetParam();
  mapRun([&] { checkAgainst<DeepCopyMap>(seedOr(cfg.seed), false, 26, 100, 50); }, cfg);
}

// Both again with few distinct keys and longer sequences, so that keys are
// deleted, expunged, revived and promoted many times over; and with Go
// 1.20's Swap, CompareAndSwap and CompareAndDelete in the mix.
TEST_P(SyncMapModel, MatchesRWMutexDense) {
  const Config& cfg = GetParam();
  mapRun([&] { checkAgainst<RWMutexMap>(seedOr(cfg.seed) + 1000, false, 2, 60, 300); }, cfg);
}
TEST_P(SyncMapModel, MatchesRWMutexWithGo120Methods) {
  const Config& cfg = GetParam();
  mapRun([&] { checkAgainst<RWMutexMap>(seedOr(cfg.seed) + 2000, true, 2, 60, 300); }, cfg);
}
TEST_P(SyncMapModel, MatchesDeepCopyWithGo120Methods) {
  const Config& cfg = GetParam();
  mapRun([&] { checkAgainst<DeepCopyMap>(seedOr(cfg.seed) + 3000, true, 3, 60, 300); }, cfg);
}

INSTANTIATE_TEST_SUITE_P(Seeds, SyncMapModel, ::testing::ValuesIn(seedSweep(1, mscaled(24, 4))), ConfigName());

// The same with a collection every few allocations and the heap verified
// at each: nothing the maps hold may be lost while they churn.
TEST(SyncMapModelGc, MatchesUnderGcStress) {
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(mscaled(4, 2)); seed++) {
    mapRun(
        [seed] {
          checkAgainst<RWMutexMap>(seedOr(seed) + 4000, true, 2, 12, 200);
          EXPECT_GT(gct::numGC(), 20u) << "gcstress should have run many cycles";
        },
        det1(seed), godebug("gcstress=23,gcverify=1"));
  }
}

// ===========================================================================
// The Go 1.19 figures (syncmap.json): 1000 new keys stored, then each loaded
// once. Dirty grows with every Store, read stays empty and amended; every
// Load misses, and the 1000th promotes.

TEST(SyncMapConformance, StoreThenLoad1000MatchesGo119) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    size_t next = 0;
    for (int i = 1; i <= 1000; i++) {
      m->Store(i, i);
      if (next < std::size(kGoStore1000) && kGoStore1000[next].op == i) {
        const GoSyncMapSample& g = kGoStore1000[next++];
        EXPECT_EQ(shape(st(*m)), shape(g.lenRead, g.lenDirty, g.dirtyNil, g.amended, g.misses))
            << "after Store " << i << " (" << kGoSyncMapVersion << ")";
      }
    }
    EXPECT_EQ(next, std::size(kGoStore1000));
    Info after = st(*m);
    EXPECT_EQ(after.rebuilds, 1u) << "one dirtyLocked, at the first Store";
    EXPECT_EQ(after.copied, 0u) << "read was empty: nothing to copy (len(dirty)-1 after that Store)";
    EXPECT_EQ(after.slowPath, 1000u) << "every Store of a new key takes the lock";
    next = 0;
    int promotedAt = 0;
    for (int i = 1; i <= 1000; i++) {
      auto [v, ok] = m->Load(i);
      EXPECT_TRUE(ok && v == i) << "Load " << i;
      Info s = st(*m);
      if (promotedAt == 0 && s.promotions == 1) promotedAt = i;
      if (next < std::size(kGoLoadEach1000) && kGoLoadEach1000[next].op == i) {
        const GoSyncMapSample& g = kGoLoadEach1000[next++];
        EXPECT_EQ(shape(s), shape(g.lenRead, g.lenDirty, g.dirtyNil, g.amended, g.misses)) << "after Load " << i;
      }
    }
    EXPECT_EQ(next, std::size(kGoLoadEach1000));
    EXPECT_EQ(promotedAt, kGoPromotionAtLoad);
    Info end = st(*m);
    EXPECT_EQ(shape(end), shape(kGoAfterLoads.lenRead, kGoAfterLoads.lenDirty, kGoAfterLoads.dirtyNil,
                                kGoAfterLoads.amended, kGoAfterLoads.misses));
    EXPECT_EQ(end.promotions, 1u);
    EXPECT_EQ(end.slowPath, 2000u) << "each of the 1000 Loads missed read and took the lock";
    // Promoted: loads are now lock-free hits.
    for (int i = 1; i <= 1000; i++) EXPECT_EQ(m->Load(i).value, i);
    EXPECT_EQ(st(*m).slowPath, 2000u);
  });
}

// ===========================================================================
// The rules, one at a time.

// S1: the zero value is empty and ready; Load, Range, Delete and the compare
// methods on it take no lock.
TEST(SyncMapRules, ZeroValueIsEmptyAndReady) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    EXPECT_EQ(shape(st(*m)), shape(0, 0, true, false, 0));
    EXPECT_FALSE(m->Load(1).ok);
    m->Delete(1);
    EXPECT_FALSE(m->LoadAndDelete(1).loaded);
    EXPECT_FALSE(m->CompareAndSwap(1, 0, 1));
    EXPECT_FALSE(m->CompareAndDelete(1, 0));
    int n = 0;
    m->Range([&](int64_t, int64_t) {
      n++;
      return true;
    });
    EXPECT_EQ(n, 0);
    Info i = st(*m);
    EXPECT_EQ(i.slowPath, 0u);
    EXPECT_EQ(i.rebuilds, 0u);
    EXPECT_EQ(i.misses, 0);
  });
}

// Brings m to: read = {keys}, dirty nil (a Range promotes).
void promoteAll(IntMap& m) {
  m.Range([](int64_t, int64_t) { return true; });
}

// S5, S6: a Load that misses read while read is amended locks, looks in
// dirty and counts a miss, found or not; misses reaching len(dirty) promote.
TEST(SyncMapRules, LoadCountsMissesAndPromotes) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    for (int64_t k = 1; k <= 3; k++) m->Store(k, k * 10);
    EXPECT_EQ(shape(st(*m)), shape(0, 3, false, true, 0));
    EXPECT_EQ(m->Load(1).value, 10);
    EXPECT_EQ(st(*m).misses, 1) << "found in dirty: a miss";
    EXPECT_FALSE(m->Load(99).ok);
    EXPECT_EQ(st(*m).misses, 2) << "absent: a miss too";
    uint64_t locks = st(*m).slowPath;
    EXPECT_EQ(m->Load(2).value, 20);  // misses 3 >= len(dirty) 3
    Info i = st(*m);
    EXPECT_EQ(shape(i), shape(3, 0, true, false, 0)) << "promoted";
    EXPECT_EQ(i.promotions, 1u);
    EXPECT_EQ(i.slowPath, locks + 1);
    // Not amended: a missing key is answered without the lock.
    EXPECT_FALSE(m->Load(99).ok);
    EXPECT_EQ(m->Load(3).value, 30);
    EXPECT_EQ(st(*m).slowPath, locks + 1);
    EXPECT_EQ(st(*m).misses, 0);
  });
}

// S3, S5: deleted (nil) and expunged entries read as absent.
TEST(SyncMapRules, NilAndExpungedEntriesReadAsAbsent) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    m->Store(1, 1);
    m->Store(2, 2);
    promoteAll(*m);
    m->Delete(1);  // nil in read
    EXPECT_FALSE(m->Load(1).ok);
    EXPECT_EQ(st(*m).readLen, 2) << "a deleted key stays in read.m";
    m->Store(3, 3);  // dirtyLocked: 1 becomes expunged, not copied
    Info i = st(*m);
    EXPECT_EQ(shape(i), shape(2, 2, false, true, 0));
    EXPECT_EQ(i.copied, 1u) << "only the live entry (2) is copied";
    uint64_t locks = i.slowPath;
    EXPECT_FALSE(m->Load(1).ok);
    EXPECT_EQ(st(*m).slowPath, locks) << "1 is in read (expunged): no lock, no miss";
    EXPECT_EQ(st(*m).misses, 0);
  });
}

// S7: a Store to a key in read that is not expunged is a CAS: no lock, no
// map entry, no miss.
TEST(SyncMapRules, StoreFastPathTakesNoLock) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    for (int64_t k = 0; k < 8; k++) m->Store(k, k);
    promoteAll(*m);
    Info before = st(*m);
    for (int64_t k = 0; k < 8; k++) m->Store(k, k + 100);
    Info after = st(*m);
    EXPECT_EQ(after.slowPath, before.slowPath);
    EXPECT_EQ(shape(after), shape(8, 0, true, false, 0)) << "dirty stays nil";
    EXPECT_EQ(after.rebuilds, before.rebuilds);
    for (int64_t k = 0; k < 8; k++) EXPECT_EQ(m->Load(k).value, k + 100);
    // A deleted (nil, not expunged) entry is stored into the same way.
    m->Delete(5);
    m->Store(5, 55);
    EXPECT_EQ(st(*m).slowPath, before.slowPath);
    EXPECT_EQ(m->Load(5).value, 55);
  });
}

// S8 (a): storing to an expunged key revives it: nil, back into dirty, then
// the value; under the lock.
TEST(SyncMapRules, StoreRevivesAnExpungedEntry) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    m->Store(1, 1);
    m->Store(2, 2);
    promoteAll(*m);
    m->Delete(1);
    m->Store(3, 3);  // expunges 1
    EXPECT_EQ(st(*m).dirtyLen, 2);
    uint64_t locks = st(*m).slowPath;
    m->Store(1, 11);
    Info i = st(*m);
    EXPECT_EQ(i.slowPath, locks + 1) << "expunged: only under the lock";
    EXPECT_EQ(shape(i), shape(2, 3, false, true, 0)) << "1 is back in dirty; no miss";
    EXPECT_EQ(m->Load(1).value, 11);
    EXPECT_EQ(st(*m).slowPath, locks + 1) << "and in read as before: Load needs no lock";
    promoteAll(*m);
    EXPECT_EQ(m->Load(1).value, 11);
    EXPECT_EQ(st(*m).readLen, 3);
  });
}

// S8 (b), (c): a key only in dirty is updated there; a new key while read
// is amended goes straight into dirty; a new key while it is not rebuilds
// dirty first and re-publishes read as amended. Store never counts a miss.
TEST(SyncMapRules, StoreSlowPaths) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    m->Store(1, 1);  // (c) from zero: rebuild of an empty read
    Info i = st(*m);
    EXPECT_EQ(i.rebuilds, 1u);
    EXPECT_EQ(shape(i), shape(0, 1, false, true, 0));
    m->Store(1, 2);  // (b)
    m->Store(2, 2);  // (c), amended: no rebuild
    i = st(*m);
    EXPECT_EQ(i.rebuilds, 1u);
    EXPECT_EQ(shape(i), shape(0, 2, false, true, 0)) << "no misses from Store";
    EXPECT_EQ(i.slowPath, 3u);
    EXPECT_EQ(m->Load(1).value, 2);
    promoteAll(*m);
    m->Store(3, 3);  // (c) after a promotion: rebuild copying 1 and 2
    i = st(*m);
    EXPECT_EQ(i.rebuilds, 2u);
    EXPECT_EQ(i.copied, 2u);
    EXPECT_EQ(shape(i), shape(2, 3, false, true, 0));
  });
}

// S9: dirtyLocked copies the live entries, expunges the deleted ones (which
// are then left out of every later rebuild too), and is done once per
// promotion cycle.
TEST(SyncMapRules, DirtyRebuildCopiesLiveEntriesOnly) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    for (int64_t k = 0; k < 10; k++) m->Store(k, k);
    promoteAll(*m);
    for (int64_t k = 0; k < 10; k += 2) m->Delete(k);  // five nil entries in read
    Info before = st(*m);
    m->Store(100, 100);
    Info i = st(*m);
    EXPECT_EQ(i.rebuilds, before.rebuilds + 1);
    EXPECT_EQ(i.copied - before.copied, 5u);
    EXPECT_EQ(shape(i), shape(10, 6, false, true, 0));
    m->Store(101, 101);
    EXPECT_EQ(st(*m).rebuilds, i.rebuilds) << "dirty exists: no second copy";
    promoteAll(*m);  // the expunged keys are gone from read now
    EXPECT_EQ(st(*m).readLen, 7);
    m->Store(102, 102);
    Info j = st(*m);
    EXPECT_EQ(j.copied - i.copied, 7u);
  });
}

// S10: LoadOrStore.
TEST(SyncMapRules, LoadOrStore) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    auto r = m->LoadOrStore(1, 10);  // new key
    EXPECT_FALSE(r.loaded);
    EXPECT_EQ(r.value, 10);
    EXPECT_EQ(st(*m).misses, 0) << "a new key is no miss";
    r = m->LoadOrStore(1, 99);  // only in dirty: loaded, and a miss
    EXPECT_TRUE(r.loaded);
    EXPECT_EQ(r.value, 10);
    EXPECT_EQ(st(*m).promotions, 1u) << "1 miss >= len(dirty) 1: promoted";
    uint64_t locks = st(*m).slowPath;
    r = m->LoadOrStore(1, 99);  // clean hit
    EXPECT_TRUE(r.loaded);
    EXPECT_EQ(r.value, 10);
    m->Delete(1);
    r = m->LoadOrStore(1, 12);  // nil entry in read: CAS, no lock
    EXPECT_FALSE(r.loaded);
    EXPECT_EQ(r.value, 12);
    EXPECT_EQ(st(*m).slowPath, locks);
    m->Delete(1);
    m->Store(2, 2);  // expunges 1
    r = m->LoadOrStore(1, 13);  // expunged: slow path revives it
    EXPECT_FALSE(r.loaded);
    EXPECT_EQ(r.value, 13);
    Info i = st(*m);
    EXPECT_EQ(i.slowPath, locks + 2);
    EXPECT_EQ(shape(i), shape(1, 2, false, true, 0)) << "revived into dirty; found in read, so no miss";
    // A key only in dirty again counts a miss (and the second promotes).
    r = m->LoadOrStore(2, 0);
    EXPECT_TRUE(r.loaded);
    EXPECT_EQ(st(*m).misses, 1);
    m->LoadOrStore(2, 0);
    EXPECT_EQ(st(*m).promotions, 2u);
  });
}

// S11: LoadAndDelete of a key only in dirty deletes it there and counts a
// miss; of a key in read, it is a CAS to nil without the lock; Delete is
// the same call.
TEST(SyncMapRules, LoadAndDelete) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    m->Store(1, 1);
    m->Store(2, 2);
    m->Store(3, 3);
    auto r = m->LoadAndDelete(1);
    EXPECT_TRUE(r.loaded);
    EXPECT_EQ(r.value, 1);
    EXPECT_EQ(shape(st(*m)), shape(0, 2, false, true, 1)) << "deleted from dirty, one miss";
    r = m->LoadAndDelete(1);
    EXPECT_FALSE(r.loaded);
    EXPECT_EQ(st(*m).promotions, 1u) << "2 misses >= len(dirty) 2";
    uint64_t locks = st(*m).slowPath;
    r = m->LoadAndDelete(2);
    EXPECT_TRUE(r.loaded);
    EXPECT_EQ(r.value, 2);
    EXPECT_FALSE(m->LoadAndDelete(2).loaded) << "a nil entry: nothing to delete";
    m->Delete(3);
    EXPECT_FALSE(m->Load(3).ok);
    EXPECT_EQ(st(*m).slowPath, locks) << "keys in read: no lock";
    EXPECT_EQ(st(*m).readLen, 2) << "nil entries stay in read";
  });
}

// S12: Range promotes an amended read at once (misses reset), and does not
// lock when read is not amended.
TEST(SyncMapRules, RangePromotesWhenAmended) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    for (int64_t k = 0; k < 5; k++) m->Store(k, k);
    m->Load(100);
    EXPECT_EQ(st(*m).misses, 1);
    std::set<int64_t> seen;
    m->Range([&](int64_t k, int64_t v) {
      EXPECT_EQ(k, v);
      seen.insert(k);
      return true;
    });
    EXPECT_EQ(seen.size(), 5u);
    Info i = st(*m);
    EXPECT_EQ(shape(i), shape(5, 0, true, false, 0));
    EXPECT_EQ(i.promotions, 1u);
    uint64_t locks = i.slowPath;
    int n = 0;
    m->Range([&](int64_t, int64_t) { return ++n < 2; });  // stops when f says so
    EXPECT_EQ(n, 2);
    m->Range([&](int64_t, int64_t) { n++; });  // a void callback visits everything
    EXPECT_EQ(n, 7);
    EXPECT_EQ(st(*m).slowPath, locks);
    // Deleted entries are skipped.
    m->Delete(0);
    n = 0;
    m->Range([&](int64_t k, int64_t) {
      EXPECT_NE(k, 0);
      return ++n > 0;
    });
    EXPECT_EQ(n, 4);
  });
}

// S13: a null pointer is a key like any other (TestIssue40999 stores nil).
TEST(SyncMapRules, NilKeyIsAllowed) {
  mapRun([] {
    Local<SyncMap<Ptr<Node>, int64_t>> m = New<SyncMap<Ptr<Node>, int64_t>>();
    Local<Node> a = New<Node>(1);
    m->Store(nullptr, 7);
    m->Store(a, 8);
    EXPECT_EQ(m->Load(nullptr).value, 7);
    EXPECT_EQ(m->Load(a).value, 8);
    int n = 0;
    m->Range([&](const Ptr<Node>& k, int64_t v) {
      EXPECT_EQ(v, k == nullptr ? 7 : 8);
      n++;
      return true;
    });
    EXPECT_EQ(n, 2);
    EXPECT_TRUE(m->LoadAndDelete(nullptr).loaded);
    EXPECT_FALSE(m->Load(nullptr).ok);
  });
}

// Values and keys that hold GC pointers come back rooted; String values
// can be given as any bytes.
TEST(SyncMapRules, PointerAndStringValues) {
  mapRun([] {
    Local<SyncMap<String, Ptr<Node>>> m = New<SyncMap<String, Ptr<Node>>>();
    m->Store("a", New<Node>(1));
    Local<Node> b = New<Node>(2);
    m->Store(std::string("b"), b);
    auto [v, ok] = m->Load("a");
    static_assert(std::is_same_v<decltype(v), Local<Node>>);
    EXPECT_TRUE(ok && v->intact(1));
    EXPECT_EQ(m->Load("b").value.get(), b.get());
    EXPECT_TRUE(m->CompareAndSwap("b", b, New<Node>(3)));
    EXPECT_FALSE(m->CompareAndSwap("b", b, nullptr)) << "b is no longer the value";
    EXPECT_TRUE(m->Load("b").value->intact(3));
    EXPECT_TRUE(m->CompareAndDelete("a", v));

    Local<SyncMap<int64_t, String>> s = New<SyncMap<int64_t, String>>();
    s->Store(1, "one");
    s->Store(2, std::string("two"));
    s->Store(3, *String::from("three"));
    EXPECT_EQ(s->Load(1).value->view(), "one");
    EXPECT_EQ(s->Swap(2, "deux").value->view(), "two");
    EXPECT_TRUE(s->CompareAndSwap(3, "three", "trois"));
    EXPECT_FALSE(s->CompareAndDelete(3, "three"));
    EXPECT_TRUE(s->CompareAndDelete(3, std::string_view("trois")));
    auto lo = s->LoadOrStore(4, "four");
    EXPECT_FALSE(lo.loaded);
    EXPECT_EQ(lo.value->view(), "four");
  });
}

// ---------------------------------------------------------------------------
// Go 1.20's methods.

// Swap stores and returns the previous value: a CAS for keys in read
// (expunged ones excepted), Store's slow paths otherwise; no misses.
TEST(SyncMapGo120, Swap) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    auto r = m->Swap(1, 10);
    EXPECT_FALSE(r.loaded);
    EXPECT_EQ(r.value, 0);
    r = m->Swap(1, 11);  // in dirty
    EXPECT_TRUE(r.loaded);
    EXPECT_EQ(r.value, 10);
    EXPECT_EQ(st(*m).misses, 0);
    promoteAll(*m);
    uint64_t locks = st(*m).slowPath;
    r = m->Swap(1, 12);  // in read
    EXPECT_TRUE(r.loaded);
    EXPECT_EQ(r.value, 11);
    m->Delete(1);
    r = m->Swap(1, 13);  // nil entry in read: not loaded, no lock
    EXPECT_FALSE(r.loaded);
    EXPECT_EQ(st(*m).slowPath, locks);
    m->Delete(1);
    m->Store(2, 2);  // expunges 1
    r = m->Swap(1, 14);
    EXPECT_FALSE(r.loaded);
    Info i = st(*m);
    EXPECT_EQ(i.slowPath, locks + 2);
    EXPECT_EQ(shape(i), shape(1, 2, false, true, 0)) << "revived into dirty";
    EXPECT_EQ(m->Load(1).value, 14);
  });
}

// CompareAndSwap: only when the current value equals old; absent and
// deleted keys never match; a key found only in dirty counts a miss.
TEST(SyncMapGo120, CompareAndSwap) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    EXPECT_FALSE(m->CompareAndSwap(1, 0, 1)) << "absent, even for the zero value";
    m->Store(1, 10);
    m->Store(2, 20);
    EXPECT_FALSE(m->CompareAndSwap(1, 11, 12));
    EXPECT_EQ(st(*m).misses, 1) << "found in dirty under the lock: a miss";
    EXPECT_TRUE(m->CompareAndSwap(1, 10, 12));  // second miss: promotes
    EXPECT_EQ(st(*m).promotions, 1u);
    EXPECT_EQ(m->Load(1).value, 12);
    uint64_t locks = st(*m).slowPath;
    EXPECT_TRUE(m->CompareAndSwap(2, 20, 21));
    EXPECT_FALSE(m->CompareAndSwap(2, 20, 22));
    EXPECT_FALSE(m->CompareAndSwap(99, 0, 1)) << "absent, read not amended: no lock";
    m->Delete(2);
    EXPECT_FALSE(m->CompareAndSwap(2, 21, 23)) << "deleted";
    EXPECT_EQ(st(*m).slowPath, locks);
    m->Store(3, 3);  // expunges 2
    EXPECT_FALSE(m->CompareAndSwap(2, 0, 1)) << "expunged";
    EXPECT_FALSE(m->Load(2).ok);
    EXPECT_FALSE(m->CompareAndSwap(98, 0, 1));  // absent, amended: lock, but not in dirty: no miss
    EXPECT_EQ(st(*m).misses, 0);
    EXPECT_EQ(m->Load(1).value, 12);
  });
}

// CompareAndDelete: deletes only a matching value; for a key only in dirty
// it counts a miss and leaves the key in dirty (its entry becomes nil).
TEST(SyncMapGo120, CompareAndDelete) {
  mapRun([] {
    Local<IntMap> m = New<IntMap>();
    EXPECT_FALSE(m->CompareAndDelete(1, 0)) << "absent: false even for the zero value";
    m->Store(1, 10);
    m->Store(2, 20);
    m->Store(3, 30);
    EXPECT_FALSE(m->CompareAndDelete(1, 11));
    EXPECT_TRUE(m->CompareAndDelete(1, 10));
    Info i = st(*m);
    EXPECT_EQ(shape(i), shape(0, 3, false, true, 2)) << "1 stays in dirty, as a nil entry; two misses";
    EXPECT_FALSE(m->Load(1).ok);
    EXPECT_EQ(st(*m).promotions, 1u) << "that Load was the third miss";
    uint64_t locks = st(*m).slowPath;
    EXPECT_TRUE(m->CompareAndDelete(2, 20));
    EXPECT_FALSE(m->CompareAndDelete(2, 20));
    EXPECT_FALSE(m->CompareAndDelete(3, 31));
    EXPECT_EQ(m->Load(3).value, 30);
    EXPECT_EQ(st(*m).slowPath, locks);
    m->Store(4, 4);  // rebuild: 1 and 2 are nil, so expunged
    EXPECT_EQ(st(*m).dirtyLen, 2);
  });
}

// ===========================================================================
// map_test.go's tests of behaviour.

// TestMapRangeNestedCall (issue 46399): Range inside Range, with
// LoadOrStore, Store and LoadAndDelete of key 42 in the inner callback and
// a Delete of every key in the outer one.
TEST(SyncMapGoTests, MapRangeNestedCall) {
  mapRun([] {
    Local<SyncMap<int64_t, String>> m = New<SyncMap<int64_t, String>>();
    const char* words[] = {"hello", "world", "Go"};
    for (int64_t i = 0; i < 3; i++) m->Store(i, words[i]);
    m->Range([&](const int64_t&, Local<String>&) {
      m->Range([&](const int64_t& key, Local<String>& value) {
        auto [v, ok] = m->Load(key);
        EXPECT_TRUE(ok && v->view() == value->view()) << "nested Range loads an unexpected value for " << key;
        EXPECT_FALSE(m->LoadOrStore(42, "dummy").loaded) << "42 was never kept in the map";
        m->Store(42, "sync.Map");
        auto d = m->LoadAndDelete(42);
        EXPECT_TRUE(d.loaded && d.value->view() == "sync.Map");
        return true;
      });
      return true;
    });
    m->Range([&](const int64_t& key, Local<String>&) {
      m->Delete(key);
      return true;
    });
    int length = 0;
    m->Range([&](const int64_t&, Local<String>&) {
      length++;
      return true;
    });
    EXPECT_EQ(length, 0);
  });
}

// TestIssue40999: Store(p)/Delete(p) in a loop with a GC each time; the
// deleted keys must become collectable (a finalizer runs).
TEST(SyncMapGoTests, Issue40999) {
  std::atomic<int> finalized{0};
  mapRun(
      [&] {
        Local<SyncMap<Ptr<Node>, Empty>> m = New<SyncMap<Ptr<Node>, Empty>>();
        // Bias len(dirty) above the miss count, as Go's test does.
        m->Store(nullptr, Empty{});
        int iters = 0;
        while (finalized.load() == 0 && iters < 200) {
          {
            Local<Node> p = New<Node>(iters);
            SetFinalizer(p, [&](Local<Node>&) { finalized.fetch_add(1); });
            m->Store(p, Empty{});
            m->Delete(p);
          }
          GC();
          waitFor([&] { return finalized.load() > 0; }, 20);
          iters++;
        }
        EXPECT_GT(finalized.load(), 0) << "no deleted key was ever collected (" << iters << " rounds)";
      },
      det1(), godebug("gcverify=1"));
}

// S14 exactly: a key deleted from read stays there (a nil entry) through
// any number of collections; the next rebuild expunges it, but the old read
// still holds it; only the promotion after that lets it go.
void deletedKeyLifetime(bool promoteByLoads) {
  std::atomic<int> finalized{0};
  mapRun(
      [&] {
        using M = SyncMap<Ptr<Node>, int64_t>;
        Local<M> m = New<M>();
        Local<Node> other = New<Node>(2);
        {
          Local<Node> k = New<Node>(1);
          SetFinalizer(k, [&](Local<Node>&) { finalized.fetch_add(1); });
          m->Store(k, 1);
          m->Range([](const Ptr<Node>&, int64_t) { return true; });  // k into read
          m->Delete(k);
        }
        auto settle = [&] {
          GC();
          waitFor([&] { return finalized.load() > 0; }, 40);
          return finalized.load();
        };
        EXPECT_EQ(settle(), 0) << "deleted, but still a nil entry in read";
        EXPECT_EQ(st(*m).readLen, 1);
        m->Store(other, 2);  // dirtyLocked expunges k
        EXPECT_EQ(shape(st(*m)), shape(1, 1, false, true, 0));
        EXPECT_EQ(settle(), 0) << "expunged, but the read map still has the key";
        if (promoteByLoads) {
          m->Load(nullptr);  // 1 miss >= len(dirty) 1
        } else {
          m->Range([](const Ptr<Node>&, int64_t) { return true; });
        }
        EXPECT_EQ(shape(st(*m)), shape(1, 0, true, false, 0));
        EXPECT_EQ(settle(), 1) << "promoted: the old read, and the key with it, are garbage";
        EXPECT_EQ(m->Load(other).value, 2);
      },
      det1(), godebug("gcverify=1"));
}
TEST(SyncMapGc, DeletedKeyIsCollectableAfterRebuildAndPromotionByRange) { deletedKeyLifetime(false); }
TEST(SyncMapGc, DeletedKeyIsCollectableAfterRebuildAndPromotionByLoads) { deletedKeyLifetime(true); }

// A deleted or overwritten value is garbage at once (its box leaves the
// entry), though a deleted key lives on in read for a while.
TEST(SyncMapGc, DeletedAndOverwrittenValuesAreCollected) {
  std::atomic<int> finalized{0};
  mapRun(
      [&] {
        Local<SyncMap<int64_t, Ptr<Node>>> m = New<SyncMap<int64_t, Ptr<Node>>>();
        for (int64_t i = 0; i < 100; i++) {
          Local<Node> n = New<Node>(i);
          SetFinalizer(n, [&](Local<Node>&) { finalized.fetch_add(1); });
          m->Store(i, n);
        }
        m->Range([](int64_t, Local<Node>&) { return true; });
        for (int64_t i = 0; i < 50; i++) m->Delete(i);
        for (int64_t i = 50; i < 75; i++) m->Store(i, New<Node>(i + 1000));
        GC();
        EXPECT_TRUE(waitFor([&] { return finalized.load() == 75; })) << finalized.load();
        GC();
        EXPECT_EQ(finalized.load(), 75);
        for (int64_t i = 50; i < 100; i++) {
          Local<Node> n = m->Load(i).value;
          ASSERT_TRUE(n && n->intact(i < 75 ? i + 1000 : i)) << i;
        }
      },
      det1(), godebug("gcverify=1"));
}

// ===========================================================================
// The write barrier on entry.p (tests/gc/barrier_test.cc's scripts, on a
// SyncMap): the marker has scanned main's stack; main then loads the only
// value X onto that stack and changes the entry, so the heap's reference
// goes. Only the deletion half of the barrier on that CAS or exchange
// shades X's box (and so X). Without the barrier, verify mode must catch
// the loss.

using PtrMap = SyncMap<int64_t, Ptr<Node>>;
Global<PtrMap> gSm;


struct ScriptResult {
  Outcome outcome;
  bool marked = false;
  bool intact = false;
};

// X (Node 42) under key 1: in read (promoted) or only in dirty.
ScriptResult barrierScript(bool barrier, bool inRead, const std::function<void()>& change) {
  ScriptResult r;
  gct::setWriteBarrier(barrier);
  r.outcome = run(
      det1(),
      [&] {
        gSm = New<PtrMap>();
        gSm->Store(0, New<Node>(0));
        gSm->Store(1, New<Node>(42));
        if (inRead) gSm->Range([](int64_t, Local<Node>&) { return true; });
        GC();
        Local<Node> x;
        {
          NoPreempt hold;
          gct::beginCycle();
          gct::scanRoots(sched::getg());  // main's stack is black: x is null
          x = gSm->Load(1).value;         // X onto the scanned stack
          change();                       // the only heap reference to X goes
          gct::scanGlobals();
          gct::markStep(-1);
          gct::finishCycle();  // verify mode checks the heap here
          r.marked = gct::isMarked(x.get());
          gct::sweepAll();
        }
        GC();
        r.intact = x->intact(42);
        gSm = nullptr;
      },
      godebug("gcverify=1"));
  gct::setWriteBarrier(true);
  return r;
}

struct BarrierCase {
  const char* name;
  bool inRead;
  std::function<void()> change;
};
void PrintTo(const BarrierCase& c, std::ostream* os) { *os << c.name; }

const BarrierCase kBarrierCases[] = {
    {"Delete", true, [] { gSm->Delete(1); }},
    {"LoadAndDelete", true, [] { (void)gSm->LoadAndDelete(1); }},
    {"StoreFastPath", true, [] { gSm->Store(1, New<Node>(7)); }},
    {"StoreLocked", false, [] { gSm->Store(1, New<Node>(7)); }},
    {"Swap", true, [] { (void)gSm->Swap(1, New<Node>(7)); }},
    {"SwapLocked", false, [] { (void)gSm->Swap(1, New<Node>(7)); }},
    {"CompareAndSwap", true, [] {
       Local<Node> cur = gSm->Load(1).value;
       EXPECT_TRUE(gSm->CompareAndSwap(1, cur, New<Node>(7)));
     }},
    {"CompareAndDelete", true, [] {
       Local<Node> cur = gSm->Load(1).value;
       EXPECT_TRUE(gSm->CompareAndDelete(1, cur));
     }},
};

class SyncMapBarrier : public ::testing::TestWithParam<BarrierCase> {};

TEST_P(SyncMapBarrier, OverwrittenValueIsShaded) {
  ScriptResult r = barrierScript(true, GetParam().inRead, GetParam().change);
  GORT_EXPECT_OK(r.outcome, det1());
  EXPECT_TRUE(r.marked) << "the barrier should have shaded the value taken out of the entry";
  EXPECT_TRUE(r.intact);
}

TEST_P(SyncMapBarrier, LossIsCaughtWithoutTheBarrier) {
  ScriptResult r = barrierScript(false, GetParam().inRead, GetParam().change);
  EXPECT_EQ(r.outcome.status, 2) << "without the barrier, verify mode should have failed the run";
  EXPECT_NE(r.outcome.failure.message.find("gcverify: "), std::string::npos) << r.outcome.failure.message;
  EXPECT_NE(r.outcome.failure.message.find("Node"), std::string::npos) << r.outcome.failure.message;
}

INSTANTIATE_TEST_SUITE_P(Changes, SyncMapBarrier, ::testing::ValuesIn(kBarrierCases),
                         [](const ::testing::TestParamInfo<BarrierCase>& i) { return std::string(i.param.name); });

// ===========================================================================
// Concurrent use, under DetP1, DetP4 and ParallelP2 (TSan runs *Parallel*).

class SyncMapConc : public MapConfigTest {
 protected:
  int64_t iters(int64_t det, int64_t par) const { return mscaled(this->det() ? det : par, 4); }
};

// TestConcurrentRange: GOMAXPROCS goroutines store multiples of each key
// while Range runs over and over; every value seen is a multiple of its
// key, no key is visited twice, all keys are seen.
TEST_P(SyncMapConc, ConcurrentRange) {
  const int64_t rounds = iters(48, 256);
  runOk([rounds] {
    const int64_t mapSize = 1 << 10;
    Local<IntMap> m = New<IntMap>();
    for (int64_t n = 1; n <= mapSize; n++) m->Store(n, n);
    std::atomic<bool> done{false};
    std::atomic<int64_t> stores{0};
    std::atomic<int64_t> started{0};
    WaitGroup wg;
    for (int64_t g = GOMAXPROCS(); g > 0; g--) {
      wg.Add(1);
      go([m, g, &done, &stores, &started, &wg] {
        started.fetch_add(1);
        std::mt19937_64 r(static_cast<uint64_t>(g));
        for (int64_t i = 0; !done.load(std::memory_order_relaxed); i++) {
          for (int64_t n = 1; n < mapSize; n++) {
            if (static_cast<int64_t>(r() % mapSize) == 0) {
              m->Store(n, n * i * g);
              stores.fetch_add(1, std::memory_order_relaxed);
            } else {
              m->Load(n);
            }
          }
        }
        wg.Done();
      });
    }
    // (Go's test does not wait; here a parallel run could otherwise finish
    // its Ranges before another thread has picked the writers up.)
    while (started.load() < GOMAXPROCS()) Gosched();
    for (int64_t it = 0; it < rounds; it++) {
      std::vector<bool> seen(mapSize + 1, false);
      int64_t count = 0;
      bool ok = true;
      m->Range([&](int64_t k, int64_t v) {
        if (v % k != 0) {
          ADD_FAILURE() << "while storing multiples of " << k << ", Range saw value " << v;
          ok = false;
        }
        if (seen[k]) {
          ADD_FAILURE() << "Range visited key " << k << " twice";
          ok = false;
        }
        seen[k] = true;
        count++;
        return ok;
      });
      if (!ok) break;
      if (count != mapSize) {
        ADD_FAILURE() << "Range visited " << count << " elements of a " << mapSize << "-element map";
        break;
      }
    }
    int64_t during = stores.load();
    done.store(true);
    wg.Wait();
    std::printf("[ ConcurrentRange: %lld stores during %lld Ranges ]\n", static_cast<long long>(during),
                static_cast<long long>(rounds));
    EXPECT_GT(during, 0) << "the writers never ran while Range did";
  });
}

// CompareAndSwap is atomic: increments by a Load/CompareAndSwap loop from
// several goroutines add up, whether the key starts in dirty or in read.
TEST_P(SyncMapConc, CompareAndSwapCounter) {
  const int64_t per = iters(500, 20000);
  for (bool inRead : {false, true}) {
    runOk([per, inRead] {
      Local<IntMap> m = New<IntMap>();
      m->Store(0, 0);
      if (inRead) promoteAll(*m);
      const int nG = 4;
      WaitGroup wg;
      wg.Add(nG);
      for (int g = 0; g < nG; g++) {
        go([m, per, &wg] {
          for (int64_t i = 0; i < per; i++) {
            for (;;) {
              int64_t cur = m->Load(0).value;
              if (m->CompareAndSwap(0, cur, cur + 1)) break;
            }
          }
          wg.Done();
        });
      }
      wg.Wait();
      EXPECT_EQ(m->Load(0).value, nG * per);
    });
  }
}

// LoadOrStore agrees: goroutines racing on the same fresh keys all get the
// same actual value, and exactly one of them stored it.
TEST_P(SyncMapConc, LoadOrStoreAgrees) {
  const int64_t keys = iters(300, 4000);
  runOk([keys] {
    Local<IntMap> m = New<IntMap>();
    const int nG = 4;
    std::vector<std::vector<int64_t>> got(nG, std::vector<int64_t>(keys));
    std::vector<int64_t> stores(keys, 0);
    std::atomic<int64_t> storesTotal{0};
    WaitGroup wg;
    wg.Add(nG);
    for (int g = 0; g < nG; g++) {
      go([m, g, keys, &got, &storesTotal, &wg] {
        for (int64_t k = 0; k < keys; k++) {
          auto r = m->LoadOrStore(k, k * 10 + g);
          got[g][k] = r.value;
          if (!r.loaded) storesTotal.fetch_add(1);
        }
        wg.Done();
      });
    }
    wg.Wait();
    EXPECT_EQ(storesTotal.load(), keys) << "one store per key";
    for (int64_t k = 0; k < keys; k++) {
      int64_t v = m->Load(k).value;
      for (int g = 0; g < nG; g++) ASSERT_EQ(got[g][k], v) << "key " << k << " goroutine " << g;
      EXPECT_EQ(v / 10, k);
    }
  });
}

// Writers on disjoint keys (each a private model of its own keys: Store,
// Swap, Delete, LoadOrStore, CompareAndDelete) with readers and Ranges
// running through the promotions and rebuilds they cause; every answer a
// writer gets about its own keys is exact, every value anyone sees encodes
// its key, and the final contents are the union of the models.
TEST_P(SyncMapConc, DisjointWritersMatchTheirModels) {
  const int64_t ops = iters(3000, 40000);
  runOk([ops, this] {
    Local<IntMap> m = New<IntMap>();
    const int nW = 3;
    const int64_t keysPer = 64;
    std::vector<std::map<int64_t, int64_t>> models(nW);
    std::atomic<int64_t> bad{0};
    std::atomic<bool> done{false};
    WaitGroup writers, wg;
    writers.Add(nW);
    wg.Add(1);
    for (int w = 0; w < nW; w++) {
      go([m, w, ops, &models, &bad, &writers, seed = cfg().seed] {
        std::mt19937_64 r(seed * 31 + static_cast<uint64_t>(w));
        std::map<int64_t, int64_t>& model = models[w];
        for (int64_t i = 0; i < ops; i++) {
          int64_t k = w * 1000 + static_cast<int64_t>(r() % keysPer);
          int64_t v = k * 1000000 + i;
          auto it = model.find(k);
          bool had = it != model.end();
          int64_t cur = had ? it->second : 0;
          switch (r() % 6) {
            case 0:
              m->Store(k, v);
              model[k] = v;
              break;
            case 1: {
              auto s = m->Swap(k, v);
              if (s.loaded != had || (had && s.value != cur)) bad++;
              model[k] = v;
              break;
            }
            case 2: {
              auto d = m->LoadAndDelete(k);
              if (d.loaded != had || (had && d.value != cur)) bad++;
              model.erase(k);
              break;
            }
            case 3: {
              auto l = m->LoadOrStore(k, v);
              if (l.loaded != had || l.value != (had ? cur : v)) bad++;
              if (!had) model[k] = v;
              break;
            }
            case 4: {
              bool d = m->CompareAndDelete(k, cur);
              if (d != had) bad++;
              if (had) model.erase(k);
              break;
            }
            default: {
              auto l = m->Load(k);
              if (l.ok != had || (had && l.value != cur)) bad++;
            }
          }
        }
        writers.Done();
      });
    }
    go([m, &done, &bad, &wg] {
      std::mt19937_64 r(7);
      while (!done.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 200; i++) {
          int64_t k = static_cast<int64_t>(r() % nW) * 1000 + static_cast<int64_t>(r() % keysPer);
          auto l = m->Load(k);
          if (l.ok && l.value / 1000000 != k) bad++;
          if (r() % 4 == 0) m->Load(-1 - static_cast<int64_t>(r() % 1000));  // misses: promotions
        }
        m->Range([&](int64_t k, int64_t v) {
          if (v / 1000000 != k) bad++;
          return true;
        });
      }
      wg.Done();
    });
    writers.Wait();
    done.store(true);
    wg.Wait();
    EXPECT_EQ(bad.load(), 0);
    std::map<int64_t, int64_t> want, have;
    for (auto& mm : models) want.insert(mm.begin(), mm.end());
    m->Range([&](int64_t k, int64_t v) {
      have[k] = v;
      return true;
    });
    EXPECT_EQ(have, want);
  });
}

// Values stay alive and intact through collections while goroutines
// store, swap and delete them (gcstress: a cycle every few allocations).
TEST_P(SyncMapConc, ValuesSurviveCollections) {
  const int64_t ops = iters(2000, 20000);
  runOk(
      [ops] {
        Local<PtrMap> m = New<PtrMap>();
        const int nG = 3;
        std::atomic<int64_t> bad{0};
        WaitGroup wg;
        wg.Add(nG);
        for (int g = 0; g < nG; g++) {
          go([m, g, ops, &bad, &wg] {
            std::mt19937_64 r(static_cast<uint64_t>(g) + 11);
            for (int64_t i = 0; i < ops; i++) {
              int64_t k = static_cast<int64_t>(r() % 128);
              switch (r() % 5) {
                case 0:
                  m->Store(k, New<Node>(k));
                  break;
                case 1: {
                  auto s = m->Swap(k, New<Node>(k));
                  if (s.loaded && !s.value->intact(k)) bad++;
                  break;
                }
                case 2: {
                  auto d = m->LoadAndDelete(k);
                  if (d.loaded && !d.value->intact(k)) bad++;
                  break;
                }
                case 3: {
                  auto l = m->LoadOrStore(k, New<Node>(k));
                  if (!l.value->intact(k)) bad++;
                  break;
                }
                default: {
                  auto l = m->Load(k);
                  if (l.ok && !l.value->intact(k)) bad++;
                  if (r() % 16 == 0) {
                    m->Range([&](int64_t key, Local<Node>& v) {
                      if (!v->intact(key)) bad++;
                      return true;
                    });
                  }
                }
              }
            }
            wg.Done();
          });
        }
        wg.Wait();
        EXPECT_EQ(bad.load(), 0);
      },
      godebug(det() ? "gcstress=31,gcverify=1" : "gcstress=97"));
}

INSTANTIATE_TEST_SUITE_P(Configs, SyncMapConc, ::testing::ValuesIn(standardConfigs()), ConfigName());

}  // namespace
}  // namespace gort::testing
