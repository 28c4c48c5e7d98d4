// Size classes: the sizes Go's allocator really hands out.
//
// Go never allocates a small object at the size it was asked for. mallocgc
// rounds every request of up to 32 KiB (_MaxSmallSize) up to one of 67 fixed
// object sizes, its *size classes*, and carves spans of whole 8 KiB pages
// (_PageSize) into slots of that one size. Anything larger is a *large
// object*: it gets its own span, rounded up to whole pages. Class 0 is not a
// size; it stands for "no class" (large objects, and the zero-size base).
//
// The table is generated in Go by mksizeclasses.go. It walks the sizes in
// steps of the current alignment (8, then 16 from 32 bytes, then size/8 from
// 128, then 256 from 2048), gives each size just enough pages that the tail
// left at the end of a span is at most 1/8 of the span, and merges
// neighbours that would fit the same number of objects into the same span.
// That is why a few classes use spans of several pages: class 35 (1408
// bytes) takes 2 pages, because one page would leave 1152 idle bytes. A
// last pass widens each class to the largest multiple of 128 that still fits
// the same count, so 8448 became 9472. This file carries the Go 1.19 result
// (runtime/sizeclasses.go) as data, together with the two lookup
// arrays that map a request to its class in O(1): one indexed in steps of 8
// bytes up to 1024, one in steps of 128 bytes from 1024 to 32768.
//
// Why gort needs it: gort's objects really live in mimalloc, whose own size
// bins differ. To report what Go would report (MemStats.HeapAlloc, BySize, the
// "MB" figures of gctrace, how many buckets a map's bucket array really holds
// once its allocation is rounded up), the collector charges every object at
// Go's rounded size: roundupsize(n), exactly as runtime/msize.go computes it.
// For example, a map[int64]int64 with B=4 asks for 16+1 buckets of 144 bytes
// = 2448 bytes; Go rounds that to class 40, 2688 bytes, and makeBucketArray
// then uses all 2688/144 = 18 buckets.
//
// Two boundary cases are easy to get wrong and follow Go exactly:
//   - roundupsize treats a request of exactly 32768 bytes as large (it tests
//     size < _MaxSmallSize), while mallocgc treats it as small (size <=
//     maxSmallSize, class 67). Both give 32768, so the answers agree.
//   - requests of 1017..1024 bytes go through the 128-byte table, whose
//     first entry is class 32 (1024 bytes).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::gc {

// Number of size classes, class 0 ("no class") included (_NumSizeClasses).
inline constexpr int kNumSizeClasses = 68;
// Largest request served from a size class (_MaxSmallSize).
inline constexpr size_t kMaxSmallSize = 32768;
// Page size of Go's heap (_PageSize = 1 << _PageShift).
inline constexpr size_t kPageShift = 13;
inline constexpr size_t kPageSize = size_t{1} << kPageShift;
// The two lookup granularities: 8-byte steps up to smallSizeMax, then
// 128-byte steps up to kMaxSmallSize.
inline constexpr size_t kSmallSizeDiv = 8;
inline constexpr size_t kSmallSizeMax = 1024;
inline constexpr size_t kLargeSizeDiv = 128;

// MemStats.BySize has 61 entries, not kNumSizeClasses: the public struct was
// frozen before the table grew to 68 classes, so ReadMemStats copies only the
// first 61 (classes 0..60, up to 18432 bytes) and drops the rest.
inline constexpr int kMemStatsBySizeEntries = 61;

// The size of the block mallocgc would return for a request of `size`
// bytes (runtime/msize.go roundupsize): small requests go to their class
// size, larger ones up to a multiple of kPageSize. A size so close to
// SIZE_MAX that rounding would overflow comes back unchanged, as in Go.
size_t roundupsize(size_t size);

// The size class mallocgc picks for a request of `size` bytes: 1..67 for
// 1..kMaxSmallSize, 0 for size 0 (Go returns its zero-size base without
// allocating) and for large objects (> kMaxSmallSize).
int sizeToClass(size_t size);

// The object size of class `cls` (class_to_size); 0 for class 0. cls must
// be in [0, kNumSizeClasses).
size_t classSize(int cls);

// Pages per span of class `cls` (class_to_allocnpages); 0 for class 0.
size_t classPages(int cls);

// Objects per span of class `cls`: classPages*kPageSize / classSize; 0 for
// class 0.
size_t classObjects(int cls);

}  // namespace gort::gc
