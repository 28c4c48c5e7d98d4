// gort::String: Go's string, immutable bytes on the GC heap.
//
//   s := "hello"              auto s = gort::String::from("hello");   // Local<String>
//   t := s[1:3]               auto t = s->substr(1, 3);              // shares s's bytes
//   n := len(s)               size_t n = s->len();
//   u := s + "!"              auto u = gort::concat(*s, "!");
//
// A String is 16 bytes, as Go's string header: a reference to the byte
// array, an offset and a length. Substrings share the bytes, so, as in Go,
// a small substring keeps a large string's bytes alive.
//
// Where a String may live: as a field of a GC object (traced: v(name)), in
// a Local<String> on a goroutine's stack, or in a Global<String>. A bare
// String in a C++ variable is not rooted and its bytes may be collected;
// verify mode (GODEBUG=gcverify=1) reports one constructed anywhere else.
#pragma once

#include <compare>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "gort/heap.h"
#include "gort/panic.h"

namespace gort {

class String;
template <>
struct IsGcValue<String> : std::true_type {};

namespace detail {
// Allocates n bytes for a string (noscan), filled from src.
char* allocStringBytes(const char* src, size_t n);
[[noreturn]] void panicIndex(int64_t i, int64_t len);
[[noreturn]] void panicSliceB(int64_t lo, int64_t hi);
[[noreturn]] void panicSliceAlen(int64_t hi, int64_t len);
}  // namespace detail

class String {
 public:
  String() = default;
  // Copies s onto the GC heap. Construct Strings inside GC objects, Locals
  // and Globals (see the top of this file); String::from gives a Local.
  explicit String(std::string_view s) { assign(s); }
  String(const String&) = default;
  String& operator=(const String&) = default;

  static Local<String> from(std::string_view s) { return Local<String>(s); }

  size_t len() const { return len_; }
  bool empty() const { return len_ == 0; }
  const char* data() const { return len_ == 0 ? "" : base_.get() + off_; }
  std::string_view view() const { return std::string_view(data(), len_); }
  std::string str() const { return std::string(view()); }
  operator std::string_view() const { return view(); }

  char operator[](size_t i) const {
    if (i >= len_) detail::panicIndex(static_cast<int64_t>(i), len_);
    return base_.get()[off_ + i];
  }

  // s[lo:hi], sharing the bytes.
  Local<String> substr(size_t lo, size_t hi) const {
    if (hi > len_) detail::panicSliceAlen(static_cast<int64_t>(hi), len_);
    if (lo > hi) detail::panicSliceB(static_cast<int64_t>(lo), static_cast<int64_t>(hi));
    Local<String> out;
    out->setShared(*this, lo, hi - lo);
    return out;
  }

  friend bool operator==(const String& a, const String& b) { return a.view() == b.view(); }
  friend bool operator==(const String& a, std::string_view b) { return a.view() == b; }
  friend std::strong_ordering operator<=>(const String& a, const String& b) { return a.view() <=> b.view(); }
  friend std::strong_ordering operator<=>(const String& a, std::string_view b) { return a.view() <=> b; }

  void trace(Visitor& v) const { v(base_); }
  // The end of a run: drop the reference without a write barrier.
  void forgetHeap() {
    base_.forgetHeap();
    off_ = len_ = 0;
  }

 private:
  // No yield point here: the String is not rooted until its Local (or the
  // GC object it is a field of) is complete, and those yield then.
  void assign(std::string_view s) {
    if (s.size() > UINT32_MAX) detail::throwRuntimePanic("string too long for gort (over 4 GiB)", false);
    if (s.empty()) return;
    base_ = detail::allocStringBytes(s.data(), s.size());
    len_ = static_cast<uint32_t>(s.size());
  }
  void setShared(const String& from, size_t lo, size_t n) {
    base_ = from.base_;
    off_ = from.off_ + static_cast<uint32_t>(lo);
    len_ = static_cast<uint32_t>(n);
    if (n == 0) base_ = nullptr;  // as Go, an empty substring holds nothing
  }

  Ptr<char> base_;
  uint32_t off_ = 0;
  uint32_t len_ = 0;
};
static_assert(sizeof(String) == 16, "a String is Go's 16-byte string header");

// a + b
Local<String> concat(std::string_view a, std::string_view b);

}  // namespace gort
