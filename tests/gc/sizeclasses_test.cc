// Size classes: the table against Go 1.19's, the lookup against a brute
// force search, and the sizes other parts of gort depend on.

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <limits>

#include "gc/sizeclasses.h"

namespace gort::gc {
namespace {

struct ClassRow {
  int cls;
  size_t bytesPerObj;
  size_t bytesPerSpan;
  size_t objects;
  size_t tailWaste;
};

// The comment table at the top of Go 1.19's runtime/sizeclasses.go
// ("class  bytes/obj  bytes/span  objects  tail waste ..."), first five
// columns. It is the generator's own report, independent of the arrays the
// implementation carries.
constexpr ClassRow kGoTable[] = {
    {1, 8, 8192, 1024, 0},
    {2, 16, 8192, 512, 0},
    {3, 24, 8192, 341, 8},
    {4, 32, 8192, 256, 0},
    {5, 48, 8192, 170, 32},
    {6, 64, 8192, 128, 0},
    {7, 80, 8192, 102, 32},
    {8, 96, 8192, 85, 32},
    {9, 112, 8192, 73, 16},
    {10, 128, 8192, 64, 0},
    {11, 144, 8192, 56, 128},
    {12, 160, 8192, 51, 32},
    {13, 176, 8192, 46, 96},
    {14, 192, 8192, 42, 128},
    {15, 208, 8192, 39, 80},
    {16, 224, 8192, 36, 128},
    {17, 240, 8192, 34, 32},
    {18, 256, 8192, 32, 0},
    {19, 288, 8192, 28, 128},
    {20, 320, 8192, 25, 192},
    {21, 352, 8192, 23, 96},
    {22, 384, 8192, 21, 128},
    {23, 416, 8192, 19, 288},
    {24, 448, 8192, 18, 128},
    {25, 480, 8192, 17, 32},
    {26, 512, 8192, 16, 0},
    {27, 576, 8192, 14, 128},
    {28, 640, 8192, 12, 512},
    {29, 704, 8192, 11, 448},
    {30, 768, 8192, 10, 512},
    {31, 896, 8192, 9, 128},
    {32, 1024, 8192, 8, 0},
    {33, 1152, 8192, 7, 128},
    {34, 1280, 8192, 6, 512},
    {35, 1408, 16384, 11, 896},
    {36, 1536, 8192, 5, 512},
    {37, 1792, 16384, 9, 256},
    {38, 2048, 8192, 4, 0},
    {39, 2304, 16384, 7, 256},
    {40, 2688, 8192, 3, 128},
    {41, 3072, 24576, 8, 0},
    {42, 3200, 16384, 5, 384},
    {43, 3456, 24576, 7, 384},
    {44, 4096, 8192, 2, 0},
    {45, 4864, 24576, 5, 256},
    {46, 5376, 16384, 3, 256},
    {47, 6144, 24576, 4, 0},
    {48, 6528, 32768, 5, 128},
    {49, 6784, 40960, 6, 256},
    {50, 6912, 49152, 7, 768},
    {51, 8192, 8192, 1, 0},
    {52, 9472, 57344, 6, 512},
    {53, 9728, 49152, 5, 512},
    {54, 10240, 40960, 4, 0},
    {55, 10880, 32768, 3, 128},
    {56, 12288, 24576, 2, 0},
    {57, 13568, 40960, 3, 256},
    {58, 14336, 57344, 4, 0},
    {59, 16384, 16384, 1, 0},
    {60, 18432, 73728, 4, 0},
    {61, 19072, 57344, 3, 128},
    {62, 20480, 40960, 2, 0},
    {63, 21760, 65536, 3, 256},
    {64, 24576, 24576, 1, 0},
    {65, 27264, 81920, 3, 128},
    {66, 28672, 57344, 2, 0},
    {67, 32768, 32768, 1, 0},
};

TEST(SizeClasses, Constants) {
  EXPECT_EQ(kNumSizeClasses, 68);
  EXPECT_EQ(kMaxSmallSize, 32768u);
  EXPECT_EQ(kPageSize, 8192u);
  EXPECT_EQ(kMemStatsBySizeEntries, 61);
  EXPECT_EQ(std::size(kGoTable), static_cast<size_t>(kNumSizeClasses - 1));
}

TEST(SizeClasses, TableMatchesGo) {
  EXPECT_EQ(classSize(0), 0u);
  EXPECT_EQ(classPages(0), 0u);
  EXPECT_EQ(classObjects(0), 0u);
  for (const ClassRow& r : kGoTable) {
    SCOPED_TRACE(r.cls);
    EXPECT_EQ(classSize(r.cls), r.bytesPerObj);
    EXPECT_EQ(classPages(r.cls) * kPageSize, r.bytesPerSpan);
    EXPECT_EQ(classObjects(r.cls), r.objects);
    EXPECT_EQ(r.bytesPerSpan - r.objects * r.bytesPerObj, r.tailWaste);
  }
}

// The properties mksizeclasses.go builds the table to have.
TEST(SizeClasses, Invariants) {
  for (int c = 1; c < kNumSizeClasses; c++) {
    SCOPED_TRACE(c);
    size_t size = classSize(c);
    size_t span = classPages(c) * kPageSize;
    if (c > 1) {
      EXPECT_GT(size, classSize(c - 1)) << "sizes strictly increase";
    }
    EXPECT_EQ(size % 8, 0u);
    if (size >= 32) {
      EXPECT_EQ(size % 16, 0u) << "16-byte alignment from 32 bytes";
    }
    if (size >= 1024) {
      EXPECT_EQ(size % 128, 0u) << "the 128-byte lookup needs 128-byte steps";
    }
    EXPECT_LE(span % size, span / 8) << "tail waste at most 1/8 of the span";
    EXPECT_EQ(roundupsize(size), size);
    EXPECT_EQ(sizeToClass(size), c);
    if (c > 1) {
      EXPECT_EQ(sizeToClass(classSize(c - 1) + 1), c) << "one byte over the previous class";
    }
  }
  EXPECT_EQ(classSize(kNumSizeClasses - 1), kMaxSmallSize);
  EXPECT_EQ(classSize(kMemStatsBySizeEntries - 1), 18432u) << "BySize[60] is the last reported class";
}

// Every small request lands on the smallest class that holds it.
TEST(SizeClasses, LookupIsSmallestFittingClass) {
  int expect = 1;
  for (size_t n = 1; n <= kMaxSmallSize; n++) {
    while (kGoTable[expect - 1].bytesPerObj < n) {
      expect++;
    }
    ASSERT_EQ(sizeToClass(n), expect) << "request " << n;
    ASSERT_EQ(roundupsize(n), kGoTable[expect - 1].bytesPerObj) << "request " << n;
  }
}

TEST(SizeClasses, RoundupsizeSpotChecks) {
  EXPECT_EQ(roundupsize(0), 0u);
  EXPECT_EQ(roundupsize(1), 8u);
  EXPECT_EQ(roundupsize(8), 8u);
  EXPECT_EQ(roundupsize(9), 16u);
  EXPECT_EQ(roundupsize(17), 24u);
  EXPECT_EQ(roundupsize(25), 32u);
  EXPECT_EQ(roundupsize(33), 48u);
  EXPECT_EQ(roundupsize(48), 48u);  // hmap is 48 bytes on amd64
  EXPECT_EQ(roundupsize(144), 144u);  // one bmap of map[int64]int64
  EXPECT_EQ(roundupsize(208), 208u);  // one bmap of map[string]int
  EXPECT_EQ(roundupsize(1016), 1024u);
  EXPECT_EQ(roundupsize(1017), 1024u);  // the 8-byte table stops at 1016
  EXPECT_EQ(roundupsize(1024), 1024u);
  EXPECT_EQ(roundupsize(1025), 1152u);
  EXPECT_EQ(roundupsize(32767), 32768u);
  EXPECT_EQ(roundupsize(32768), 32768u);
  EXPECT_EQ(roundupsize(32769), 40960u);
  EXPECT_EQ(roundupsize(40960), 40960u);
  EXPECT_EQ(roundupsize(40961), 49152u);
  EXPECT_EQ(roundupsize(1 << 20), size_t{1} << 20);
  // Rounding that would overflow leaves the size alone.
  constexpr size_t kMax = std::numeric_limits<size_t>::max();
  EXPECT_EQ(roundupsize(kMax), kMax);
  EXPECT_EQ(roundupsize(kMax - kPageSize + 1), kMax - kPageSize + 1);
  EXPECT_EQ(roundupsize(kMax - kPageSize), kMax - kPageSize + 1) << "the largest page multiple";
}

TEST(SizeClasses, SizeToClassBoundaries) {
  EXPECT_EQ(sizeToClass(0), 0);
  EXPECT_EQ(sizeToClass(1), 1);
  EXPECT_EQ(sizeToClass(1024), 32);
  EXPECT_EQ(sizeToClass(1025), 33);
  EXPECT_EQ(sizeToClass(32768), 67) << "mallocgc: size <= maxSmallSize is small";
  EXPECT_EQ(sizeToClass(32769), 0);
  EXPECT_EQ(sizeToClass(size_t{1} << 40), 0);
}

// The bucket arrays of map[int64]int64 (144-byte buckets), as measured in
// Go 1.19.8 (conformance/hint_to_B.json, bucket_array_alloc_bytes): B=1..3
// need 2, 4, 8 buckets and get exactly that; B=4 asks for 16 buckets plus
// 2^(B-4) = 1 preallocated overflow bucket, 17 * 144 = 2448 bytes, which
// rounds to 2688 = 18 buckets.
TEST(SizeClasses, MapBucketArrays) {
  EXPECT_EQ(roundupsize(2 * 144), 288u);
  EXPECT_EQ(roundupsize(4 * 144), 576u);
  EXPECT_EQ(roundupsize(8 * 144), 1152u);
  EXPECT_EQ(roundupsize(17 * 144), 2688u);
  EXPECT_EQ(roundupsize(17 * 144) / 144, 18u);
  EXPECT_EQ(roundupsize(18 * 144), 2688u);
}

}  // namespace
}  // namespace gort::gc
