// Slots of a bucket: how a key or elem of type T is stored, copied,
// cleared and traced, and what its zero value is.
//
// Public only because gort::Map<K,V> is a template; not for users.
//
// Slot values and the object model. Bucket memory comes zeroed from the
// allocator and slots are never constructed or destroyed one by one (Go
// has no constructors; neither do its buckets). So key and elem types must
// be trivially destructible (nothing would run their destructors), and
// all-zero bytes must be a valid object of the type, which holds for
// integers, floats, Ptr, String, Slice, Map and aggregates of them. Where
// zero bytes are not the type's default value (a member initialised to 5),
// the map stores T() explicitly when it creates an entry (ZeroIsDefault
// says which types need that). Values are written by assignment, so a
// type's Ptr fields go through the write barrier; slots holding pointers
// are cleared by assigning the zero value, also through the barrier, never
// by memset under a concurrent marker. A type over 128 bytes is stored
// indirectly: the slot holds a pointer to an object of its own.
#pragma once

#include <atomic>
#include <cstring>
#include <new>
#include <type_traits>

#include "gort/heap.h"
#include "gort/maps/hmap.h"
#include "gort/string.h"

namespace gort {
template <class T>
class Slice;
template <class K, class V>
class Map;
}  // namespace gort

namespace gort::maps {

// ---------------------------------------------------------------------------
// Zero values

// Whether all-zero bytes are T's default-constructed value.
template <class T, class = void>
struct ZeroIsDefault : std::bool_constant<std::is_trivially_default_constructible_v<T>> {};
template <class T>
struct ZeroIsDefault<Ptr<T>> : std::true_type {};
template <>
struct ZeroIsDefault<String> : std::true_type {};
template <class T>
struct ZeroIsDefault<Slice<T>> : std::true_type {};
template <class K, class V>
struct ZeroIsDefault<Map<K, V>> : std::true_type {};
template <class T, size_t N>
struct ZeroIsDefault<std::array<T, N>> : ZeroIsDefault<T> {};

template <class T>
const T* constructZero() {
  alignas(T) static unsigned char buf[sizeof(T)];
  // A Ptr inside must be constructed inside a scope (verify mode checks);
  // it is null and stays null, so nothing needs to trace it.
  detail::ConstructScope scope(buf, sizeof(T), nullptr);
  return ::new (buf) T();
}

// The zero value of T (Go's zeroVal), for clearing slots by assignment.
template <class T>
const T& zeroValue() {
  if constexpr (ZeroIsDefault<T>::value) {
    alignas(T) static const unsigned char zero[sizeof(T)] = {};
    return *std::launder(reinterpret_cast<const T*>(zero));
  } else {
    static const T* zero = constructZero<T>();
    return *zero;
  }
}

// ---------------------------------------------------------------------------
// One slot (key or elem) of type T.

template <class T>
struct Slot {
  static_assert(alignof(T) <= 8, "map keys and elems must be aligned to at most 8 bytes (Go: key/elem align too big)");
  static_assert(std::is_trivially_destructible_v<T>,
                "map keys and elems live in GC memory that is reused without running destructors: use gort::String, "
                "gort::Slice and gort::Ptr instead of std::string, std::vector and owning pointers");
  static_assert(std::is_default_constructible_v<T> && std::is_copy_assignable_v<T>,
                "map keys and elems need a zero value and assignment");

  static constexpr bool empty = std::is_empty_v<T>;
  static constexpr bool indirect = !empty && sizeof(T) > kMaxKeySize;
  static constexpr size_t size = empty ? 0 : indirect ? sizeof(void*) : sizeof(T);
  static constexpr bool pointers = indirect || kHasPointers<T>;
  // Bytes can be copied and zeroed directly: no pointers to barrier, no
  // special assignment.
  static constexpr bool plain = !kHasPointers<T> && std::is_trivially_copyable_v<T>;

  static std::atomic<void*>& ref(char* s) { return *reinterpret_cast<std::atomic<void*>*>(s); }
  static const std::atomic<void*>& ref(const char* s) { return *reinterpret_cast<const std::atomic<void*>*>(s); }

  static T& emptyValue() {
    static T e{};
    return e;
  }

  // The value held by slot s.
  static T* at(char* s) {
    if constexpr (empty) {
      return &emptyValue();
    } else if constexpr (indirect) {
      return static_cast<T*>(ref(s).load(std::memory_order_relaxed));
    } else {
      return std::launder(reinterpret_cast<T*>(s));
    }
  }

  // *dst = src for a T in a slot (or in an indirect object).
  template <class U>
  static void assign(T* dst, const U& src) {
    if constexpr (empty) {
      return;
    } else if constexpr (plain && std::is_same_v<U, T>) {
      std::memcpy(static_cast<void*>(dst), &src, sizeof(T));
    } else {
      *dst = src;
    }
  }

  // Clears a value to T's zero, through the barrier where it has pointers.
  static void clearValue(T* p) {
    if constexpr (empty) {
      return;
    } else if constexpr (plain && ZeroIsDefault<T>::value) {
      std::memset(static_cast<void*>(p), 0, sizeof(T));
    } else {
      *p = zeroValue<T>();
    }
  }

  // Makes a fresh entry's value T() where zero bytes are not T().
  static void initValue(T* p) {
    if constexpr (!empty && !ZeroIsDefault<T>::value) *p = zeroValue<T>();
  }

  // An indirect slot gets its own zeroed object (Go's newobject in mapassign).
  static void allocIndirect(char* s) {
    static_assert(indirect);
    void* obj = allocRaw(typeOf<T>());
    detail::writeBarrier(nullptr, obj);
    ref(s).store(obj, std::memory_order_release);
    afterAlloc();
    initValue(static_cast<T*>(obj));
  }

  // Deletion: an indirect slot drops its object; a value with pointers is
  // cleared so its referents can be collected; with clearPlain, plain
  // values are zeroed as well (Go zeroes deleted elems, not keys).
  static void clearSlot(char* s, bool clearPlain) {
    if constexpr (empty) {
      return;
    } else if constexpr (indirect) {
      detail::writeBarrier(ref(s).load(std::memory_order_relaxed), nullptr);
      ref(s).store(nullptr, std::memory_order_relaxed);
    } else if constexpr (pointers) {
      clearValue(at(s));
    } else {
      if (clearPlain) clearValue(at(s));
    }
  }

  // Evacuation: slot dst (zero, in the new array) takes src's value.
  static void move(char* dst, char* src) {
    if constexpr (empty) {
      return;
    } else if constexpr (indirect) {
      void* obj = ref(src).load(std::memory_order_relaxed);
      detail::writeBarrier(nullptr, obj);
      ref(dst).store(obj, std::memory_order_release);
    } else {
      assign(at(dst), *at(src));
    }
  }

  static void trace(const char* s, Visitor& v) {
    if constexpr (indirect) {
      v.visitRaw(ref(s).load(std::memory_order_acquire));
    } else if constexpr (!empty && kHasPointers<T>) {
      v(*reinterpret_cast<const T*>(s));
    }
  }
};

}  // namespace gort::maps
