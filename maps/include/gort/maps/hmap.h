// hmap: Go's classic hash map (Go 1.19, runtime/map.go) on gort's heap.
//
// Public only because gort::Map<K,V> is a template; not for users.
//
// THE DATA STRUCTURE
//
// A map value is one pointer to an hmap, a 48-byte header (count, flags,
// B, noverflow, hash0, buckets, oldbuckets, nevacuate, extra). The entries
// live in an array of 2^B buckets. A bucket (bmap) holds 8 entries laid
// out as
//
//     tophash[8] | key 0 .. key 7 | elem 0 .. elem 7 | overflow
//
// keys packed together, then elems, then one overflow word: packing the
// keys and the elems separately avoids the padding key/elem pairs would
// need (map[int64]int8 buckets are 88 bytes, not 136). A key or elem over
// 128 bytes is stored indirectly: the slot holds a pointer to its own heap
// object.
//
// The low B bits of a key's hash pick its bucket; the top byte, its tophash,
// is kept per slot so that a lookup compares keys only where the top byte
// matches. Tophash values below 5 are marks, not hashes, and a real top byte
// below 5 is stored plus 5:
//
//     emptyRest      0   empty, and so is every later slot of the chain
//     emptyOne       1   empty
//     evacuatedX     2   moved to the same index of the doubled array
//     evacuatedY     3   moved to index + oldsize
//     evacuatedEmpty 4   was empty when its bucket was evacuated
//
// emptyRest lets a lookup stop early. Deleting the last entry of a chain
// turns it, and every emptyOne before it, into emptyRest (walking backwards
// across the chain's buckets); so a chain always reads "entries and
// emptyOne, then a suffix of emptyRest".
//
// More than 8 entries for one bucket chain into overflow buckets. From B =
// 4 on, makeBucketArray allocates 2^(B-4) spare buckets behind the 2^B (and
// as many more as fit once the allocation is rounded up to its size class);
// newoverflow hands them out before it allocates any. noverflow counts
// overflow buckets, exactly while B < 16 and by sampling (probability
// 1/2^(B-15)) above, so that it fits 16 bits.
//
// LOAD FACTOR AND GROWTH
//
// Go measured these figures for full tables of 8-byte keys and elems
// (map.go):
//
//     loadFactor  %overflow  bytes/entry  hitprobe  missprobe
//        4.00        2.13       20.77       3.00      4.00
//        5.00        6.85       14.77       3.50      5.00
//        6.00       15.27       11.67       4.00      6.00
//        6.50       20.90       10.79       4.25      6.50
//        7.00       27.14       10.15       4.50      7.00
//        8.00       41.10        9.40       5.00      8.00
//
// and settled on 6.5 (13/2, so that only integer arithmetic is needed). An
// insert of a new key grows the map when the count would exceed 8 and 6.5
// per bucket (overLoadFactor), or when there are about as many overflow
// buckets as buckets (tooManyOverflowBuckets). The first doubles B; the
// second keeps B ("same-size growth") to repack a map whose deletes left
// sparse chains. A map never shrinks.
//
// Growth is incremental. hashGrow only allocates the new array and moves
// the old one to oldbuckets. Each later write (assignment or delete)
// evacuates the old bucket its own key maps to, then the old bucket at
// nevacuate, moving at most two old buckets' entries. Reads never move
// anything: while growing, a lookup reads the old bucket unless it has
// been evacuated. When nevacuate reaches the old size, oldbuckets is
// dropped. Entries never move within a bucket, which is what lets an
// iterator work across a growth.
//
// ITERATION
//
// An iterator starts at a random bucket and a random slot offset (so even
// a one-bucket map iterates in varying orders), walks every bucket once,
// and within each the 8 slots from the offset, then the overflow chain. If
// it started during a doubling growth, a bucket whose old bucket is not yet
// evacuated is read from the old bucket, keeping only entries that belong
// to the current new bucket. An entry found already evacuated is looked up
// again in the live table, so deleted entries are skipped and updated keys
// and elems (-0 vs +0) are returned as they are now.
//
// CONCURRENCY CHECKS
//
// Maps are not safe for concurrent use, and Go detects some misuse on a
// best-effort basis: a writer hashes its key, flips hashWriting in flags
// with XOR, writes, and checks the bit is still set before clearing it. A
// writer that finds the bit set at entry, or clear at exit (a second
// writer's XOR), dies with "fatal error: concurrent map writes"; a reader
// that finds it set, with "concurrent map read and map write"; an iterator
// step, with "concurrent map iteration and map write". These are fatal
// errors, not panics: they cannot be recovered. gort puts a scheduler
// yield point at the entry of every operation (where Go could preempt the
// caller) and, in deterministic mode, safepoints on both sides of the XOR
// and before the exit check, so that with several Ps a second goroutine can
// run exactly where a second CPU could (two writers both passing the entry
// check, or one finding the other's flag), and a seed reproduces the crash.
// With one P only an allocation inside the write (an overflow bucket, a
// growth) can switch goroutines there, as only GC assists can in Go.
//
// THE GARBAGE COLLECTOR'S VIEW (gort-specific)
//
// The hmap, each bucket array, each separately allocated overflow bucket,
// each indirect key or elem, mapextra and the overflow lists are GC
// objects. gort's collector finds an object's header just before the
// address it is handed, so every reference it traces must point at the
// start of an object; Go's collector has no such restriction, and two of
// Go's references point into the middle of a bucket array:
//
//   - the overflow word of a bucket may point at a preallocated overflow
//     bucket inside the array. gort sets the low bit of the word when it
//     points at a separately allocated bucket (an object of its own) and
//     traces only such words; a preallocated bucket is part of its array,
//     which is reachable anyway. Code that follows the chain masks the bit.
//   - mapextra.nextOverflow points into the array; it is never traced.
//
// As in Go, a bucket type whose keys and elems hold no pointers (inline)
// is noscan: the collector never looks inside such buckets, so their
// overflow words are not traced at all and extra.overflow / oldoverflow
// (lists of every overflow bucket in use) keep them alive.
//
// Stores of references into GC objects go through the write barrier:
// hmap's and mapextra's fields are Refs (a barrier on every set), keys and
// elems are stored by C++ assignment (String, Ptr, Slice and Map assign
// through their barriers), and slots that hold pointers are cleared by
// assignment too, never by memset under the collector's feet.
//
// Allocation discipline: each object a map operation allocates is linked
// into the map before anything else is allocated, and detail::afterAlloc()
// (which may start a cycle and switch goroutines) runs right after the
// link, as for every other gort allocation.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "gort/heap.h"

namespace gort::maps {

// ---------------------------------------------------------------------------
// Constants (map.go)

inline constexpr int kBucketCntBits = 3;
inline constexpr int kBucketCnt = 1 << kBucketCntBits;  // slots per bucket
inline constexpr int64_t kLoadFactorNum = 13;           // load factor 13/2 = 6.5
inline constexpr int64_t kLoadFactorDen = 2;
inline constexpr size_t kMaxKeySize = 128;   // larger keys are stored indirectly
inline constexpr size_t kMaxElemSize = 128;  // larger elems are stored indirectly
inline constexpr size_t kDataOffset = 8;     // offset of key 0 in a bucket
inline constexpr uint64_t kMaxAlloc = uint64_t{1} << 48;  // maxAlloc on linux/amd64

// Tophash marks.
inline constexpr uint8_t emptyRest = 0;       // empty, and nothing after it in the chain
inline constexpr uint8_t emptyOne = 1;        // empty
inline constexpr uint8_t evacuatedX = 2;      // entry moved to the first half of the new array
inline constexpr uint8_t evacuatedY = 3;      // entry moved to the second half
inline constexpr uint8_t evacuatedEmpty = 4;  // empty slot of an evacuated bucket
inline constexpr uint8_t minTopHash = 5;      // smallest tophash of a filled slot

// hmap.flags bits.
inline constexpr uint8_t iterator = 1;      // there may be an iterator using buckets
inline constexpr uint8_t oldIterator = 2;   // there may be an iterator using oldbuckets
inline constexpr uint8_t hashWriting = 4;   // a goroutine is writing to the map
inline constexpr uint8_t sameSizeGrow = 8;  // the current growth keeps B

// The iterator's "no bucket to filter for" value.
inline constexpr uintptr_t noCheck = ~uintptr_t{0};

inline bool isEmpty(uint8_t x) { return x <= emptyOne; }

inline uint8_t tophash(uint64_t hash) {
  auto top = static_cast<uint8_t>(hash >> 56);
  if (top < minTopHash) top += minTopHash;
  return top;
}

// Whether bucket b has been evacuated (its first tophash is a mark 2..4).
inline bool evacuated(const char* b) {
  auto h = static_cast<uint8_t>(b[0]);
  return h > emptyOne && h < minTopHash;
}

inline uintptr_t bucketShift(uint8_t b) { return uintptr_t{1} << (b & 63); }
inline uintptr_t bucketMask(uint8_t b) { return bucketShift(b) - 1; }

// Whether count entries in 2^B buckets exceed the load factor.
inline bool overLoadFactor(int64_t count, uint8_t B) {
  return count > kBucketCnt && static_cast<uint64_t>(count) > kLoadFactorNum * (bucketShift(B) / kLoadFactorDen);
}

// Whether noverflow overflow buckets are too many for 2^B buckets: about
// as many as buckets (noverflow saturates at 2^15 by its sampling).
inline bool tooManyOverflowBuckets(uint16_t noverflow, uint8_t B) {
  if (B > 15) B = 15;
  return noverflow >= static_cast<uint16_t>(uint16_t{1} << (B & 15));
}

// ---------------------------------------------------------------------------
// References between the map's objects.

// A traced reference to the start of a GC object: every set goes through
// the write barrier (shading the old and the new object while marking).
// Stores release and the collector's loads acquire, so that a marker on
// another thread that finds a freshly allocated object through the map
// also sees its initialisation (x86 pays nothing for either).
template <class T>
struct Ref {
  std::atomic<T*> p{nullptr};

  T* get() const { return p.load(std::memory_order_relaxed); }
  void set(T* n) {
    if (detail::gWriteBarrier.load(std::memory_order_relaxed)) [[unlikely]] detail::writeBarrierSlow(get(), n);
    p.store(n, std::memory_order_release);
  }
  void trace(Visitor& v) const { v.visitRaw(p.load(std::memory_order_acquire)); }
};

// Go's []*bmap behind mapextra.overflow: a 24-byte slice header object and
// its backing array of bucket references, grown as append grows it.
struct ovlist {
  Ref<std::atomic<char*>> array;  // elements: separately allocated or preallocated buckets
  uint64_t len = 0;
  uint64_t cap = 0;
};
static_assert(sizeof(ovlist) == 24, "the header of Go's []*bmap");

// mapextra (map.go): fields not every map needs.
struct mapextra {
  Ref<ovlist> overflow;     // overflow buckets of buckets (noscan maps only)
  Ref<ovlist> oldoverflow;  // overflow buckets of oldbuckets (noscan maps only)
  // The next free preallocated overflow bucket: points into the bucket
  // array, so it is never traced (the array is reachable through buckets).
  std::atomic<char*> nextOverflow{nullptr};
};
static_assert(sizeof(mapextra) == 24);

// hmap (map.go), field for field. count stays first (len reads it).
struct hmap {
  int64_t count = 0;                // live entries
  std::atomic<uint8_t> flags{0};    // iterator | oldIterator | hashWriting | sameSizeGrow
  uint8_t B = 0;                    // log2 of the number of buckets
  uint16_t noverflow = 0;           // overflow buckets (exact below B=16, sampled above)
  uint32_t hash0 = 0;               // hash seed
  Ref<char> buckets;                // 2^B buckets (plus preallocated overflow); nil until the first insert
  Ref<char> oldbuckets;             // the previous array while growing, else nil
  uintptr_t nevacuate = 0;          // old buckets below this have been evacuated
  Ref<mapextra> extra;

  uint8_t getFlags() const { return flags.load(std::memory_order_relaxed); }
  // Plain read-modify-write, as Go's `h.flags ^= hashWriting`: racing
  // writers can lose each other's flips, which is what the checks detect.
  void setFlags(uint8_t f) { flags.store(f, std::memory_order_relaxed); }
  bool growing() const { return oldbuckets.get() != nullptr; }
  bool isSameSizeGrow() const { return (getFlags() & sameSizeGrow) != 0; }
  // Buckets before the current growth.
  uintptr_t noldbuckets() const { return bucketShift(isSameSizeGrow() ? B : static_cast<uint8_t>(B - 1)); }
  uintptr_t oldbucketmask() const { return noldbuckets() - 1; }
};
static_assert(sizeof(hmap) == 48, "hmap is 8 + 5*PtrSize bytes on 64-bit, as Go's (TestHmapSize)");
static_assert(offsetof(hmap, count) == 0, "len(m) reads count at offset 0");
static_assert(offsetof(hmap, buckets) == 16 && offsetof(hmap, extra) == 40, "Go's field order");

// ---------------------------------------------------------------------------
// The type-erased description of one map type (Go's maptype).

struct MapType {
  const TypeInfo* bucket;  // the bucket's descriptor; noscan when keys and elems hold no pointers
  uint32_t bucketsize;
  uint8_t keysize;         // slot sizes: 8 for an indirect key or elem, 0 for an empty type
  uint8_t elemsize;
  bool indirectkey;
  bool indirectelem;
  bool needkeyupdate;
  bool reflexivekey;
  uint32_t keyobjsize;     // sizeof(K) and sizeof(V) (the object size when indirect)
  uint32_t elemobjsize;
  const char* name;        // "map[K]V"
  // For dumps: appends key / elem slot i of bucket b in readable form.
  void (*formatKey)(const char* b, int i, std::string* out);
  void (*formatElem)(const char* b, int i, std::string* out);

  bool noscan() const { return bucket->noscan; }
};

// The overflow word at the end of bucket b. Bit 0 is set when it points at
// a separately allocated bucket (the only kind the collector traces).
inline std::atomic<uintptr_t>& overflowWord(char* b, size_t bucketsize) {
  return *reinterpret_cast<std::atomic<uintptr_t>*>(b + bucketsize - sizeof(uintptr_t));
}
inline const std::atomic<uintptr_t>& overflowWord(const char* b, size_t bucketsize) {
  return *reinterpret_cast<const std::atomic<uintptr_t>*>(b + bucketsize - sizeof(uintptr_t));
}
inline constexpr uintptr_t kSeparateBit = 1;
inline char* overflowOf(const char* b, size_t bucketsize) {
  return reinterpret_cast<char*>(overflowWord(b, bucketsize).load(std::memory_order_relaxed) & ~kSeparateBit);
}
inline bool overflowIsSeparate(const char* b, size_t bucketsize) {
  return (overflowWord(b, bucketsize).load(std::memory_order_relaxed) & kSeparateBit) != 0;
}
// Sets b's overflow word (with the barrier for the traced, separate kind).
void setOverflow(char* b, size_t bucketsize, char* ovf, bool separate);

// ---------------------------------------------------------------------------
// Type-erased parts of the map (hmap.cc). The templates in bucket.h and
// the files beside it do the rest.

// makemap / makemap64: a new map for hint entries (bogus hints count as 0).
hmap* makemap(const MapType* t, int64_t hint);
// The number of buckets makeBucketArray(B) makes: 2^B, plus 2^(B-4)
// overflow buckets from B = 4, rounded up to fill the size class.
uintptr_t bucketArrayLen(const MapType* t, uint8_t B);
// makeBucketArray: a zeroed array of bucketArrayLen(B) buckets. Sets
// *nextOverflow to the first preallocated overflow bucket (or nil).
char* makeBucketArray(const MapType* t, uint8_t B, char** nextOverflow);
// For an array of n buckets of which 2^B are regular: marks the last
// preallocated bucket's overflow word with the sentinel (the array start)
// and returns the first preallocated one, or nil if there are none.
char* initPreallocated(const MapType* t, char* buckets, uintptr_t base, uintptr_t n);
// The first bucket of a map created with B = 0, allocated at the first insert.
void allocFirstBucket(const MapType* t, hmap* h);
// newoverflow: chains a fresh overflow bucket after b and returns it.
char* newoverflow(const MapType* t, hmap* h, char* b);
// hashGrow: starts a growth (doubling, or same-size).
void hashGrow(const MapType* t, hmap* h);
// advanceEvacuationMark: moves nevacuate on; ends the growth when done.
void advanceEvacuationMark(hmap* h, const MapType* t, uintptr_t newbit);
// createOverflow: makes extra and extra.overflow exist (a writer's call).
void createOverflow(hmap* h);
// The same for mapiterinit, safe against other iterators doing it at the
// same time; returns extra.
mapextra* createOverflowShared(hmap* h);

// Scheduler and runtime entry points for the templates.
void yieldpoint();

// Whether the running runtime is in deterministic mode, as the last
// yieldpoint() saw it. Every map operation starts with yieldpoint() and a
// run's mode never changes (runs do not overlap), so after that call it is
// exact; it exists so that the safepoints inside writes, which only act in
// deterministic mode, cost a load instead of two calls each.
extern std::atomic<bool> gDeterministic;
void deterministicSafepoint();
inline void safepoint() {
  if (gDeterministic.load(std::memory_order_relaxed)) [[unlikely]] deterministicSafepoint();
}
void afterAlloc();
[[noreturn]] void fatalConcurrentWrites();          // "concurrent map writes"
[[noreturn]] void fatalConcurrentReadWrite();       // "concurrent map read and map write"
[[noreturn]] void fatalConcurrentIterationWrite();  // "concurrent map iteration and map write"
[[noreturn]] void throwBadMapState();               // "bad map state"
[[noreturn]] void panicNilMapAssignment();          // "assignment to entry in nil map"
// Allocates one zeroed object of type t (an indirect key or elem).
void* allocRaw(const TypeInfo* t);

// Flips hashWriting on, with safepoints before and after (see
// CONCURRENCY CHECKS above; they act in deterministic mode only).
inline void beginWrite(hmap* h) {
  safepoint();
  h->setFlags(h->getFlags() ^ hashWriting);
  safepoint();
}

// Checks and clears hashWriting at the end of a write.
inline void endWrite(hmap* h) {
  safepoint();
  if ((h->getFlags() & hashWriting) == 0) fatalConcurrentWrites();
  h->setFlags(h->getFlags() & static_cast<uint8_t>(~hashWriting));
}

}  // namespace gort::maps
