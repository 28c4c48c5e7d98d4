// Looking inside a map: what Go programmers read through unsafe.
//
//   auto info = gort::debug::inspect(*m);   // B, count, noverflow, hash0, ...
//   std::cout << info.toJSON() << "\n";
//   std::cout << gort::debug::dumpBuckets(*m);  // every bucket and its tophash bytes
//
// inspect() reads the hmap as it is now (it is a read of the map: do not
// call it while another goroutine writes the map). Byte counts are what Go
// would charge, each object rounded up to Go's size classes:
//
//   hmapBytes      the 48-byte header
//   bucketsBytes   the bucket array (2^B buckets plus preallocated overflow)
//   oldbucketsBytes the previous array, while a growth is in progress
//   overflowBytes  separately allocated overflow buckets in the chains
//   extraBytes     mapextra, and for noscan maps the overflow lists
//   indirectBytes  the objects of keys and elems stored indirectly (> 128 bytes)
//   totalBytes     their sum
//
// gort's own object headers (16 bytes each) are not included; MemStats
// reports them separately.
#pragma once

#include <cstdint>
#include <string>

#include "gort/map.h"

namespace gort::debug {

struct MapInfo {
  std::string type;         // "map[K]V"
  bool nil = true;
  int64_t count = 0;
  uint8_t B = 0;
  uint8_t flags = 0;        // iterator=1 oldIterator=2 hashWriting=4 sameSizeGrow=8
  uint16_t noverflow = 0;
  uint32_t hash0 = 0;
  uint64_t nevacuate = 0;
  bool growing = false;
  bool sameSizeGrow = false;

  uint64_t bucketSize = 0;       // bytes per bucket (Go's t.bucketsize)
  uint64_t keySize = 0;          // slot sizes (8 when indirect)
  uint64_t elemSize = 0;
  bool indirectKey = false;
  bool indirectElem = false;
  bool noscan = false;           // buckets the collector never scans

  uintptr_t buckets = 0;         // address of the bucket array (0: none yet)
  uint64_t bucketsLen = 0;       // buckets in it, preallocated overflow included
  uintptr_t oldbuckets = 0;
  uint64_t oldbucketsLen = 0;
  uint64_t preallocOverflow = 0;      // preallocated overflow buckets in the array
  uint64_t preallocFree = 0;          // of those, not handed out yet
  uint64_t overflowChained = 0;       // overflow buckets in the chains of buckets
  uint64_t overflowSeparate = 0;      // of those, separately allocated
  uint64_t oldOverflowChained = 0;    // overflow buckets in the chains of oldbuckets
  uint64_t oldOverflowSeparate = 0;
  uint64_t oldEntries = 0;            // entries still in unevacuated old buckets
  // Buckets of the current array (chain members included) by how many of
  // their 8 slots hold an entry.
  uint64_t fill[9] = {};
  double loadFactor = 0;              // count / 2^B

  uint64_t hmapBytes = 0;
  uint64_t bucketsBytes = 0;
  uint64_t oldbucketsBytes = 0;
  uint64_t overflowBytes = 0;
  uint64_t extraBytes = 0;
  uint64_t indirectBytes = 0;
  uint64_t totalBytes = 0;

  std::string toJSON() const;
};

MapInfo inspectMap(const maps::MapType* t, const maps::hmap* h);
std::string dumpMapBuckets(const maps::MapType* t, const maps::hmap* h);
std::string mapTombstoneCheck(const maps::MapType* t, const maps::hmap* h);
std::string mapStructureCheck(const maps::MapType* t, const maps::hmap* h);

// The state of m.
template <class K, class V>
MapInfo inspect(const Map<K, V>& m) {
  return inspectMap(maps::mapTypeOf<K, V>(), m.hmapPtr());
}

// A text picture of every bucket (and old bucket), for teaching: tophash
// bytes in hex (with the marks named), keys and elems where printable,
// and the overflow chains.
template <class K, class V>
std::string dumpBuckets(const Map<K, V>& m) {
  return dumpMapBuckets(maps::mapTypeOf<K, V>(), m.hmapPtr());
}

// Go's MapTombstoneCheck (export_test.go): in every chain, entries and
// emptyOne slots come first and emptyRest slots form a suffix. Returns ""
// when that holds, else what is wrong.
template <class K, class V>
std::string tombstoneCheck(const Map<K, V>& m) {
  return mapTombstoneCheck(maps::mapTypeOf<K, V>(), m.hmapPtr());
}

// A consistency check for tests: count equals the entries in the current
// buckets plus those in unevacuated old buckets; every tophash is a valid
// mark or hash (evacuation marks only in old buckets, and an evacuated old
// bucket holds no live entry); nevacuate is in range; a preallocated
// overflow bucket in a chain lies inside the array of the chain's head.
// Returns "" when all hold, else the first violation.
template <class K, class V>
std::string checkMap(const Map<K, V>& m) {
  return mapStructureCheck(maps::mapTypeOf<K, V>(), m.hmapPtr());
}

}  // namespace gort::debug
