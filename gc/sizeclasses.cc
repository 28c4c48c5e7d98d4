// The Go 1.19 size-class table and the request-to-class lookup
// (runtime/sizeclasses.go, runtime/msize.go). See sizeclasses.h.

#include "gc/sizeclasses.h"

#include <array>

namespace gort::gc {
namespace {

// Object size of each class (class_to_size).
constexpr std::array<uint16_t, kNumSizeClasses> kClassToSize = {
    0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144,
    160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416,
    448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408,
    1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144,
    6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384,
    18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768,
};

// Pages in one span of each class (class_to_allocnpages).
constexpr std::array<uint8_t, kNumSizeClasses> kClassToAllocNPages = {
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3,
    4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8, 3, 10, 7, 4,
};

// Class of a request of n bytes, n <= kSmallSizeMax - 8, indexed by
// ceil(n / 8) (size_to_class8).
constexpr std::array<uint8_t, kSmallSizeMax / kSmallSizeDiv + 1> kSizeToClass8 = {
    0, 1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14,
    14, 15, 15, 16, 16, 17, 17, 18, 18, 19, 19, 19, 19, 20, 20, 20, 20, 21, 21, 21, 21, 22, 22, 22,
    22, 23, 23, 23, 23, 24, 24, 24, 24, 25, 25, 25, 25, 26, 26, 26, 26, 27, 27, 27, 27, 27, 27, 27,
    27, 28, 28, 28, 28, 28, 28, 28, 28, 29, 29, 29, 29, 29, 29, 29, 29, 30, 30, 30, 30, 30, 30, 30,
    30, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 32, 32, 32, 32, 32, 32, 32,
    32, 32, 32, 32, 32, 32, 32, 32, 32,
};

// Class of a request of n bytes, kSmallSizeMax - 8 < n <= kMaxSmallSize,
// indexed by ceil((n - 1024) / 128) (size_to_class128). Entry 0 covers
// 1017..1024, which land on class 32 (1024 bytes).
constexpr std::array<uint8_t, (kMaxSmallSize - kSmallSizeMax) / kLargeSizeDiv + 1> kSizeToClass128 = {
    32, 33, 34, 35, 36, 37, 37, 38, 38, 39, 39, 40, 40, 40, 41, 41, 41, 42, 43, 43, 44, 44, 44, 44,
    44, 45, 45, 45, 45, 45, 45, 46, 46, 46, 46, 47, 47, 47, 47, 47, 47, 48, 48, 48, 49, 49, 50, 51,
    51, 51, 51, 51, 51, 51, 51, 51, 51, 52, 52, 52, 52, 52, 52, 52, 52, 52, 52, 53, 53, 54, 54, 54,
    54, 55, 55, 55, 55, 55, 56, 56, 56, 56, 56, 56, 56, 56, 56, 56, 56, 57, 57, 57, 57, 57, 57, 57,
    57, 57, 57, 58, 58, 58, 58, 58, 58, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59,
    59, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 61, 61, 61, 61, 61, 62, 62,
    62, 62, 62, 62, 62, 62, 62, 62, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 65, 65, 65, 65, 65, 65, 65,
    65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
    66, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67,
    67, 67, 67, 67, 67, 67, 67, 67, 67,
};

static_assert(kClassToSize[kNumSizeClasses - 1] == kMaxSmallSize, "the last class is exactly the small-object limit");
static_assert(kClassToSize[kMemStatsBySizeEntries - 1] == 18432, "MemStats.BySize ends at class 60, 18432 bytes");

// The class of a small request, 1 <= size <= kMaxSmallSize. Go indexes the
// 128-byte table with divRoundUp(size - 1024, 128) even for 1017..1023,
// where the unsigned subtraction wraps and the rounding brings it back to
// index 0; here the same requests are sent to index 0 explicitly.
int smallClass(size_t size) {
  if (size <= kSmallSizeMax - 8) {
    return kSizeToClass8[(size + kSmallSizeDiv - 1) / kSmallSizeDiv];
  }
  size_t over = size > kSmallSizeMax ? size - kSmallSizeMax : 0;
  return kSizeToClass128[(over + kLargeSizeDiv - 1) / kLargeSizeDiv];
}

}  // namespace

size_t roundupsize(size_t size) {
  if (size < kMaxSmallSize) {
    return kClassToSize[smallClass(size)];
  }
  // Large: whole pages, unless rounding up would wrap around.
  if (size + kPageSize < size) {
    return size;
  }
  return (size + kPageSize - 1) & ~(kPageSize - 1);
}

int sizeToClass(size_t size) {
  if (size == 0 || size > kMaxSmallSize) {
    return 0;
  }
  return smallClass(size);
}

size_t classSize(int cls) { return kClassToSize[static_cast<size_t>(cls)]; }

size_t classPages(int cls) { return kClassToAllocNPages[static_cast<size_t>(cls)]; }

size_t classObjects(int cls) {
  if (cls == 0) {
    return 0;
  }
  return classPages(cls) * kPageSize / classSize(cls);
}

}  // namespace gort::gc
