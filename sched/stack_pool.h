// Goroutine stacks: fixed-size mappings with a PROT_NONE guard page below,
// recycled through a pool.
//
// Go grows stacks by copying; C++ frames cannot be moved, so a gort stack has
// a fixed size (Options::stack_size, default 256 KiB). Untouched pages cost
// no memory, so a large reservation is cheap. The guard page turns a runaway
// recursion into Go's `fatal error: stack overflow` (see stack_overflow.cc)
// instead of silent corruption of a neighbour.
//
// Each stack is two kernel mappings (guard + stack), and Linux allows 65530
// per process by default (vm.max_map_count), so about 32 000 goroutines can
// hold a stack at the same time. A goroutine takes its stack when it first
// runs, not when it is created, so spawning many short goroutines is fine.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::sched {

struct Stack {
  void* lo = nullptr;   // lowest usable byte (just above the guard page)
  size_t size = 0;      // usable bytes
  void* guard = nullptr;
  size_t guardSize = 0;

  bool contains(const void* p) const {
    auto a = reinterpret_cast<uintptr_t>(p);
    auto b = reinterpret_cast<uintptr_t>(lo);
    return a >= b && a < b + size;
  }
  bool inGuard(const void* p) const {
    auto a = reinterpret_cast<uintptr_t>(p);
    auto g = reinterpret_cast<uintptr_t>(guard);
    return a >= g && a < g + guardSize;
  }
};

class StackPool {
 public:
  // Sets the usable size of stacks handed out from now on (rounded up to
  // whole pages). Stacks of another size in the pool are released.
  void configure(size_t usableSize);
  size_t stackSize() const { return size_; }

  // Returns false when the kernel refuses another mapping.
  bool get(Stack* out);
  void put(Stack s);
  // ASan: a stack reused without going through put() must be unpoisoned.
  void unpoison(const Stack& s);
  void releaseAll();

 private:
  size_t size_ = 0;
};

StackPool& stackPool();
size_t pageSize();

}  // namespace gort::sched
