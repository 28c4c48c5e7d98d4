// gort::Map<K,V>: Go's map (the classic hmap of Go 1.19) on gort's heap.
//
// Go:                                  gort:
//   m := make(map[string]int)            auto m = gort::make_map<gort::String, int64_t>();
//   m := make(map[int64]int64, 1000)     auto m = gort::make_map<int64_t, int64_t>(1000);
//   var m map[int64]int64  // nil        gort::Local<gort::Map<int64_t, int64_t>> m;
//   m["a"] = 1                           (*m)["a"] = 1;            // or m->set("a", 1)
//   m["a"]++ ; m["a"] += 2               (*m)["a"]++;  (*m)["a"] += 2;
//   v := m["a"]                          int64_t v = m->get("a");  // or = (*m)["a"]
//   v, ok := m["a"]                      auto [v, ok] = m->lookup("a");
//   delete(m, "a")                       m->del("a");              // or gort::del(m, "a")
//   len(m)                               m->len()                  // or gort::len(m)
//   for k, v := range m { ... }          for (auto [k, v] : *m) { ... }
//   clear(m)  // Go 1.21                 m->clear();
//   m2 := m   // the same map            gort::Local<gort::Map<...>> m2 = m;
//
// A Map is a reference, as in Go: one pointer (8 bytes) to an hmap; copies
// share the map; the zero Map is nil (lookups, len, delete and range work
// and see nothing, assignment panics "assignment to entry in nil map").
// Like String and Slice it is a GC value: a field of a GC object (traced:
// v(m) in the owner's trace method), Local<Map<K,V>> on a goroutine's
// stack, Global<Map<K,V>> at package level. Its methods are const: a const
// Map is a handle that cannot be re-pointed, not a read-only map.
//
// Keys: integers, enums, bool, float, double (NaN and ±0 behave as in Go),
// gort::Ptr<T> (by address; look up with a T*, Ptr, Local or Global),
// gort::String (look up, delete and assign with anything convertible to
// std::string_view; a String argument shares its bytes, a string_view is
// copied only when it becomes a new key), std::complex<float|double>,
// std::array of those, and any
// type with operator== and a hash (see gort/hash.h). Elems: any type.
// Keys and elems must be trivially destructible (map memory is GC memory;
// no destructor runs) and aligned to at most 8 bytes; keys and elems over
// 128 bytes are stored indirectly, as in Go.
//
// What comes back. A lookup returns a copy of the elem: V itself when it
// holds no GC pointers; otherwise a rooted copy, so that nothing the caller
// holds is invisible to the collector: Local<T> for a Ptr<T> elem, Local<V>
// for String, Slice and Map elems, Rooted<V> for other types with pointers
// (MapValue<V> names the type). Range iteration likewise hands out
// references to rooted copies held by the iterator, valid until the next
// step: `for (auto [k, v] : *m)` gives const K& and V& to those copies, the
// loop variables of Go's range.
//
// m[k] op= x (and m[k]++) is m[k] = m[k] op x, as Go compiles it: a lookup
// and an assignment, so that with a NaN key each one adds an entry, and a
// division by zero panics before anything is inserted. update(k, fn) is
// the one-lookup alternative: fn gets a reference to the elem slot (the
// zero value for a new key), like Go's compiled code storing through the
// pointer mapassign returns; fn must not use the map.
//
// Every map operation is a scheduler safepoint, and assignments and
// deletes have safepoints inside them, so goroutines writing one map
// without synchronisation are caught as Go catches them: "fatal error:
// concurrent map writes" (also "concurrent map read and map write" and
// "concurrent map iteration and map write"). In deterministic mode with
// GOMAXPROCS >= 2 the seed reproduces the crash.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "gort/hash.h"
#include "gort/heap.h"
#include "gort/maps/access.h"
#include "gort/maps/assign.h"
#include "gort/maps/bucket.h"
#include "gort/maps/clear.h"
#include "gort/maps/delete.h"
#include "gort/maps/hmap.h"
#include "gort/maps/iter.h"
#include "gort/panic.h"
#include "gort/string.h"

namespace gort {

template <class K, class V>
class Map;
template <class K, class V>
struct IsGcValue<Map<K, V>> : std::true_type {};
template <class K, class V>
class MapIter;
template <class K, class V, class A>
class MapElemRef;

// ---------------------------------------------------------------------------
// What lookups return.

namespace maps {
template <class V, class = void>
struct MapValueOf {
  using type = std::conditional_t<!kHasPointers<V>, V, std::conditional_t<IsGcValue<V>::value, Local<V>, Rooted<V>>>;
};
template <class T>
struct MapValueOf<Ptr<T>> {
  using type = Local<T>;
};
}  // namespace maps

// The type a lookup of a V elem returns: V, Local<T> for Ptr<T>, Local<V>
// for String/Slice/Map, Rooted<V> for other types with GC pointers.
template <class V>
using MapValue = typename maps::MapValueOf<V>::type;

// v, ok := m[k]
template <class V>
struct LookupResult {
  MapValue<V> value;
  bool ok;
};

namespace maps {
template <class V>
struct IsPtr : std::false_type {};
template <class T>
struct IsPtr<Ptr<T>> : std::true_type {};

// A copy of the elem at e (the zero value when e is null), rooted if it
// holds pointers.
template <class V>
MapValue<V> copyOut(const V* e) {
  if constexpr (!kHasPointers<V>) {
    if (e == nullptr) return V{};
    return *e;
  } else if constexpr (IsPtr<V>::value) {
    return MapValue<V>(e == nullptr ? nullptr : e->get());
  } else {
    if (e == nullptr) return MapValue<V>();
    return MapValue<V>(*e);
  }
}
}  // namespace maps

// ---------------------------------------------------------------------------
// Map<K,V>

template <class K, class V>
class Map {
  static_assert(MapKey<K>,
                "a map key needs operator== and a hash: built-in for integers, floats, bool, Ptr, String and arrays "
                "of them; for your own type declare `uint64_t hash(uint64_t seed) const` or specialize gort::Hash "
                "(see gort/hash.h)");

 public:
  using key_type = K;
  using mapped_type = V;
  // What lookups, deletes and assignments take: const K&; for String
  // keys a StrKey (a String, Local<String>, string_view, std::string or C
  // string); for Ptr<T> keys a PtrKey (T*, Ptr<T>, Local<T>, Global<T>).
  using KeyArg = typename maps::KeyTraits<K>::View;
  using Value = MapValue<V>;

  Map() = default;  // nil
  Map(std::nullptr_t) {}
  Map(const Map&) = default;
  Map& operator=(const Map&) = default;
  Map& operator=(std::nullptr_t) {
    h_ = nullptr;
    return *this;
  }

  // make(map[K]V, hint): a Local holding a new map with room for hint
  // entries before it grows. A hint of 8 or less allocates no bucket yet; a
  // negative or absurd hint is ignored (as Go ignores it).
  static Local<Map> make(int64_t hint = 0) { return Local<Map>(MakeTag{}, hint); }

  bool isNil() const { return h_.get() == nullptr; }
  friend bool operator==(const Map& m, std::nullptr_t) { return m.isNil(); }

  // len(m)
  int64_t len() const {
    maps::hmap* h = h_.get();
    return h == nullptr ? 0 : h->count;
  }

  // v := m[k] (the zero value when absent)
  Value get(KeyArg k) const { return maps::copyOut<V>(maps::mapaccess<K, V>(h_.get(), k)); }
  // v, ok := m[k]
  LookupResult<V> lookup(KeyArg k) const {
    V* e = maps::mapaccess<K, V>(h_.get(), k);
    return LookupResult<V>{maps::copyOut<V>(e), e != nullptr};
  }
  // _, ok := m[k]
  bool contains(KeyArg k) const { return maps::mapaccess<K, V>(h_.get(), k) != nullptr; }

  // m[k] = v
  template <class U>
  void set(KeyArg k, U&& v) const {
    assignImpl(k, std::forward<U>(v));
  }

  // The elem slot of k, inserted with the zero value if absent, handed to
  // fn(V&): one lookup, like Go's `*mapassign(m, k) op= x`. fn must not use
  // the map.
  template <class F>
  void update(KeyArg k, F&& fn) const {
    std::forward<F>(fn)(*maps::mapassign<K, V>(h_.get(), k));
  }

  // m[k], to read, assign or modify: (*m)[k] = v; (*m)[k] += 2; V v = (*m)[k].
  // The proxy holds the key for one expression; do not keep it.
  MapElemRef<K, V, KeyArg> operator[](KeyArg k) const { return MapElemRef<K, V, KeyArg>(*this, k); }

  // delete(m, k)
  void del(KeyArg k) const { maps::mapdelete<K, V>(h_.get(), k); }

  // clear(m) (Go 1.21's builtin; Go 1.19's mapclear): removes every entry,
  // keeps the map's capacity (B), reseeds its hash.
  void clear() const { maps::mapclear<K, V>(h_.get()); }

  // for k, v := range m
  MapIter<K, V> begin() const;
  struct End {};
  End end() const { return {}; }

  // For the collector (Map is a GC value).
  void trace(Visitor& v) const { v(h_); }
  void forgetHeap() { h_.forgetHeap(); }

  // The hmap, for introspection (gort/map_debug.h).
  maps::hmap* hmapPtr() const { return h_.get(); }

 private:
  template <class>
  friend struct detail::RootedValue;
  template <class, class, class>
  friend class MapElemRef;
  struct MakeTag {};
  Map(MakeTag, int64_t hint) { h_ = maps::makemap(maps::mapTypeOf<K, V>(), hint); }

  template <class A, class U>
  void assignImpl(const A& k, U&& v) const {
    if constexpr (std::is_assignable_v<V&, U&&>) {
      V* e = maps::mapassign<K, V>(h_.get(), k);
      *e = std::forward<U>(v);
    } else if constexpr (std::is_same_v<V, String> && std::is_convertible_v<U&&, std::string_view>) {
      Local<String> s = String::from(std::string_view(v));
      V* e = maps::mapassign<K, V>(h_.get(), k);
      *e = *s;
    } else {
      static_assert(std::is_assignable_v<V&, U&&>, "the value cannot be assigned to the map's elem type");
    }
  }

  Ptr<maps::hmap> h_;
};
static_assert(sizeof(Map<int64_t, int64_t>) == 8, "a map value is one pointer, as in Go");

// make(map[K]V) / make(map[K]V, hint)
template <class K, class V>
Local<Map<K, V>> make_map(int64_t hint = 0) {
  return Map<K, V>::make(hint);
}

// Go's builtins as free functions, for a Map or a Local/Rooted holding one.
template <class K, class V>
int64_t len(const Map<K, V>& m) {
  return m.len();
}
template <class K, class V>
int64_t len(const Rooted<Map<K, V>>& m) {
  return m->len();
}
template <class K, class V>
void del(const Map<K, V>& m, typename Map<K, V>::KeyArg k) {
  m.del(k);
}
template <class K, class V>
void del(const Rooted<Map<K, V>>& m, typename Map<K, V>::KeyArg k) {
  m->del(k);
}
template <class K, class V>
void clear(const Map<K, V>& m) {
  m.clear();
}
template <class K, class V>
void clear(const Rooted<Map<K, V>>& m) {
  m->clear();
}

// ---------------------------------------------------------------------------
// m[k] as an expression.

template <class K, class V, class A>
class MapElemRef {
  // The key: by value when that is safe and cheap, else by address (the
  // argument lives until the end of the full expression).
  static constexpr bool kByValue = !std::is_reference_v<A> || !kHasPointers<K>;
  using Held = std::conditional_t<kByValue, std::remove_cvref_t<A>, const K*>;

 public:
  MapElemRef(const Map<K, V>& m, A k) : m_(m), k_(hold(k)) {}

  // m[k] = v
  template <class U>
  const MapElemRef& operator=(U&& v) const {
    m_.assignImpl(key(), std::forward<U>(v));
    return *this;
  }
  // m[k] = m[j]
  const MapElemRef& operator=(const MapElemRef& o) const {
    MapValue<V> v = o.get();
    m_.assignImpl(key(), v);
    return *this;
  }

  // v := m[k]
  MapValue<V> get() const { return maps::copyOut<V>(maps::mapaccess<K, V>(m_.h_.get(), key())); }
  operator MapValue<V>() const { return get(); }

  // m[k] op= x: m[k] = m[k] op x.
  template <class U>
  const MapElemRef& operator+=(const U& x) const {
    if constexpr (std::is_same_v<V, String>) {
      Local<String> cur = get();
      Local<String> next = concat(cur->view(), std::string_view(x));
      m_.assignImpl(key(), *next);
      return *this;
    } else {
      return modify([&](V& v) { v += x; });
    }
  }
  template <class U>
  const MapElemRef& operator-=(const U& x) const {
    return modify([&](V& v) { v -= x; });
  }
  template <class U>
  const MapElemRef& operator*=(const U& x) const {
    return modify([&](V& v) { v *= x; });
  }
  template <class U>
  const MapElemRef& operator/=(const U& x) const {
    return modify([&](V& v) {
      checkDivisor(x);
      v /= x;
    });
  }
  template <class U>
  const MapElemRef& operator%=(const U& x) const {
    return modify([&](V& v) {
      checkDivisor(x);
      v %= x;
    });
  }
  template <class U>
  const MapElemRef& operator&=(const U& x) const {
    return modify([&](V& v) { v &= x; });
  }
  template <class U>
  const MapElemRef& operator|=(const U& x) const {
    return modify([&](V& v) { v |= x; });
  }
  template <class U>
  const MapElemRef& operator^=(const U& x) const {
    return modify([&](V& v) { v ^= x; });
  }
  template <class U>
  const MapElemRef& operator<<=(const U& x) const {
    return modify([&](V& v) { v <<= x; });
  }
  template <class U>
  const MapElemRef& operator>>=(const U& x) const {
    return modify([&](V& v) { v >>= x; });
  }
  // m[k]++ and m[k]-- (statements in Go; here ++m[k] also works).
  const MapElemRef& operator++() const {
    return modify([](V& v) { ++v; });
  }
  const MapElemRef& operator--() const {
    return modify([](V& v) { --v; });
  }
  void operator++(int) const { ++*this; }
  void operator--(int) const { --*this; }

 private:
  template <class F>
  const MapElemRef& modify(F&& f) const {
    static_assert(!kHasPointers<V>, "m[k] op= x works on elems without GC pointers (and += on Strings); use update()");
    V v = get();
    f(v);
    m_.assignImpl(key(), v);
    return *this;
  }
  template <class U>
  static void checkDivisor(const U& x) {
    if constexpr (std::is_integral_v<V> && std::is_integral_v<U>) {
      if (x == 0) detail::throwRuntimePanic("integer divide by zero", true);
    }
  }
  static Held hold(A k) {
    if constexpr (kByValue) {
      return k;
    } else {
      return &k;
    }
  }
  A key() const {
    if constexpr (kByValue) {
      return k_;
    } else {
      return *k_;
    }
  }

  const Map<K, V>& m_;
  Held k_;
};

// ---------------------------------------------------------------------------
// Iteration.

// A range over a map (mapiterinit / mapiternext), rooted on the goroutine's
// stack. Positioned at the first entry when constructed.
//
//   for (auto [k, v] : *m) { ... }              // range-for
//   for (gort::MapIter<K, V> it(*m); !it.done(); it.next()) { it.key(); it.elem(); }
template <class K, class V>
class MapIter {
  struct State {
    maps::hiter it{};
    void* cur = nullptr;  // the object the current bucket is in (see gort/maps/iter.h)
    K key{};
    V elem{};
    uint8_t steps = 0;  // since the last yieldpoint (parallel mode)
    void trace(Visitor& v) const {
      maps::traceIter(it, cur, v);
      v(key);
      v(elem);
    }
  };

 public:
  explicit MapIter(const Map<K, V>& m) {
    maps::mapiterinit<K, V>(&s_->it, &s_->cur, m.hmapPtr());
    load();
  }
  MapIter(const MapIter&) = delete;
  MapIter& operator=(const MapIter&) = delete;

  bool done() const { return s_->it.key == nullptr; }
  // mapiternext
  void next() {
    // Each step is a preemption point, as Go's call to mapiternext is (its
    // prologue's stack check). A full yieldpoint per step was a fifth of a
    // range over 1M entries; in parallel mode every 8th step takes one,
    // which delays a preemption or stop-the-world request by at most 7
    // steps. Deterministic mode keeps one per step, so seeds give the
    // schedules they always gave.
    if (maps::gDeterministic.load(std::memory_order_relaxed) || (++s_->steps & 7) == 0) maps::yieldpoint();
    maps::mapiternext<K, V>(&s_->it, &s_->cur);
    load();
  }
  // The current entry (copies, valid until the next step).
  const K& key() const { return s_->key; }
  V& elem() { return s_->elem; }
  const V& elem() const { return s_->elem; }

  std::pair<const K&, V&> operator*() { return {s_->key, s_->elem}; }
  MapIter& operator++() {
    next();
    return *this;
  }
  friend bool operator==(const MapIter& it, typename Map<K, V>::End) { return it.done(); }

 private:
  void load() {
    State& s = *s_;
    if (s.it.key == nullptr) return;
    maps::Slot<K>::assign(&s.key, *static_cast<const K*>(s.it.key));
    maps::Slot<V>::assign(&s.elem, *static_cast<const V*>(s.it.elem));
  }

  Rooted<State> s_;
};

template <class K, class V>
MapIter<K, V> Map<K, V>::begin() const {
  return MapIter<K, V>(*this);
}

}  // namespace gort
