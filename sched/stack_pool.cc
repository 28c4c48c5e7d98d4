#include "sched/stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <vector>

#if defined(GORT_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace gort::sched {
namespace {

// Free stacks beyond this many are unmapped rather than kept.
constexpr size_t kMaxPooled = 4096;

std::mutex gPoolMu;
std::vector<Stack> gFree;

void unmap(const Stack& s) {
  munmap(s.guard, s.guardSize + s.size);
}

}  // namespace

size_t pageSize() {
  static const size_t ps = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return ps;
}

StackPool& stackPool() {
  static StackPool pool;
  return pool;
}

void StackPool::configure(size_t usableSize) {
  size_t ps = pageSize();
  size_t rounded = (usableSize + ps - 1) / ps * ps;
  if (rounded < 4 * ps) rounded = 4 * ps;
  std::lock_guard<std::mutex> lk(gPoolMu);
  if (rounded != size_) {
    for (const Stack& s : gFree) unmap(s);
    gFree.clear();
    size_ = rounded;
  }
}

bool StackPool::get(Stack* out) {
  {
    std::lock_guard<std::mutex> lk(gPoolMu);
    if (!gFree.empty()) {
      *out = gFree.back();
      gFree.pop_back();
      return true;
    }
  }
  size_t ps = pageSize();
  size_t total = size_ + ps;
  void* base = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (base == MAP_FAILED) return false;
  if (mprotect(base, ps, PROT_NONE) != 0) {
    munmap(base, total);
    return false;
  }
  out->guard = base;
  out->guardSize = ps;
  out->lo = static_cast<char*>(base) + ps;
  out->size = size_;
  return true;
}

void StackPool::put(Stack s) {
#if defined(GORT_ASAN)
  // Frames that died without returning (a goroutine's last switch) leave
  // their redzones poisoned; the next goroutine on this stack must not see
  // them.
  __asan_unpoison_memory_region(s.lo, s.size);
#endif
  std::lock_guard<std::mutex> lk(gPoolMu);
  if (s.size != size_ || gFree.size() >= kMaxPooled) {
    unmap(s);
    return;
  }
  gFree.push_back(s);
}

void StackPool::unpoison([[maybe_unused]] const Stack& s) {
#if defined(GORT_ASAN)
  __asan_unpoison_memory_region(s.lo, s.size);
#endif
}

void StackPool::releaseAll() {
  std::lock_guard<std::mutex> lk(gPoolMu);
  for (const Stack& s : gFree) unmap(s);
  gFree.clear();
}

}  // namespace gort::sched
