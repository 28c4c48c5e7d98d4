#include "sched/sema.h"

#include "sched/sched.h"
#include "sched/spinlock.h"

namespace gort::sched {
namespace {

struct SemaWaiter {
  std::atomic<uint32_t>* addr;
  G* g;
  bool ticket;  // the releaser handed us the count
  SemaWaiter* next;
  SemaWaiter* prev;
};

// Waiters hash into one of 251 roots by address, as in Go; each root keeps
// one FIFO list for all the addresses that share it.
struct SemaRoot {
  SpinLock lock;
  std::atomic<uint32_t> nwait{0};
  SemaWaiter* head = nullptr;
  SemaWaiter* tail = nullptr;

  // Caller holds lock, as every writer of nwait does, so no atomic
  // read-modify-write is needed. Only the increment must be one: it is the
  // fence between counting ourselves and re-reading the semaphore, which a
  // concurrent semrelease (add, then read nwait) pairs with.
  void uncountWaiter() { nwait.store(nwait.load(std::memory_order_relaxed) - 1, std::memory_order_release); }

  void queue(SemaWaiter* w, bool lifo) {
    w->next = w->prev = nullptr;
    if (lifo) {
      // In front of the first waiter on the same address.
      SemaWaiter* first = head;
      while (first != nullptr && first->addr != w->addr) first = first->next;
      if (first != nullptr) {
        w->next = first;
        w->prev = first->prev;
        if (first->prev != nullptr) {
          first->prev->next = w;
        } else {
          head = w;
        }
        first->prev = w;
        return;
      }
    }
    w->prev = tail;
    if (tail != nullptr) {
      tail->next = w;
    } else {
      head = w;
    }
    tail = w;
  }

  // Takes w, which is on the list, off it.
  void remove(SemaWaiter* w) {
    if (w->prev != nullptr) {
      w->prev->next = w->next;
    } else {
      head = w->next;
    }
    if (w->next != nullptr) {
      w->next->prev = w->prev;
    } else {
      tail = w->prev;
    }
    w->next = w->prev = nullptr;
  }

  // Takes w off the list if it is still there (a waiter leaving without
  // being woken). Returns whether it was.
  bool unlink(SemaWaiter* w) {
    SemaWaiter* x = head;
    while (x != nullptr && x != w) x = x->next;
    if (x == nullptr) return false;
    remove(w);
    return true;
  }

  SemaWaiter* dequeue(std::atomic<uint32_t>* addr) {
    for (SemaWaiter* w = head; w != nullptr; w = w->next) {
      if (w->addr == addr) {
        remove(w);
        return w;
      }
    }
    return nullptr;
  }
};

constexpr size_t kSemTabSize = 251;
SemaRoot gSemtable[kSemTabSize];

SemaRoot* rootFor(std::atomic<uint32_t>* addr) {
  return &gSemtable[(reinterpret_cast<uintptr_t>(addr) >> 3) % kSemTabSize];
}

bool cansemacquire(std::atomic<uint32_t>* addr) {
  for (;;) {
    uint32_t v = addr->load(std::memory_order_acquire);
    if (v == 0) return false;
    if (addr->compare_exchange_weak(v, v - 1, std::memory_order_acq_rel)) return true;
  }
}

bool unlockRoot(G*, void* arg) {
  static_cast<SemaRoot*>(arg)->lock.unlock();
  return true;
}

}  // namespace

void semacquire(std::atomic<uint32_t>* addr, bool lifo) {
  if (cansemacquire(addr)) return;
  G* g = getg();
  if (g != nullptr && g->unwinding) {
    // A destructor blocked while teardown unwinds this goroutine: it is
    // abandoned here (see park), and must not leave a waiter behind.
    park(WaitReason::Semacquire, nullptr, nullptr);
  }
  SemaRoot* root = rootFor(addr);
  SemaWaiter w{addr, g, false, nullptr, nullptr};
  for (;;) {
    root->lock.lock();
    // Counting ourselves first means a concurrent semrelease cannot miss us.
    root->nwait.fetch_add(1, std::memory_order_seq_cst);
    if (cansemacquire(addr)) {
      root->uncountWaiter();
      root->lock.unlock();
      return;
    }
    root->queue(&w, lifo);
    try {
      park(WaitReason::Semacquire, unlockRoot, root);
    } catch (...) {
      // Unwound at the end of the run (ForcedUnwind): w lives on this
      // goroutine's stack, which will be reused, so it must not stay in the
      // table, which outlives the run.
      root->lock.lock();
      if (root->unlink(&w)) root->uncountWaiter();
      root->lock.unlock();
      throw;
    }
    if (w.ticket || cansemacquire(addr)) return;
  }
}

void semrelease(std::atomic<uint32_t>* addr, bool handoff) {
  SemaRoot* root = rootFor(addr);
  addr->fetch_add(1, std::memory_order_seq_cst);
  if (root->nwait.load(std::memory_order_seq_cst) == 0) return;
  root->lock.lock();
  if (root->nwait.load(std::memory_order_seq_cst) == 0) {
    root->lock.unlock();
    return;
  }
  SemaWaiter* w = root->dequeue(addr);
  if (w != nullptr) root->uncountWaiter();
  root->lock.unlock();
  if (w == nullptr) return;
  if (handoff && cansemacquire(addr)) w->ticket = true;
  bool yield = w->ticket;
  ready(w->g, true);
  if (yield) goyield();
}

}  // namespace gort::sched
