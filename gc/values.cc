// The runtime side of String and Slice: allocation, growth, and Go's
// runtime errors for out-of-range indexing.

#include <cstring>
#include <string>

#include "gc/collector.h"
#include "gort/slice.h"
#include "gort/string.h"

namespace gort {
namespace detail {

char* allocStringBytes(const char* src, size_t n) {
  void* mem = allocObject(typeOf<char>(), n);
  std::memcpy(mem, src, n);
  return static_cast<char*>(mem);
}

void panicIndex(int64_t i, int64_t len) {
  throwRuntimePanic("index out of range [" + std::to_string(i) + "] with length " + std::to_string(len), true);
}

void panicSliceB(int64_t lo, int64_t hi) {
  throwRuntimePanic("slice bounds out of range [" + std::to_string(lo) + ":" + std::to_string(hi) + "]", true);
}

void panicSliceAlen(int64_t hi, int64_t len) {
  throwRuntimePanic("slice bounds out of range [:" + std::to_string(hi) + "] with capacity " + std::to_string(len),
                    true);
}

uint64_t growCapacity(uint64_t oldCap, uint64_t needed, size_t elemSize) {
  uint64_t newcap = oldCap;
  uint64_t doublecap = newcap + newcap;
  if (needed > doublecap) {
    newcap = needed;
  } else {
    constexpr uint64_t kThreshold = 256;
    if (oldCap < kThreshold) {
      newcap = doublecap;
    } else {
      // From doubling towards 1.25x, smoothly, as Go 1.19 does.
      while (newcap > 0 && newcap < needed) newcap += (newcap + 3 * kThreshold) / 4;
      if (newcap == 0) newcap = needed;
    }
  }
  if (elemSize == 0) return newcap;
  // The allocation is rounded up to its size class; the extra room is
  // capacity.
  return gc::roundupsize(newcap * elemSize) / elemSize;
}

}  // namespace detail

Local<String> concat(std::string_view a, std::string_view b) {
  std::string joined;
  joined.reserve(a.size() + b.size());
  joined.append(a).append(b);
  return String::from(joined);
}

}  // namespace gort
