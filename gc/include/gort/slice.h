// gort::Slice<T>: Go's []T over a backing array on the GC heap.
//
//   s := make([]int, 0, 4)       auto s = gort::Slice<int>::make(0, 4);   // Local<Slice<int>>
//   s = append(s, 1, 2)          s = gort::append(*s, 1, 2);
//   x := s[1]; s[0] = 7          int x = (*s)[1]; (*s)[0] = 7;
//   t := s[1:2]                  auto t = s->slice(1, 2);                 // shares the array
//   len(s), cap(s)               s->len(), s->cap()
//   var b []byte  // nil         gort::Slice<uint8_t> b;
//
// append grows the array as Go 1.19's growslice does: double while under
// 256 elements, then by about 1.25x, and round the new capacity up to fill
// the size class of the allocation (so cap(append([]int64{}, 1...5)) is 6).
// A Slice is 24 bytes, as Go's slice header. Where it may live: as String
// (a GC object field, Local<Slice<T>> or Global<Slice<T>>). Out-of-range
// indexing panics with Go's runtime error text.
#pragma once

#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "gort/heap.h"
#include "gort/string.h"

namespace gort {

template <class T>
class Slice;
template <class T>
struct IsGcValue<Slice<T>> : std::true_type {};

namespace detail {
// Go 1.19's growslice capacity for an array of elemSize-byte elements that
// must hold at least `needed` (cap is the old capacity).
uint64_t growCapacity(uint64_t oldCap, uint64_t needed, size_t elemSize);
}  // namespace detail

template <class T>
class Slice {
 public:
  Slice() = default;  // nil
  Slice(const Slice&) = default;
  Slice& operator=(const Slice&) = default;

  // make([]T, len, cap)
  static Local<Slice> make(uint64_t len, uint64_t cap) { return Local<Slice>(MakeTag{}, len, cap); }
  static Local<Slice> make(uint64_t len) { return make(len, len); }

  size_t len() const { return len_; }
  size_t cap() const { return cap_; }
  bool isNil() const { return base_.get() == nullptr; }

  T& operator[](size_t i) {
    if (i >= len_) detail::panicIndex(static_cast<int64_t>(i), len_);
    return base_.get()[off_ + i];
  }
  const T& operator[](size_t i) const {
    if (i >= len_) detail::panicIndex(static_cast<int64_t>(i), len_);
    return base_.get()[off_ + i];
  }
  T* begin() { return base_.get() + off_; }
  T* end() { return begin() + len_; }
  const T* begin() const { return base_.get() + off_; }
  const T* end() const { return begin() + len_; }

  // s[lo:hi], sharing the array (cap runs to the end of it).
  Local<Slice> slice(size_t lo, size_t hi) const {
    if (hi > cap_) detail::panicSliceAlen(static_cast<int64_t>(hi), static_cast<int64_t>(cap_));
    if (lo > hi) detail::panicSliceB(static_cast<int64_t>(lo), static_cast<int64_t>(hi));
    Local<Slice> out;
    out->base_ = base_;
    out->off_ = off_ + static_cast<uint32_t>(lo);
    out->len_ = static_cast<uint32_t>(hi - lo);
    out->cap_ = cap_ - lo;
    return out;
  }

  void trace(Visitor& v) const { v(base_); }
  void forgetHeap() {
    base_.forgetHeap();
    off_ = len_ = 0;
    cap_ = 0;
  }

  // Appends to this slice header in place (growing into a new array when
  // full); gort::append is the Go-shaped way to call it.
  template <class... U>
  void appendInPlace(U&&... vs);

 private:
  template <class>
  friend struct detail::RootedValue;
  struct MakeTag {};
  Slice(MakeTag, uint64_t len, uint64_t cap) {
    if (len > cap) detail::throwRuntimePanic("makeslice: cap out of range", true);
    if (cap > UINT32_MAX) detail::throwRuntimePanic("makeslice: len out of range", true);
    if (cap > 0) base_ = allocArray(cap);
    len_ = static_cast<uint32_t>(len);
    cap_ = cap;
  }

  // A zeroed array of n constructed T (its elements are heap fields).
  static T* allocArray(uint64_t n) {
    const TypeInfo* t = typeOf<T>();
    void* mem = detail::allocObject(t, n);
    detail::ConstructScope scope(mem, sizeof(T) * n, t);
    T* arr = static_cast<T*>(mem);
    if constexpr (!std::is_trivially_default_constructible_v<T>) {
      for (uint64_t i = 0; i < n; i++) ::new (arr + i) T();
    }
    return arr;
  }

  Ptr<T> base_;
  uint32_t off_ = 0;
  uint32_t len_ = 0;
  uint64_t cap_ = 0;
};

template <class T>
template <class... U>
void Slice<T>::appendInPlace(U&&... vs) {
    uint64_t need = len_ + sizeof...(U);
    if (need > cap_) {
      uint64_t ncap = detail::growCapacity(cap_, need, sizeof(T));
      if (ncap > UINT32_MAX) detail::throwRuntimePanic("growslice: cap out of range", true);
      T* arr = allocArray(ncap);
      for (uint32_t i = 0; i < len_; i++) arr[i] = base_.get()[off_ + i];
      base_ = arr;  // rooted: this Slice lives in a Local
      off_ = 0;
      cap_ = ncap;
      detail::afterAlloc();
    }
    T* dst = base_.get() + off_ + len_;
    ((*dst++ = std::forward<U>(vs)), ...);
    len_ = static_cast<uint32_t>(need);
}

// append(s, vs...): a new slice header; it shares s's array while there is
// room, as in Go.
template <class T, class... U>
Local<Slice<T>> append(const Slice<T>& s, U&&... vs) {
  Local<Slice<T>> out(s);
  out->appendInPlace(std::forward<U>(vs)...);
  return out;
}

}  // namespace gort
