// GC objects and references to them.
//
// Go:                                 gort:
//   type Node struct {                  struct Node {
//     next *Node                          gort::Ptr<Node> next;   // heap field (write barrier)
//     val  int                            int64_t val = 0;
//   }                                     void trace(gort::Visitor& v) const { v(next); }
//                                       };
//   n := &Node{val: 1}                  gort::Local<Node> n = gort::New<Node>();  // stack root
//   n.next = &Node{}                    n->next = gort::New<Node>();
//   var head *Node  // package level    gort::Global<Node> head;                 // global root
//
// Three kinds of reference, because a C++ compiler does not tell the
// collector where pointers are (Go's compiler does, with stack maps):
//
//   Ptr<T>     a field of a GC object. Every store goes through the write
//              barrier. Only valid inside an object made by New (or inside
//              a Local or Global, for the value types below).
//   Local<T>   a root on a goroutine's stack: registered with its goroutine,
//              scanned precisely. Use it for every GC reference a C++
//              function holds in a variable.
//   Global<T>  a package-level variable: a root for the whole run.
//
// A type declares its pointer fields once, in a `trace` method that visits
// each of them (v(field)). A type without one is pointer-free: the
// collector never scans it (Go's noscan objects), so a Ptr inside such a
// type is a bug that verify mode (GODEBUG=gcverify=1) reports. trace also
// runs on zeroed memory (an object under construction can be scanned, and
// a type's first allocation learns from it where its references lie), so it
// should visit fields and do nothing else.
//
// GC objects are never deleted by hand. Their destructors run when the
// sweeper frees them (not at a predictable time; a destructor must not touch
// other GC objects). gort::String, gort::Slice<T> and gort::Map<K,V> are
// value types holding a Ptr: fields of GC objects as they are, and
// Local<String>/Global<String> etc. elsewhere.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace gort {

class Visitor;

// ---------------------------------------------------------------------------
// Type descriptors

// What the collector knows about a type: its name (for messages and heap
// dumps), its size, whether it holds pointers, how to find them and how to
// destroy it.
struct TypeInfo {
  const char* name;
  size_t size;
  size_t align;
  bool noscan;                                         // no pointers: never scanned
  void (*trace)(const void* obj, Visitor& v);          // null when noscan
  void (*destroy)(void* obj);                          // null when trivially destructible
  uint32_t magic;                                      // kTypeMagic: verify mode checks headers
  // Go's ptrdata: the bytes from the start of a value to the end of its last
  // reference, what the collector counts as scan work for it and what the
  // pacer counts as scannable heap. 0 until the first allocation learns it
  // from trace (gc/heap.cc); a descriptor made by hand may set it. In the
  // padding after magic, next to sizeCache: every allocation reads both.
  mutable std::atomic<uint32_t> ptrdata{0};
  // The allocator's sizes for one object of this type, computed on first
  // use (gc/heap.cc): Go's size class and mimalloc's block size.
  mutable std::atomic<uint64_t> sizeCache{0};
};
constexpr uint32_t kTypeMagic = 0x676f7274;  // "gort"

namespace detail {
const char* demangledName(const std::type_info& t);

template <class T, class = void>
struct HasTraceMethod : std::false_type {};
template <class T>
struct HasTraceMethod<T, std::void_t<decltype(std::declval<const T&>().trace(std::declval<Visitor&>()))>>
    : std::true_type {};
}  // namespace detail

// Whether values of T hold GC pointers (and so must be traced).
template <class T, class = void>
struct HasPointers : detail::HasTraceMethod<T> {};
template <class T, size_t N>
struct HasPointers<std::array<T, N>> : HasPointers<T> {};
template <class T, size_t N>
struct HasPointers<T[N]> : HasPointers<T> {};
template <class T>
inline constexpr bool kHasPointers = HasPointers<std::remove_cv_t<T>>::value;

// ---------------------------------------------------------------------------
// The visitor a trace method is handed.

namespace detail {
// Slow path of visiting a referenced object (defined by the collector).
void visitObject(Visitor* v, const void* obj);
}  // namespace detail

class Visitor {
 public:
  // Visits one field: a Ptr, a value type with a trace method, or an array
  // of them. Fields without pointers are ignored.
  template <class F>
  void operator()(const F& field) {
    if constexpr (HasPointers<F>::value) visitField(field);
  }

  // The object a raw reference points to (for runtime-internal fields).
  void visitRaw(const void* obj) {
    if (obj != nullptr) {
      detail::visitObject(this, obj);
    } else if (nullRef_ != nullptr) [[unlikely]] {
      nullRef_(this, nullptr);  // somewhere in the object, we cannot say where
    }
  }
  // The object the reference stored at `slot` points to (Ptr's trace).
  void visitRef(const void* slot, const void* obj) {
    if (obj != nullptr) {
      detail::visitObject(this, obj);
    } else if (nullRef_ != nullptr) [[unlikely]] {
      nullRef_(this, slot);
    }
  }

  // Set by the collector: what visiting means (mark, verify, count...).
  using Fn = void (*)(Visitor*, const void*);
  explicit Visitor(Fn fn) : fn_(fn) {}
  Fn fn() const { return fn_; }

  // A visitor that also hears of null references, with the slot holding
  // each (nullptr when the trace did not say): how the collector learns
  // where a type's references lie from a zeroed object (TypeInfo::ptrdata).
  using NullRefFn = void (*)(Visitor*, const void* slot);
  Visitor(Fn fn, NullRefFn nullRef) : fn_(fn), nullRef_(nullRef) {}

 private:
  template <class F>
  void visitField(const F& f);
  template <class F, size_t N>
  void visitField(const std::array<F, N>& a) {
    for (const F& x : a) (*this)(x);
  }
  template <class F, size_t N>
  void visitField(const F (&a)[N]) {
    for (const F& x : a) (*this)(x);
  }

  Fn fn_;
  NullRefFn nullRef_ = nullptr;
};

template <class F>
void Visitor::visitField(const F& f) {
  f.trace(*this);
}

namespace detail {

template <class T>
void traceThunk(const void* obj, Visitor& v) {
  v(*static_cast<const T*>(obj));
}
template <class T>
void destroyThunk(void* obj) {
  static_cast<T*>(obj)->~T();
}

template <class T>
constexpr auto traceFnFor() -> void (*)(const void*, Visitor&) {
  if constexpr (kHasPointers<T>) {
    return &traceThunk<T>;
  } else {
    return nullptr;
  }
}
template <class T>
constexpr auto destroyFnFor() -> void (*)(void*) {
  if constexpr (std::is_trivially_destructible_v<T>) {
    return nullptr;
  } else {
    return &destroyThunk<T>;
  }
}

}  // namespace detail

// The descriptor of T, made once per type.
template <class T>
const TypeInfo* typeOf() {
  static const TypeInfo info{
      detail::demangledName(typeid(T)),
      sizeof(T),
      alignof(T),
      !kHasPointers<T>,
      detail::traceFnFor<T>(),
      detail::destroyFnFor<T>(),
      kTypeMagic,
  };
  return &info;
}

// ---------------------------------------------------------------------------
// Runtime entry points used by the templates below (internal).

namespace detail {

// The write barrier is on while the collector marks (Go's
// writeBarrier.enabled); the fast path of every pointer store tests it.
extern std::atomic<bool> gWriteBarrier;
void writeBarrierSlow(const void* oldObj, const void* newObj);

inline void writeBarrier(const void* oldObj, const void* newObj) {
  if (gWriteBarrier.load(std::memory_order_relaxed)) [[unlikely]] writeBarrierSlow(oldObj, newObj);
}

// Before memory holding count values of type t is overwritten or cleared in
// bulk (memset, memmove): shades every reference it holds, as Go's
// bulkBarrierPreWrite does for typedmemclr and typedmemmove.
void bulkBarrierSlow(const void* p, const TypeInfo* t, size_t count);
inline void bulkBarrier(const void* p, const TypeInfo* t, size_t count) {
  if (gWriteBarrier.load(std::memory_order_relaxed) && !t->noscan) [[unlikely]] bulkBarrierSlow(p, t, count);
}

// Root registration. A root node sits in an intrusive list: its goroutine's
// (Locals) or the global one (Globals).
struct RootNode {
  RootNode* prev = nullptr;
  RootNode* next = nullptr;
  void* owner = nullptr;                          // the goroutine, for Locals
  void (*trace)(const RootNode*, Visitor&) = nullptr;
  void (*reset)(RootNode*) = nullptr;             // Globals: forget the heap when a run ends
};
void registerLocal(RootNode* n);
// A registered root's prev is never null (its goroutine's list starts with
// a sentinel), so unlinking needs no lookup of the goroutine: it is inline,
// as it runs at the end of every Local's scope.
inline void unregisterLocal(RootNode* n) {
  if (n->owner == nullptr) return;
  n->prev->next = n->next;
  if (n->next != nullptr) n->next->prev = n->prev;
  n->owner = nullptr;
}
void registerGlobal(RootNode* n);
void unregisterGlobal(RootNode* n);

// Allocates count objects of type t (one object, or an array object of
// count elements), zeroed, black while marking. The caller constructs them
// inside a ConstructScope, roots the result, then calls afterAlloc().
void* allocObject(const TypeInfo* t, size_t count);

// Verify mode (GODEBUG=gcverify=1).
extern bool gVerify;

// Brackets the construction of an object (or of a root's value) at
// [lo, lo+size). Ptr constructors inside it are heap fields (verify mode
// checks that every Ptr is inside one), and an object under construction is
// a root of its goroutine, since its constructor may allocate (and so
// collect) before anything else refers to it.
//
// Without verify mode a scope with no type (a root's value) has nothing to
// do, and costs no call.
struct ConstructScope : RootNode {
  ConstructScope(void* l, size_t size, const TypeInfo* t) : lo(l) {
    if (t != nullptr || gVerify) begin(size, t);
  }
  ~ConstructScope() {
    if (rooted || savedFor != nullptr) [[unlikely]] end();
  }
  ConstructScope(const ConstructScope&) = delete;

  // New's scope: allocObject and begin in one call (allocRooted).
  struct ForNew {};
  explicit ConstructScope(ForNew) : lo(nullptr) {}
  // Ends the scope and puts root n where the scope was among its
  // goroutine's roots: the object stays rooted with no second lookup of the
  // goroutine.
  void handOver(RootNode* n) {
    if (rooted) [[likely]] {
      n->owner = owner;
      n->prev = prev;
      n->next = next;
      prev->next = n;
      if (next != nullptr) next->prev = n;
      owner = nullptr;
      rooted = false;
    } else {
      registerLocal(n);
    }
    if (savedFor != nullptr) [[unlikely]] end();
  }

  void begin(size_t size, const TypeInfo* t);
  void beginFor(void* forG, size_t size, const TypeInfo* t);  // forG: the goroutine whose roots it joins
  void end();

  void* lo;
  void* savedFor = nullptr;  // verify mode: the goroutine state whose construct fields were saved
  void* savedLo = nullptr;
  size_t savedSize = 0;
  const TypeInfo* savedType = nullptr;
  bool rooted = false;
};

// One object of type t, allocated as allocObject does, with scope begun on
// it (New's fast path).
void* allocRooted(const TypeInfo* t, ConstructScope* scope);

// After an allocation has been rooted: the cycle it triggered starts, and
// the scheduler may switch goroutines (an allocation is a yield point).
void afterAlloc();

void verifyPtrPlacement(const void* field);
void verifyLocalAccess(const void* owner);

}  // namespace detail

// ---------------------------------------------------------------------------
// Ptr<T>: a heap field.

template <class T>
class Ptr {
 public:
  Ptr() {
    if (detail::gVerify) [[unlikely]] detail::verifyPtrPlacement(this);
  }
  Ptr(std::nullptr_t) : Ptr() {}
  Ptr(T* p) : Ptr() { set(p); }  // a fresh field: old value is null
  Ptr(const Ptr& o) : Ptr() { set(o.get()); }
  Ptr& operator=(const Ptr& o) {
    set(o.get());
    return *this;
  }
  Ptr& operator=(T* p) {
    set(p);
    return *this;
  }
  Ptr& operator=(std::nullptr_t) {
    set(nullptr);
    return *this;
  }

  // Acquire/release (plain moves on x86): a marker that loads the field sees
  // the object's initialisation, which the allocating thread did first.
  T* get() const { return p_.load(std::memory_order_acquire); }
  T* operator->() const { return get(); }
  T& operator*() const { return *get(); }
  explicit operator bool() const { return get() != nullptr; }
  friend bool operator==(const Ptr& a, const Ptr& b) { return a.get() == b.get(); }
  friend bool operator==(const Ptr& a, const T* b) { return a.get() == b; }
  friend bool operator==(const Ptr& a, std::nullptr_t) { return a.get() == nullptr; }

  // The marker's read: acquire, pairing with set's release (below).
  void trace(Visitor& v) const { v.visitRef(this, p_.load(std::memory_order_acquire)); }
  // Drops the reference without a write barrier: only for the end of a run,
  // when the heap it points into is gone.
  void forgetHeap() { p_.store(nullptr, std::memory_order_relaxed); }

 private:
  // Hybrid barrier: shade the old value and the new one, then store.
  void set(T* p) {
    // The old value is loaded only while the barrier is on: outside a cycle
    // a store is a store, with no read of a possibly cold slot.
    if (detail::gWriteBarrier.load(std::memory_order_relaxed)) [[unlikely]] detail::writeBarrierSlow(get(), p);
    // Release: a marker on another thread that finds p here must also see
    // p's header and contents as they were written before this store (Go's
    // publicationBarrier in mallocgc).
    p_.store(p, std::memory_order_release);
  }
  // Atomic so that a marker reading the field while a mutator writes it is
  // not a data race. Mutators load relaxed; the release store and the
  // marker's acquire load are plain moves on x86 too.
  std::atomic<T*> p_{nullptr};
};

template <class T>
struct HasPointers<Ptr<T>> : std::true_type {};

// ---------------------------------------------------------------------------
// Value types (String, Slice, Map) are marked so that Local<V> holds a V
// rather than a pointer to a V.

template <class T>
struct IsGcValue : std::false_type {};

namespace detail {

// Where a Local's or Global's value lives while it is constructed: Ptrs
// inside it are roots, not stray fields.
template <class V>
struct RootedValue {
  template <class... A>
  explicit RootedValue(void* self, size_t size, A&&... a) : scope(self, size, nullptr), value(std::forward<A>(a)...) {}
  ConstructScope scope;
  V value;
};

template <class L, class... A>
inline constexpr bool kIsCopyOf = sizeof...(A) == 1 && (std::is_same_v<std::decay_t<A>, L> && ...);

}  // namespace detail

// ---------------------------------------------------------------------------
// Local<T>: a root on the goroutine's stack.
//
// For an object type T, Local<T> is a pointer to a T (Go's *T in a local
// variable). For a value type (String, Slice<E>, Map<K,V>), Local<V> is a V
// and offers V's methods directly.

template <class T, bool Value = IsGcValue<T>::value>
class Local;
template <class T, class... A>
Local<T> New(A&&... args);

template <class T>
class Local<T, false> : private detail::RootNode {
 public:
  Local() { attach(); }
  Local(std::nullptr_t) : Local() {}
  Local(T* p) : p_(p) { attach(); }
  Local(const Ptr<T>& p) : p_(p.get()) { attach(); }
  Local(const Local& o) : p_(o.get()) { attach(); }
  Local& operator=(const Local& o) {
    check();
    p_ = o.get();
    return *this;
  }
  Local& operator=(T* p) {
    check();
    p_ = p;
    return *this;
  }
  Local& operator=(const Ptr<T>& p) {
    check();
    p_ = p.get();
    return *this;
  }
  ~Local() { detail::unregisterLocal(this); }

  T* get() const {
    check();
    return p_;
  }


  T* operator->() const { return get(); }
  T& operator*() const { return *get(); }
  explicit operator bool() const { return get() != nullptr; }
  operator T*() const { return get(); }
  friend bool operator==(const Local& a, const Local& b) { return a.get() == b.get(); }

 private:
  template <class U, class... A>
  friend Local<U> New(A&&... args);
  // New's: takes the root of the object's construction scope.
  Local(T* p, detail::ConstructScope& scope) : p_(p) {
    setTrace();
    scope.handOver(this);
  }
  void setTrace() {
    trace = [](const detail::RootNode* n, Visitor& v) { v.visitRaw(static_cast<const Local*>(n)->p_); };
  }
  void attach() {
    setTrace();
    detail::registerLocal(this);
  }
  void check() const {
    if (detail::gVerify) [[unlikely]] detail::verifyLocalAccess(owner);
  }
  T* p_ = nullptr;
};

// Rooted<V>: any value holding GC references (a struct with Ptr fields, a
// Ptr, a String...) kept on a goroutine's stack as a root. Runtime calls
// that hand such a value to C++ code (a map lookup of a struct value, say)
// return a Rooted<V>. Local<V> of a value type is a Rooted<V>.
template <class V>
class Rooted : private detail::RootNode, private detail::RootedValue<V> {
  using Storage = detail::RootedValue<V>;

 public:
  // Constructs the value in place. Constructors of value types allocate
  // without a yield point; the yield comes here, once the value is rooted.
  template <class... A>
    requires(!detail::kIsCopyOf<Rooted, A...>)
  Rooted(A&&... a) : Storage(static_cast<void*>(this), sizeof(Rooted), std::forward<A>(a)...) {
    attach();
    if constexpr (sizeof...(A) > 0) detail::afterAlloc();
  }
  Rooted(const Rooted& o) : Storage(static_cast<void*>(this), sizeof(Rooted), o.value) { attach(); }
  Rooted& operator=(const Rooted& o) {
    check();
    this->value = o.value;
    return *this;
  }
  template <class U>
    requires(!std::is_same_v<std::decay_t<U>, Rooted>)
  Rooted& operator=(U&& u) {
    check();
    this->value = std::forward<U>(u);
    return *this;
  }
  ~Rooted() { detail::unregisterLocal(this); }

  V& operator*() {
    check();
    return this->value;
  }
  const V& operator*() const {
    check();
    return this->value;
  }
  V* operator->() {
    check();
    return &this->value;
  }
  const V* operator->() const {
    check();
    return &this->value;
  }
  operator V&() { return **this; }
  operator const V&() const { return **this; }

 private:
  void attach() {
    detail::RootNode::trace = [](const detail::RootNode* n, Visitor& v) { v(static_cast<const Rooted*>(n)->value); };
    detail::registerLocal(this);
  }
  void check() const {
    if (detail::gVerify) [[unlikely]] detail::verifyLocalAccess(owner);
  }
};

template <class V>
class Local<V, true> : public Rooted<V> {
 public:
  using Rooted<V>::Rooted;
  using Rooted<V>::operator=;
  Local(const Local& o) : Rooted<V>(static_cast<const Rooted<V>&>(o)) {}
  Local& operator=(const Local& o) {
    Rooted<V>::operator=(static_cast<const Rooted<V>&>(o));
    return *this;
  }
};

// ---------------------------------------------------------------------------
// Global<T>: a package-level variable.

template <class T, bool Value = IsGcValue<T>::value>
class Global;

template <class T>
class Global<T, false> : private detail::RootNode {
 public:
  Global() { attach(); }
  Global(const Global&) = delete;
  ~Global() { detail::unregisterGlobal(this); }
  // Stores into globals go through the write barrier, as in Go.
  Global& operator=(T* p) {
    set(p);
    return *this;
  }
  Global& operator=(const Local<T>& p) {
    set(p.get());
    return *this;
  }
  Global& operator=(const Ptr<T>& p) {
    set(p.get());
    return *this;
  }
  Global& operator=(std::nullptr_t) {
    set(nullptr);
    return *this;
  }
  // Acquire/release (plain moves on x86): a marker that loads the field sees
  // the object's initialisation, which the allocating thread did first.
  T* get() const { return p_.load(std::memory_order_acquire); }
  T* operator->() const { return get(); }
  T& operator*() const { return *get(); }
  explicit operator bool() const { return get() != nullptr; }
  operator T*() const { return get(); }

 private:
  void set(T* p) {
    if (detail::gWriteBarrier.load(std::memory_order_relaxed)) [[unlikely]] detail::writeBarrierSlow(get(), p);
    p_.store(p, std::memory_order_release);  // publishes *p to markers, as Ptr::set does
  }
  void attach() {
    trace = [](const detail::RootNode* n, Visitor& v) {
      v.visitRaw(static_cast<const Global*>(n)->p_.load(std::memory_order_acquire));
    };
    reset = [](detail::RootNode* n) { static_cast<Global*>(n)->p_.store(nullptr, std::memory_order_relaxed); };
    detail::registerGlobal(this);
  }
  std::atomic<T*> p_{nullptr};
};

template <class V>
class Global<V, true> : private detail::RootNode, private detail::RootedValue<V> {
  using Storage = detail::RootedValue<V>;

 public:
  Global() : Storage(static_cast<void*>(this), sizeof(Global)) { attach(); }
  Global(const Global&) = delete;
  ~Global() { detail::unregisterGlobal(this); }
  template <class U>
  Global& operator=(U&& u) {
    this->value = std::forward<U>(u);
    return *this;
  }
  V& operator*() { return this->value; }
  const V& operator*() const { return this->value; }
  V* operator->() { return &this->value; }
  const V* operator->() const { return &this->value; }
  operator V&() { return this->value; }

 private:
  void attach() {
    detail::RootNode::trace = [](const detail::RootNode* n, Visitor& v) { v(static_cast<const Global*>(n)->value); };
    detail::RootNode::reset = [](detail::RootNode* n) { static_cast<Global*>(n)->value.forgetHeap(); };
    detail::registerGlobal(this);
  }
};

// ---------------------------------------------------------------------------
// New<T>(args...): new(T) / &T{...}.

template <class T, class... A>
Local<T> New(A&&... args) {
  static_assert(!IsGcValue<T>::value, "String, Slice and Map are values: construct them, do not New them");
  const TypeInfo* t = typeOf<T>();
  detail::ConstructScope scope{detail::ConstructScope::ForNew{}};
  void* mem = detail::allocRooted(t, &scope);
  T* obj = ::new (mem) T(std::forward<A>(args)...);
  Local<T> out(obj, scope);
  detail::afterAlloc();
  return out;
}

}  // namespace gort
