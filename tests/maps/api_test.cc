// The API as a Go programmer uses it: nil maps (M8, M22, M30, M41, M55),
// lookup, assignment, update in place, delete, len, clear, reference
// semantics (TestAlias), compound assignment (TestMapOperatorAssignment),
// and every kind of key and elem: integers, bool, enums, Ptr, String (with
// string_view lookups that allocate nothing), arrays, user structs
// (TestMapInterfaceKey's idea), nested maps, maps in GC objects and Globals.

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "gort/slice.h"
#include "tests/maps/map_test_util.h"

namespace gort::testing {
namespace {

struct Node {
  Ptr<Node> next;
  int64_t val = 0;
  Node() = default;
  explicit Node(int64_t v) : val(v) {}
  void trace(Visitor& v) const { v(next); }
};

// A struct key mixing a float, a string and an int, hashed field by field.
struct Key {
  double f = 0;
  String s;
  int64_t i = 0;
  bool operator==(const Key& o) const { return f == o.f && s == o.s && i == o.i; }
  uint64_t hash(uint64_t seed) const { return hashFields(seed, f, s, i); }
  void trace(Visitor& v) const { v(s); }
};

// A value with a pointer and a default that is not zero.
struct Rec {
  Ptr<Node> node;
  int64_t weight = 7;
  void trace(Visitor& v) const { v(node); }
};

enum class Color : int32_t { Red = 1, Green = 2, Blue = 3 };

// An object with a map field.
struct Registry {
  Map<String, int64_t> byName;
  int64_t tag = 0;
  void trace(Visitor& v) const { v(byName); }
};

Global<Map<int64_t, String>> gNames;


// --- nil maps ---------------------------------------------------------------

TEST(MapApi, NilMapReadsAreEmpty) {
  mapRun([] {
    Local<Map<int64_t, int64_t>> m;
    EXPECT_TRUE(m->isNil());
    EXPECT_TRUE(*m == nullptr);
    EXPECT_EQ(m->len(), 0) << "M8: len of a nil map is 0";
    EXPECT_EQ(len(m), 0);
    EXPECT_EQ(m->get(1), 0) << "M22: the zero value";
    auto [v, ok] = m->lookup(1);
    EXPECT_EQ(v, 0);
    EXPECT_FALSE(ok);
    EXPECT_FALSE(m->contains(1));
    m->del(1);  // M41: a no-op
    del(m, 1);
    m->clear();
    int n = 0;
    for (auto [k, x] : *m) n += static_cast<int>(k + x);
    EXPECT_EQ(n, 0) << "M55";
    Local<Map<String, String>> s;
    Local<String> got = s->get("x");
    EXPECT_EQ(got->len(), 0u);
  });
}

TEST(MapApi, AssignmentToNilMapPanics) {
  mapRun([] {
    Local<Map<int64_t, int64_t>> m;
    EXPECT_EQ(recoverMessage([&] { (*m)[1] = 2; }), "assignment to entry in nil map") << "M30";
    EXPECT_EQ(recoverMessage([&] { m->set(1, 2); }), "assignment to entry in nil map");
    EXPECT_EQ(recoverMessage([&] { (*m)[1]++; }), "assignment to entry in nil map");
    EXPECT_EQ(recoverMessage([&] { m->update(1, [](int64_t& x) { x++; }); }), "assignment to entry in nil map");
    Local<Map<String, int64_t>> s;
    EXPECT_EQ(recoverMessage([&] { (*s)["k"] = 1; }), "assignment to entry in nil map");
    // The goroutine goes on after recovering; so does the map.
    m = make_map<int64_t, int64_t>();
    (*m)[1] = 2;
    EXPECT_EQ(m->get(1), 2);
  });
}

TEST(MapApi, UnrecoveredNilAssignmentPanicEndsTheRun) {
  Outcome o = run(det1(), [] {
    Local<Map<int64_t, int64_t>> m;
    (*m)[1] = 2;
  });
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.failure.kind, FailureKind::Panic);
  EXPECT_EQ(o.failure.message, "assignment to entry in nil map");
  EXPECT_EQ(o.failure.report.rfind("panic: assignment to entry in nil map", 0), 0u) << o.failure.report;
}

// --- basic operations ---------------------------------------------------------

TEST(MapApi, SetGetLookupDeleteLen) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    EXPECT_FALSE(m->isNil());
    for (int64_t i = 0; i < 1000; i++) (*m)[i] = i * i;
    EXPECT_EQ(m->len(), 1000);
    for (int64_t i = 0; i < 1000; i++) {
      EXPECT_EQ(m->get(i), i * i);
      int64_t viaProxy = (*m)[i];
      EXPECT_EQ(viaProxy, i * i);
      auto [v, ok] = m->lookup(i);
      EXPECT_TRUE(ok);
      EXPECT_EQ(v, i * i);
    }
    EXPECT_EQ(m->get(5000), 0);
    EXPECT_FALSE(m->lookup(5000).ok);
    m->set(3, -3);
    EXPECT_EQ(m->get(3), -3);
    EXPECT_EQ(m->len(), 1000) << "an update is not an insert";
    for (int64_t i = 0; i < 1000; i += 2) m->del(i);
    EXPECT_EQ(m->len(), 500);
    for (int64_t i = 0; i < 1000; i++) EXPECT_EQ(m->contains(i), i % 2 == 1);
    m->del(12345);  // absent: nothing happens
    EXPECT_EQ(m->len(), 500);
    EXPECT_TRUE(mapConsistent(*m));
  });
}

// TestMapOperatorAssignment
TEST(MapApi, OperatorAssignment) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    (*m)[0] = 12345;
    (*m)[0] += 67890;
    (*m)[0] /= 123;
    (*m)[0] %= 456;
    const int64_t want = (12345 + 67890) / 123 % 456;
    EXPECT_EQ(m->get(0), want);
    (*m)[1]++;
    (*m)[1]++;
    ++(*m)[1];
    (*m)[2]--;
    (*m)[3] -= 5;
    (*m)[4] = 3;
    (*m)[4] *= 7;
    (*m)[4] <<= 2;
    (*m)[4] >>= 1;
    (*m)[4] |= 1;
    (*m)[4] &= 0xff;
    (*m)[4] ^= 2;
    EXPECT_EQ(m->get(1), 3);
    EXPECT_EQ(m->get(2), -1);
    EXPECT_EQ(m->get(3), -5);
    EXPECT_EQ(m->get(4), (((3 * 7) << 2 >> 1) | (1 & 0xff)) ^ 2);
    (*m)[5] = (*m)[4];
    EXPECT_EQ(m->get(5), m->get(4));
    auto f = make_map<String, double>();
    (*f)["x"] += 1.5;
    (*f)["x"] *= 3;
    EXPECT_EQ(f->get("x"), 4.5);
  });
}

// TestMapAppendAssignment: m[0] = append(m[0], ...) with Slice elems.
TEST(MapApi, AppendAssignment) {
  mapRun(
      [] {
        auto m = make_map<int64_t, Slice<int64_t>>();
        (*m)[0] = Local<Slice<int64_t>>();  // nil
        (*m)[0] = append(*m->get(0), 12345);
        (*m)[0] = append(*m->get(0), 67890);
        (*m)[0] = append(*m->get(0), 123, 456);
        auto a = Slice<int64_t>::make(4);
        (*a)[0] = 7;
        (*a)[1] = 8;
        (*a)[2] = 9;
        (*a)[3] = 0;
        for (int64_t x : *a) (*m)[0] = append(*m->get(0), x);
        GC();
        Local<Slice<int64_t>> got = m->get(0);
        const int64_t want[] = {12345, 67890, 123, 456, 7, 8, 9, 0};
        ASSERT_EQ(got->len(), 8u);
        for (size_t i = 0; i < 8; i++) EXPECT_EQ((*got)[i], want[i]);
      },
      det1(), godebug("gcverify=1"));
}

// m[k] /= 0 panics before anything is stored, as Go's compiled code does.
TEST(MapApi, DivisionByZeroPanicsBeforeInserting) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    int64_t zero = 0;
    EXPECT_EQ(recoverMessage([&] { (*m)[7] /= zero; }), "runtime error: integer divide by zero");
    EXPECT_EQ(recoverMessage([&] { (*m)[7] %= zero; }), "runtime error: integer divide by zero");
    EXPECT_EQ(m->len(), 0);
    EXPECT_FALSE(m->contains(7));
  });
}

TEST(MapApi, UpdateInPlace) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    m->update(1, [](int64_t& v) { v += 10; });
    m->update(1, [](int64_t& v) { v *= 2; });
    EXPECT_EQ(m->get(1), 20);
    EXPECT_EQ(m->len(), 1);
    auto r = make_map<int64_t, Rec>();
    r->update(1, [](Rec& x) { x.weight++; });
    Local<Node> n = New<Node>(5);
    r->update(1, [&](Rec& x) { x.node = n.get(); });
    Rooted<Rec> got = r->get(1);
    EXPECT_EQ(got->weight, 8) << "a new entry starts from Rec{} (weight 7)";
    EXPECT_EQ(got->node.get(), n.get());
    Rooted<Rec> missing = r->get(2);
    EXPECT_EQ(missing->weight, 7) << "the zero value of Rec is Rec{}";
    EXPECT_EQ(missing->node.get(), nullptr);
  });
}

// TestAlias: a map value is a reference.
TEST(MapApi, Alias) {
  mapRun([] {
    auto m = make_map<int64_t, int64_t>();
    Local<Map<int64_t, int64_t>> m2 = m;
    (*m2)[1] = 1;
    (*m)[2] = 2;
    EXPECT_EQ(m->get(1), 1);
    EXPECT_EQ(m2->get(2), 2);
    EXPECT_EQ(m->len(), 2);
    EXPECT_EQ(H(*m), H(*m2));
    m2 = nullptr;
    EXPECT_TRUE(m2->isNil());
    EXPECT_EQ(m->len(), 2);
  });
}

// --- key types --------------------------------------------------------------

TEST(MapApi, StringKeys) {
  mapRun([] {
    auto m = make_map<String, int64_t>();
    (*m)["alpha"] = 1;
    m->set(std::string("beta"), 2);
    Local<String> g = String::from("gamma");
    m->set(g, 3);
    (*m)[*g] += 10;
    std::string_view dv = "delta";
    (*m)[dv] = 4;
    EXPECT_EQ(m->len(), 4);
    EXPECT_EQ(m->get("alpha"), 1);
    EXPECT_EQ(m->get(std::string("beta")), 2);
    EXPECT_EQ(m->get(g), 13);
    EXPECT_EQ(m->get(std::string_view("delta")), 4);
    EXPECT_EQ(m->get(""), 0);
    (*m)[""] = 5;
    EXPECT_EQ(m->get(""), 5) << "the empty string is a key like any other";
    m->del("alpha");
    EXPECT_FALSE(m->contains("alpha"));
    EXPECT_EQ(m->len(), 4);
    // Long keys, keys differing only in the middle.
    std::string a(100, 'x'), b(100, 'x');
    b[50] = 'y';
    (*m)[a] = 100;
    (*m)[b] = 200;
    EXPECT_EQ(m->get(a), 100);
    EXPECT_EQ(m->get(b), 200);
  });
}

// Lookups and deletes by string_view allocate nothing; a new key given as
// bytes allocates its String once; an existing key assigned by bytes
// allocates nothing; a String key is shared, not copied.
TEST(MapApi, StringKeysAllocateOnlyNewKeys) {
  mapRun([] {
    auto m = make_map<String, int64_t>(64);
    for (int i = 0; i < 40; i++) (*m)["key" + std::to_string(i)] = i;
    MemStats a, b;
    ReadMemStats(&a);
    int64_t sum = 0;
    for (int i = 0; i < 40; i++) sum += m->get("key" + std::to_string(i));
    for (int i = 0; i < 40; i++) (*m)["key" + std::to_string(i)] = 2 * i;
    m->del("key3");
    EXPECT_FALSE(m->contains("nope"));
    ReadMemStats(&b);
    EXPECT_EQ(sum, 39 * 40 / 2);
    EXPECT_EQ(b.Mallocs - a.Mallocs, 0u) << "lookups, updates and deletes by bytes do not allocate";
    ReadMemStats(&a);
    (*m)["fresh"] = 1;
    ReadMemStats(&b);
    EXPECT_EQ(b.Mallocs - a.Mallocs, 1u) << "one String for the new key";
    Local<String> shared = String::from("shared-key");
    ReadMemStats(&a);
    m->set(shared, 9);
    ReadMemStats(&b);
    EXPECT_EQ(b.Mallocs - a.Mallocs, 0u) << "a String key is shared";
    bool found = false;
    for (auto [k, v] : *m) {
      if (k == "shared-key") found = k.data() == shared->data();
    }
    EXPECT_TRUE(found) << "the map holds the same bytes";
  });
}

TEST(MapApi, StringElems) {
  mapRun([] {
    auto m = make_map<int64_t, String>();
    (*m)[1] = "one";
    m->set(2, *String::from("two"));
    (*m)[1] += "!";
    (*m)[3] += "new";
    Local<String> one = m->get(1);
    EXPECT_EQ(one->view(), "one!");
    EXPECT_EQ(m->get(2)->view(), "two");
    EXPECT_EQ(m->get(3)->view(), "new");
    EXPECT_EQ(m->get(4)->view(), "") << "missing: the empty string";
    auto [v, ok] = m->lookup(2);
    EXPECT_TRUE(ok);
    EXPECT_EQ(v->view(), "two");
  });
}

TEST(MapApi, PtrKeysAndElems) {
  mapRun([] {
    auto byNode = make_map<Ptr<Node>, int64_t>();
    std::vector<Node*> raw;
    Local<Node> a = New<Node>(1), b = New<Node>(2);
    (*byNode)[a] = 10;
    (*byNode)[b.get()] = 20;
    (*byNode)[nullptr] = 30;
    a->next = b.get();
    EXPECT_EQ(byNode->get(a), 10);
    EXPECT_EQ(byNode->get(a->next), 20) << "look up with a Ptr field";
    EXPECT_EQ(byNode->get(nullptr), 30);
    EXPECT_EQ(byNode->len(), 3);
    Local<Node> c = New<Node>(1);
    EXPECT_FALSE(byNode->contains(c)) << "pointer keys compare by address";

    auto nodes = make_map<int64_t, Ptr<Node>>();
    (*nodes)[1] = a;
    nodes->set(2, b.get());
    Local<Node> got = nodes->get(1);
    EXPECT_EQ(got.get(), a.get());
    Local<Node> none = nodes->get(3);
    EXPECT_EQ(none.get(), nullptr);
    auto [n2, ok] = nodes->lookup(2);
    EXPECT_TRUE(ok);
    EXPECT_EQ(n2->val, 2);
  });
}

// TestMapInterfaceKey's idea with a struct: equal values collide, unequal
// ones do not, NaN-holding keys never match.
TEST(MapApi, StructKeys) {
  mapRun([] {
    auto m = make_map<Key, int64_t>();
    auto key = [](double f, std::string_view s, int64_t i) {
      Rooted<Key> k;
      k->f = f;
      k->s = *String::from(s);
      k->i = i;
      return k;
    };
    (*m)[*key(1.5, "a", 1)] = 1;
    (*m)[*key(1.5, "a", 2)] = 2;
    (*m)[*key(1.5, "b", 1)] = 3;
    (*m)[*key(0.0, "a", 1)] = 4;
    (*m)[*key(-0.0, "a", 1)] += 10;  // -0 == +0: the same key
    EXPECT_EQ(m->len(), 4);
    EXPECT_EQ(m->get(*key(1.5, "a", 1)), 1);
    EXPECT_EQ(m->get(*key(1.5, "a", 2)), 2);
    EXPECT_EQ(m->get(*key(1.5, "b", 1)), 3);
    EXPECT_EQ(m->get(*key(0.0, "a", 1)), 14);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    (*m)[*key(nan, "a", 1)] = 5;
    (*m)[*key(nan, "a", 1)] = 6;
    EXPECT_EQ(m->len(), 6) << "a key holding NaN equals nothing, itself included";
    EXPECT_FALSE(m->contains(*key(nan, "a", 1)));
    // Equal values hash alike under one seed.
    Rooted<Key> x = key(2.5, "zz", 9), y = key(2.5, "zz", 9);
    EXPECT_EQ(hashOf(*x, 77), hashOf(*y, 77));
    EXPECT_NE(hashOf(*x, 77), hashOf(*x, 78));
  });
}

TEST(MapApi, ArrayEnumBoolAndSmallIntegerKeys) {
  mapRun([] {
    auto arr = make_map<std::array<int64_t, 3>, int64_t>();
    (*arr)[{1, 2, 3}] = 6;
    (*arr)[{3, 2, 1}] = 7;
    EXPECT_EQ(arr->get({1, 2, 3}), 6);
    EXPECT_EQ(arr->get({3, 2, 1}), 7);
    EXPECT_EQ(arr->get({1, 2, 4}), 0);

    auto col = make_map<Color, String>();
    (*col)[Color::Red] = "red";
    (*col)[Color::Blue] = "blue";
    EXPECT_EQ(col->get(Color::Red)->view(), "red");
    EXPECT_EQ(col->get(Color::Green)->view(), "");

    auto flags = make_map<bool, int64_t>();
    (*flags)[true]++;
    (*flags)[true]++;
    (*flags)[false]++;
    EXPECT_EQ(flags->get(true), 2);
    EXPECT_EQ(flags->get(false), 1);

    auto bytes = make_map<uint8_t, int64_t>();
    for (int i = 0; i < 1000; i++) (*bytes)[static_cast<uint8_t>(i)]++;
    EXPECT_EQ(bytes->len(), 256);
    for (int i = 0; i < 256; i++) EXPECT_EQ(bytes->get(static_cast<uint8_t>(i)), i < 1000 - 768 ? 4 : 3);

    auto i32 = make_map<int32_t, int32_t>();
    for (int32_t i = -500; i < 500; i++) (*i32)[i] = -i;
    for (int32_t i = -500; i < 500; i++) EXPECT_EQ(i32->get(i), -i);

    auto strs = make_map<std::array<String, 2>, int64_t>();
    Rooted<std::array<String, 2>> k;
    (*k)[0] = *String::from("a");
    (*k)[1] = *String::from("b");
    (*strs)[*k] = 1;
    Rooted<std::array<String, 2>> k2;
    (*k2)[0] = *String::from("a");
    (*k2)[1] = *String::from("b");
    EXPECT_EQ(strs->get(*k2), 1) << "arrays of strings compare by value";
  });
}

// --- where maps live -----------------------------------------------------------

TEST(MapApi, MapsInObjectsGlobalsAndMaps) {
  mapRun([] {
    Local<Registry> r = New<Registry>();
    EXPECT_TRUE(r->byName.isNil());
    r->byName = *make_map<String, int64_t>();
    (r->byName)["x"] = 1;
    r->byName["y"] += 2;
    gNames = make_map<int64_t, String>();
    (*gNames)[1] = "one";
    auto nested = make_map<String, Map<int64_t, int64_t>>();
    (*nested)["inner"] = *make_map<int64_t, int64_t>();
    Local<Map<int64_t, int64_t>> inner = nested->get("inner");
    (*inner)[5] = 25;
    GC();
    GC();
    EXPECT_EQ(r->byName.get("x"), 1);
    EXPECT_EQ(r->byName.get("y"), 2);
    EXPECT_EQ(gNames->get(1)->view(), "one");
    EXPECT_EQ(nested->get("inner")->get(5), 25) << "the inner map is the same map";
    Local<Map<int64_t, int64_t>> none = nested->get("missing");
    EXPECT_TRUE(none->isNil()) << "a missing map elem is a nil map";
    *gNames = nullptr;
  });
}

// What a lookup returns is the caller's own copy, rooted: it stays valid
// when the map drops the entry and the collector runs.
TEST(MapApi, LookupResultsAreRootedCopies) {
  mapRun(
      [] {
        auto m = make_map<int64_t, String>();
        for (int i = 0; i < 100; i++) (*m)[i] = *String::from("value-" + std::to_string(i));
        Local<String> v = m->get(42);
        auto [w, ok] = m->lookup(43);
        auto nodes = make_map<int64_t, Ptr<Node>>();
        (*nodes)[1] = New<Node>(77).get();
        Local<Node> n = nodes->get(1);
        m->clear();
        nodes->del(1);
        GC();
        GC();
        EXPECT_EQ(v->view(), "value-42");
        EXPECT_TRUE(ok);
        EXPECT_EQ(w->view(), "value-43");
        EXPECT_EQ(n->val, 77);
      },
      det1(), godebug("gcverify=1"));
}

}  // namespace
}  // namespace gort::testing
