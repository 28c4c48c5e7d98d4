// gort::SyncMap<K,V>: Go's sync.Map (Go 1.19, sync/map.go) on gort's heap,
// with Go 1.20's Swap, CompareAndSwap and CompareAndDelete.
//
// Go:                                      gort:
//   var m sync.Map  /  m := new(sync.Map)    auto m = gort::New<gort::SyncMap<int64_t, int64_t>>();
//                                            // (or a SyncMap field of a GC object)
//   v, ok := m.Load(k)                       auto [v, ok] = m->Load(k);
//   m.Store(k, v)                            m->Store(k, v);
//   a, loaded := m.LoadOrStore(k, v)         auto [a, loaded] = m->LoadOrStore(k, v);
//   v, loaded := m.LoadAndDelete(k)          auto [v, loaded] = m->LoadAndDelete(k);
//   m.Delete(k)                              m->Delete(k);
//   m.Range(func(k, v any) bool {...})       m->Range([&](const K& k, auto& v) { ...; return true; });
//   p, loaded := m.Swap(k, v)      // 1.20   auto [p, loaded] = m->Swap(k, v);
//   ok := m.CompareAndSwap(k, o, n)// 1.20   bool ok = m->CompareAndSwap(k, o, n);
//   ok := m.CompareAndDelete(k, o) // 1.20   bool ok = m->CompareAndDelete(k, o);
//
// Go's Map holds `any` keys and values; a SyncMap is typed, like the
// generic wrappers people write around it. Keys are whatever gort::Map
// takes (integers, String, Ptr<T> by address, arrays, your own hashable
// types; a null Ptr is a key like any other, as Go's nil `any` is) and are
// passed as Map<K,V>::KeyArg. Values are any copyable type; the 1.20
// compare methods need V == old (Ptr values compare by address, Strings by
// bytes), which Go checks at run time and C++ at compile time. What comes
// back follows map.h's rule (MapValue<V>): V itself when it holds no GC
// pointers, else a rooted copy (Local<T> for Ptr<T>, Local<String>, ...).
//
// The zero SyncMap (a freshly constructed one) is empty and ready to use.
// It must not be copied (it holds a Mutex; copying does not compile) and
// lives on the GC heap: make one with New, or make it a field of a GC
// object and visit it in the owner's trace method (v(m)). The caller keeps
// it reachable (a Local, a Global, a rooted owner) while calling it.
//
// THE DESIGN (Go 1.19's, step for step)
//
//   mu       a gort::Mutex
//   read     an atomically published pointer to an immutable readOnly
//            {m: map[K]*entry, amended}; loads need no lock; stores happen
//            only with mu held (Go's atomic.Value). amended means dirty
//            holds a key that read.m lacks.
//   dirty    map[K]*entry, only touched with mu held: every live key (the
//            non-expunged entries of read.m plus the new keys), or nil.
//   misses   loads (and LoadOrStores, LoadAndDeletes, CompareAndSwaps,
//            CompareAndDeletes) since read was last replaced that had to
//            take mu to find out about a key.
//
// An entry is shared by read.m and dirty; its p is an atomically updated
// pointer, in one of three states:
//
//   a value box     live: the key maps to *p;
//   nil             deleted; still in dirty if dirty exists;
//   expunged        deleted and absent from dirty (dirty exists). Only a
//                   writer holding mu may revive it, and it first puts the
//                   entry back into dirty.
//
// Operations on a key in read.m work on its entry without the lock:
// Load, the Store of a key that is not expunged, LoadOrStore of a live or
// nil entry, Delete, the Swap/CompareAndSwap/CompareAndDelete of an entry
// found there. Anything else takes mu and looks again. A Store of a new key
// into a map whose read is not amended first builds dirty (dirtyLocked):
// a new map sized len(read.m) holding every read entry except the deleted
// ones, which become expunged instead; that O(len(read)) copy happens once
// per promotion cycle. Each miss counts; when misses reach len(dirty),
// dirty becomes the new read (unamended), dirty = nil, misses = 0: the
// "promotion" that amortises the copy. Range promotes at once when read is
// amended, since it is O(n) anyway. go-semantics.md S5-S12 has the exact
// rules, and docs/syncmap.md the picture.
//
// A deleted key therefore stays in read.m (as a nil entry) until the next
// dirtyLocked expunges it and the promotion after that drops the old read:
// only then can the key (and what it points to) be collected, exactly as
// in Go (golang/go#40999).
//
// THE COLLECTOR'S VIEW (gort-specific)
//
// Everything is a GC object: the readOnly, each entry, each value box (Go
// boxes every value behind a *any), both maps, and expunged, a sentinel
// object allocated once per run (Go: `new(any)` in a package variable) and
// held by a global root. Publishing read is a Ptr store: the hybrid write
// barrier, then a release store (loads acquire). Every change of an
// entry's p, CAS or exchange, goes through the barrier too: after a
// successful CAS or an exchange, while the barrier is on, the old box and
// the new one are shaded (nothing can reach a safepoint in between, so the
// marker cannot finish without seeing them); a new entry's first value is
// shaded as it is initialised, since the entry may be born black.
//
// No raw pointer to an entry, box or readOnly is held across a safepoint
// unless it is also reachable from the SyncMap under mu: each method has
// one yield point at its entry (Go's preemption point), the lock-free
// lookups below skip the hmap's own, and the slow paths root the entry
// they carry out of the lock in a Local.
//
// Introspection: gort::debug::inspect(m) (gort/syncmap_debug.h) shows
// len(read.m), len(dirty), whether dirty is nil, amended, misses, and
// counters kept since creation: promotions, dirty rebuilds, entries copied
// by rebuilds, and calls that took the lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <utility>

#include "gort/heap.h"
#include "gort/map.h"
#include "gort/string.h"
#include "gort/sync.h"

namespace gort {

template <class K, class V>
class SyncMap;

namespace debug {
struct SyncMapInfo;
}

// What LoadOrStore (value = the actual value), LoadAndDelete (the deleted
// value) and Swap (the previous value) return, with whether a value was
// there (Go's `loaded`). Unpacks as `auto [v, loaded] = ...`.
template <class V>
struct SyncResult {
  MapValue<V> value;
  bool loaded;
};

namespace syncmap {

// ---------------------------------------------------------------------------
// The objects.

// A value box: Go's *any behind entry.p. Pointer-free values make a noscan box.
template <class V, bool = kHasPointers<V>>
struct Box {
  template <class U>
  explicit Box(U&& u) : v(std::forward<U>(u)) {}
  V v;
};
template <class V>
struct Box<V, true> {
  template <class U>
  explicit Box(U&& u) : v(std::forward<U>(u)) {}
  V v;
  void trace(Visitor& vis) const { vis(v); }
};

// The run's expunged sentinel, or null before the first dirtyLocked of the
// run (no entry can be expunged then). Held by a global root (syncmap.cc).
extern std::atomic<void*> gExpunged;
void* makeExpunged();
inline void* expunged() { return gExpunged.load(std::memory_order_relaxed); }

// An entry: one slot shared by read.m and dirty.
template <class V>
struct Entry {
  using B = Box<V>;
  explicit Entry(B* b) {
    // The entry may be born black while marking: shade its first value.
    detail::writeBarrier(nullptr, b);
    p.store(b, std::memory_order_relaxed);
  }
  // Acquire: the box's contents were written before the release that
  // published it.
  B* load() const { return p.load(std::memory_order_acquire); }
  static bool isExpunged(const void* x) { return x != nullptr && x == expunged(); }
  // A CAS of p with the barrier: old and new are shaded on success.
  bool cas(B* old, B* nw) {
    if (!p.compare_exchange_strong(old, nw, std::memory_order_acq_rel, std::memory_order_acquire)) return false;
    detail::writeBarrier(old, nw);
    return true;
  }
  // An exchange of p with the barrier; returns the old value.
  B* swap(B* nw) {
    B* old = p.exchange(nw, std::memory_order_acq_rel);
    detail::writeBarrier(old, nw);
    return old;
  }

  void trace(Visitor& vis) const { vis.visitRaw(p.load(std::memory_order_acquire)); }

  std::atomic<B*> p{nullptr};
};

// readOnly: immutable once published.
template <class K, class V>
struct ReadOnly {
  using EMap = Map<K, Ptr<Entry<V>>>;
  ReadOnly(const EMap* mm, bool a) : amended(a) {
    if (mm != nullptr) m = *mm;
  }
  EMap m;
  bool amended;
  void trace(Visitor& vis) const { vis(m); }
};

// A lookup in an hmap without the yield point mapaccess starts with (the
// caller has had its yield point, and may hold the map only by a raw
// pointer that a collection during a yield could free).
template <class K, class V, class A>
V* lookup(maps::hmap* h, const A& key) {
  if (h == nullptr || h->count == 0) return nullptr;
  if ((h->getFlags() & maps::hashWriting) != 0) maps::fatalConcurrentReadWrite();
  if constexpr (maps::kFastKey<K, V>) {
    return maps::mapaccessFast<K, V>(h, key);
  } else if constexpr (maps::kFastStr<K, V>) {
    return maps::mapaccessStr<K, V>(h, std::string_view(key));
  } else {
    return maps::mapaccessGeneric<K, V>(h, key);
  }
}

// How the compare methods compare a stored value with `old`.
template <class V>
struct ValueEq {
  template <class U>
  static bool eq(const V& stored, const U& old) {
    return stored == old;
  }
};
template <class T>
struct ValueEq<Ptr<T>> {
  static bool eq(const Ptr<T>& stored, maps::PtrKey<T> old) { return stored.get() == old.p; }
};

struct Access;

}  // namespace syncmap

// ---------------------------------------------------------------------------
// SyncMap<K,V>

template <class K, class V>
class SyncMap {
  using E = syncmap::Entry<V>;
  using B = syncmap::Box<V>;
  using RO = syncmap::ReadOnly<K, V>;
  using EP = Ptr<E>;
  using EMap = Map<K, EP>;

 public:
  using key_type = K;
  using mapped_type = V;
  using KeyArg = typename EMap::KeyArg;
  using Value = MapValue<V>;

  SyncMap() = default;
  SyncMap(const SyncMap&) = delete;
  SyncMap& operator=(const SyncMap&) = delete;

  // Load returns the value stored for k and whether there was one.
  LookupResult<V> Load(KeyArg k) {
    maps::yieldpoint();
    RO* r = read_.get();
    if (E* e = findRead(r, k)) return loadEntry(e);
    if (r == nullptr || !r->amended) return {Value(), false};
    return loadSlow(k);
  }

  // Store sets the value for k.
  template <class U>
  void Store(KeyArg k, U&& v) {
    Local<B> b = newBox(std::forward<U>(v));  // Go boxes the value up front too
    if (E* e = findRead(read_.get(), k); e != nullptr && tryStore(e, b.get())) return;
    storeSlow(k, b.get());
  }

  // LoadOrStore returns the existing value for k if there is one (loaded =
  // true); otherwise it stores v and returns it (loaded = false).
  template <class U>
  SyncResult<V> LoadOrStore(KeyArg k, U&& v) {
    maps::yieldpoint();
    Local<B> b;  // made only if needed
    if (E* e = findRead(read_.get(), k)) {
      // A clean hit takes no lock.
      B* p = e->load();
      if (p != nullptr && !E::isExpunged(p)) return {copyOut(p), true};
      if (p == nullptr) {
        Local<E> held(e);
        int st = tryLoadOrStore(e, &b, std::forward<U>(v), &p);
        if (st == kStored) return {copyOut(b.get()), false};
        if (st == kLoaded) return {copyOut(p), true};
      }
    }
    return loadOrStoreSlow(k, &b, std::forward<U>(v));
  }

  // LoadAndDelete deletes the value for k, returning it if there was one.
  SyncResult<V> LoadAndDelete(KeyArg k) { return deleteImpl<true>(k); }

  // Delete deletes the value for k.
  void Delete(KeyArg k) { deleteImpl<false>(k); }

  // Range calls f(key, value) for each key and value present, until f
  // returns false (a void f never stops). No snapshot: each key is visited
  // at most once, and a value may be any that was stored during the Range;
  // f may call any method of the map, Range included. key and value are
  // rooted copies, valid while f runs.
  template <class F>
  void Range(F&& f) {
    maps::yieldpoint();
    Local<RO> keep(read_.get());  // the Range's own `read`
    if (keep && keep->amended) {
      // Range is O(n) anyway, so it pays for the promotion at once.
      std::lock_guard<Mutex> lk(mu_);
      slowPath_++;
      if (read_->amended) promoteLocked();
      keep = read_.get();
    }
    if (!keep) return;
    for (MapIter<K, EP> it(keep->m); !it.done(); it.next()) {
      B* p = it.elem()->load();
      if (p == nullptr || E::isExpunged(p)) continue;
      Value val = copyOut(p);
      if constexpr (std::is_void_v<decltype(f(it.key(), val))>) {
        f(it.key(), val);
      } else {
        if (!f(it.key(), val)) break;
      }
    }
  }

  // Swap (Go 1.20) stores v for k and returns the previous value, if any.
  template <class U>
  SyncResult<V> Swap(KeyArg k, U&& v) {
    Local<B> b = newBox(std::forward<U>(v));
    if (E* e = findRead(read_.get(), k)) {
      for (;;) {
        B* p = e->load();
        if (E::isExpunged(p)) break;
        if (e->cas(p, b.get())) {
          if (p == nullptr) return {Value(), false};
          return {copyOut(p), true};
        }
      }
    }
    std::lock_guard<Mutex> lk(mu_);
    slowPath_++;
    RO* r = read_.get();
    B* old = nullptr;
    if (E* e = findRead(r, k)) {
      if (unexpungeLocked(e)) dirty_.set(k, e);
      old = e->swap(b.get());
    } else if (E* d = findDirty(k)) {
      old = d->swap(b.get());
    } else {
      addLocked(r, k, b.get());
    }
    if (old == nullptr) return {Value(), false};
    return {copyOut(old), true};
  }

  // CompareAndSwap (Go 1.20) stores desired for k if the value stored now
  // equals old, and says whether it did. An absent or deleted key never
  // matches.
  template <class O, class U>
  bool CompareAndSwap(KeyArg k, const O& old, U&& desired) {
    maps::yieldpoint();
    RO* r = read_.get();
    if (E* e = findRead(r, k)) return tryCompareAndSwap(e, old, std::forward<U>(desired));
    if (r == nullptr || !r->amended) return false;  // no value for k
    std::lock_guard<Mutex> lk(mu_);
    slowPath_++;
    r = read_.get();
    if (E* e = findRead(r, k)) return tryCompareAndSwap(e, old, std::forward<U>(desired));
    if (E* d = findDirty(k)) {
      bool swapped = tryCompareAndSwap(d, old, std::forward<U>(desired));
      // The lock was needed to find k: a miss, as for Load.
      missLocked();
      return swapped;
    }
    return false;
  }

  // CompareAndDelete (Go 1.20) deletes k if its value equals old, and says
  // whether it did. With no value for k it returns false.
  template <class O>
  bool CompareAndDelete(KeyArg k, const O& old) {
    maps::yieldpoint();
    RO* r = read_.get();
    E* e = findRead(r, k);
    Local<E> held;
    if (e == nullptr && r != nullptr && r->amended) {
      std::lock_guard<Mutex> lk(mu_);
      slowPath_++;
      r = read_.get();
      e = findRead(r, k);
      if (e == nullptr && r != nullptr && r->amended) {
        // k stays in dirty: the compare still has to happen; a later
        // promotion and rebuild will expunge a nil entry.
        e = findDirty(k);
        missLocked();
      }
      held = e;  // e may leave both maps once mu is released
    }
    while (e != nullptr) {
      B* p = e->load();
      if (p == nullptr || E::isExpunged(p) || !syncmap::ValueEq<V>::eq(p->v, old)) return false;
      if (e->cas(p, nullptr)) return true;
    }
    return false;
  }

  // For the collector: the readOnly (hence read.m) and dirty.
  void trace(Visitor& vis) const {
    vis(read_);
    vis(dirty_);
  }

 private:
  friend struct syncmap::Access;
  enum { kFailed, kLoaded, kStored };

  static Value copyOut(const B* p) { return maps::copyOut<V>(&p->v); }
  static LookupResult<V> loadEntry(E* e) {
    B* p = e->load();
    if (p == nullptr || E::isExpunged(p)) return {Value(), false};
    return {copyOut(p), true};
  }

  template <class U>
  static Local<B> newBox(U&& v) {
    if constexpr (std::is_same_v<V, String> && !std::is_convertible_v<U&&, const String&> &&
                  std::is_convertible_v<U&&, std::string_view>) {
      Local<String> s = String::from(std::string_view(v));
      return New<B>(*s);
    } else {
      return New<B>(std::forward<U>(v));
    }
  }

  static E* findRead(RO* r, const KeyArg& k) {
    if (r == nullptr) return nullptr;
    EP* ep = syncmap::lookup<K, EP>(r->m.hmapPtr(), k);
    return ep == nullptr ? nullptr : ep->get();
  }
  E* findDirty(const KeyArg& k) const {
    EP* ep = syncmap::lookup<K, EP>(dirty_.hmapPtr(), k);
    return ep == nullptr ? nullptr : ep->get();
  }

  // entry.tryStore: stores b unless the entry is expunged.
  static bool tryStore(E* e, B* b) {
    for (;;) {
      B* p = e->load();
      if (E::isExpunged(p)) return false;
      if (e->cas(p, b)) return true;
    }
  }

  // entry.unexpungeLocked: expunged -> nil; true if it was expunged (the
  // caller must then put the entry back into dirty before unlocking).
  static bool unexpungeLocked(E* e) {
    B* x = static_cast<B*>(syncmap::expunged());
    return x != nullptr && e->cas(x, nullptr);
  }

  // entry.tryExpungeLocked: nil -> expunged; true if it is expunged now.
  static bool tryExpungeLocked(E* e, B* x) {
    B* p = e->load();
    while (p == nullptr) {
      if (e->cas(nullptr, x)) return true;
      p = e->load();
    }
    return p == x;
  }

  // entry.tryLoadOrStore for an entry seen nil: stores the value (boxing it
  // into *b if that has not happened yet) unless the entry turned live
  // (kLoaded, *loadedOut) or expunged (kFailed) meanwhile. e must be
  // rooted by the caller: the box allocation is a safepoint.
  template <class U>
  static int tryLoadOrStore(E* e, Local<B>* b, U&& v, B** loadedOut) {
    if (!*b) *b = newBox(std::forward<U>(v));
    for (;;) {
      if (e->cas(nullptr, b->get())) return kStored;
      B* p = e->load();
      if (E::isExpunged(p)) return kFailed;
      if (p != nullptr) {
        *loadedOut = p;
        return kLoaded;
      }
    }
  }

  // tryCompareAndSwap: the first compare happens before anything is
  // allocated; after the allocation (a safepoint) the loop loads again.
  template <class O, class U>
  static bool tryCompareAndSwap(E* e, const O& old, U&& desired) {
    B* p = e->load();
    if (p == nullptr || E::isExpunged(p) || !syncmap::ValueEq<V>::eq(p->v, old)) return false;
    Local<E> held(e);
    Local<B> nb = newBox(std::forward<U>(desired));
    for (;;) {
      p = e->load();
      if (p == nullptr || E::isExpunged(p) || !syncmap::ValueEq<V>::eq(p->v, old)) return false;
      if (e->cas(p, nb.get())) return true;
    }
  }

  [[gnu::noinline]] LookupResult<V> loadSlow(KeyArg k) {
    Local<E> held;
    {
      std::lock_guard<Mutex> lk(mu_);
      slowPath_++;
      // dirty may have been promoted while we waited for mu: look again
      // rather than count a spurious miss.
      RO* r = read_.get();
      E* e = findRead(r, k);
      if (e == nullptr && r != nullptr && r->amended) {
        e = findDirty(k);
        // Found or not, a miss: k takes the slow path until dirty is promoted.
        missLocked();
      }
      if (e == nullptr) return {Value(), false};
      held = e;
    }
    return loadEntry(held.get());
  }

  [[gnu::noinline]] void storeSlow(KeyArg k, B* b) {
    std::lock_guard<Mutex> lk(mu_);
    slowPath_++;
    RO* r = read_.get();
    if (E* e = findRead(r, k)) {
      // Expunged: dirty exists and lacks k; put the entry back first.
      if (unexpungeLocked(e)) dirty_.set(k, e);
      e->swap(b);
    } else if (E* d = findDirty(k)) {
      d->swap(b);
    } else {
      addLocked(r, k, b);
    }
  }

  template <class U>
  [[gnu::noinline]] SyncResult<V> loadOrStoreSlow(KeyArg k, Local<B>* b, U&& v) {
    std::lock_guard<Mutex> lk(mu_);
    slowPath_++;
    RO* r = read_.get();
    if (E* e = findRead(r, k)) {
      if (unexpungeLocked(e)) dirty_.set(k, e);
      return loadOrStoreLocked(e, b, std::forward<U>(v));
    }
    if (E* d = findDirty(k)) {
      SyncResult<V> res = loadOrStoreLocked(d, b, std::forward<U>(v));
      // The one difference from Store: finding k in dirty is a miss.
      missLocked();
      return res;
    }
    if (!*b) *b = newBox(std::forward<U>(v));
    addLocked(r, k, b->get());
    return {copyOut(b->get()), false};
  }

  // tryLoadOrStore with mu held, on an entry that cannot be expunged
  // (expunging needs mu).
  template <class U>
  SyncResult<V> loadOrStoreLocked(E* e, Local<B>* b, U&& v) {
    B* p = e->load();
    if (p != nullptr) return {copyOut(p), true};
    int st = tryLoadOrStore(e, b, std::forward<U>(v), &p);
    if (st == kLoaded) return {copyOut(p), true};
    return {copyOut(b->get()), false};
  }

  // A new key, mu held: builds dirty first if read is not amended yet.
  void addLocked(RO* r, KeyArg k, B* b) {
    if (r == nullptr || !r->amended) {
      dirtyLocked();
      Local<RO> nr = New<RO>(r == nullptr ? nullptr : &r->m, true);
      read_ = nr.get();
    }
    Local<E> ne = New<E>(b);
    dirty_.set(k, ne.get());
  }

  template <bool kWant>
  SyncResult<V> deleteImpl(KeyArg k) {
    maps::yieldpoint();
    RO* r = read_.get();
    E* e = findRead(r, k);
    Local<E> held;
    if (e == nullptr && r != nullptr && r->amended) {
      std::lock_guard<Mutex> lk(mu_);
      slowPath_++;
      r = read_.get();
      e = findRead(r, k);
      if (e == nullptr && r != nullptr && r->amended) {
        e = findDirty(k);
        held = e;  // out of dirty now: only we hold it
        dirty_.del(k);
        missLocked();
      } else {
        held = e;  // read may be replaced once mu is released
      }
    }
    // entry.delete
    while (e != nullptr) {
      B* p = e->load();
      if (p == nullptr || E::isExpunged(p)) break;
      if (e->cas(p, nullptr)) {
        if constexpr (kWant) {
          return {copyOut(p), true};
        } else {
          return {Value(), true};
        }
      }
    }
    return {Value(), false};
  }

  // missLocked: promotes dirty once the misses have paid for its copy.
  void missLocked() {
    misses_++;
    if (misses_ < dirty_.len()) return;
    promoteLocked();
  }

  void promoteLocked() {
    Local<RO> nr = New<RO>(&dirty_, false);
    read_ = nr.get();
    dirty_ = nullptr;
    misses_ = 0;
    promotions_++;
  }

  // dirtyLocked: dirty = a copy of read.m without its deleted entries,
  // which are expunged instead.
  void dirtyLocked() {
    if (!dirty_.isNil()) return;
    B* x = static_cast<B*>(syncmap::expunged());
    if (x == nullptr) x = static_cast<B*>(syncmap::makeExpunged());
    RO* r = read_.get();  // stable: stores of read need mu
    {
      Local<EMap> d = EMap::make(r == nullptr ? 0 : r->m.len());
      dirty_ = *d;
    }
    rebuilds_++;
    if (r == nullptr) return;
    for (MapIter<K, EP> it(r->m); !it.done(); it.next()) {
      E* e = it.elem().get();
      if (tryExpungeLocked(e, x)) continue;
      dirty_.set(it.key(), e);
      copied_++;
    }
  }

  Mutex mu_;
  Ptr<RO> read_;        // nil: empty and not amended (the zero Map)
  EMap dirty_;          // mu
  int64_t misses_ = 0;  // mu
  // gort's counters since creation (mu), for debug::inspect.
  uint64_t promotions_ = 0;  // dirty became read (missLocked or Range)
  uint64_t rebuilds_ = 0;    // dirtyLocked made a new dirty
  uint64_t copied_ = 0;      // entries those rebuilds copied
  uint64_t slowPath_ = 0;    // calls that took mu
};

}  // namespace gort
