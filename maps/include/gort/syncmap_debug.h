// Looking inside a SyncMap: what Go programmers read through unsafe, plus
// counters Go does not keep.
//
//   auto info = gort::debug::inspect(*m);
//   std::cout << info.toJSON() << "\n";
//   // after 1000 Stores of new keys and one Range:
//   // {"read":1000,"dirty":0,"dirtyNil":true,"amended":false,"misses":0,
//   //  "promotions":1,"rebuilds":1,"copied":0,"slowPath":1001}
//
// inspect() takes the map's mutex for a consistent snapshot (it is safe
// while other goroutines use the map; it is a sync operation, so a
// scheduler safepoint, and it does not count as a slow-path call).
//
//   readLen     len(read.m): keys in the read-only map, deleted (nil) and
//               expunged entries included
//   dirtyLen    len(dirty) (0 when dirty is nil)
//   dirtyNil    dirty == nil (no write since the last promotion)
//   amended     read.amended: dirty holds keys that read.m lacks
//   misses      loads since read was replaced that needed the lock
//   promotions  times dirty became read (missLocked, or Range when amended)
//   rebuilds    times dirtyLocked made a new dirty from read
//   copied      entries those rebuilds copied into dirty (expunged ones are
//               not copied)
//   slowPath    method calls that took the lock
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "gort/syncmap.h"

namespace gort::debug {

struct SyncMapInfo {
  int64_t readLen = 0;
  int64_t dirtyLen = 0;
  bool dirtyNil = true;
  bool amended = false;
  int64_t misses = 0;
  uint64_t promotions = 0;
  uint64_t rebuilds = 0;
  uint64_t copied = 0;
  uint64_t slowPath = 0;

  std::string toJSON() const;
};

}  // namespace gort::debug

namespace gort::syncmap {

struct Access {
  template <class K, class V>
  static debug::SyncMapInfo info(SyncMap<K, V>& m) {
    std::lock_guard<Mutex> lk(m.mu_);
    debug::SyncMapInfo out;
    auto* r = m.read_.get();
    out.readLen = r == nullptr ? 0 : r->m.len();
    out.amended = r != nullptr && r->amended;
    out.dirtyNil = m.dirty_.isNil();
    out.dirtyLen = m.dirty_.len();
    out.misses = m.misses_;
    out.promotions = m.promotions_;
    out.rebuilds = m.rebuilds_;
    out.copied = m.copied_;
    out.slowPath = m.slowPath_;
    return out;
  }
};

}  // namespace gort::syncmap

namespace gort::debug {

// The state of m now (see above).
template <class K, class V>
SyncMapInfo inspect(SyncMap<K, V>& m) {
  return syncmap::Access::info(m);
}

}  // namespace gort::debug
