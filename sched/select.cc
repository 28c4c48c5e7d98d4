// select: Go's selectgo. Cases are polled in a random order (so no case
// starves), channels are locked in address order (so two selects cannot
// deadlock each other), and a goroutine that must wait queues on every
// channel at once; the first to wake it wins (Sudog::isSelect, selectDone).

#include <algorithm>
#include <span>
#include <vector>

#include "gort/panic.h"
#include "sched/chan.h"
#include "sched/fatal.h"
#include "sched/sched.h"

namespace gort::detail {
namespace {

using sched::Sudog;

// One of select's scratch arrays, with one slot per case: in the frame for
// the usual handful of cases (Go keeps them in the caller's frame too), on
// the heap beyond, so a select costs no allocation.
template <class T>
class PerCase {
 public:
  explicit PerCase(int n) {
    if (static_cast<size_t>(n) > kInline) {
      heap_.resize(static_cast<size_t>(n));
      data_ = heap_.data();
    }
  }
  PerCase(const PerCase&) = delete;
  PerCase& operator=(const PerCase&) = delete;
  T& operator[](int i) { return data_[i]; }
  T* begin() { return data_; }

 private:
  static constexpr size_t kInline = 8;
  T inline_[kInline] = {};
  std::vector<T> heap_;
  T* data_ = inline_;
};

struct LockSet {
  explicit LockSet(int ncases) : order(ncases) {}
  PerCase<hchan*> order;  // distinct channels, by address: the first n
  int n = 0;

  void lock() {
    for (int i = 0; i < n; i++) order[i]->lock.lock();
  }
  // Nothing of the LockSet may be read after the last unlock: run as the
  // park commit (on another stack, maybe another thread), that unlock lets
  // the select resume, return and reuse its stack at once. Unlocking in
  // reverse order keeps order[0], which the resumed select locks first,
  // for last.
  void unlock() {
    hchan* const* cs = order.begin();
    for (int i = n; i-- > 0;) cs[i]->lock.unlock();
  }
};

bool selparkcommit(sched::G*, void* arg) {
  static_cast<LockSet*>(arg)->unlock();
  return true;
}

}  // namespace

SelectResult selectgo(SelectCase* cases, int n, bool hasDefault) {
  sched::yieldpoint();  // a no-op off the runtime's threads
  // Poll order: a random permutation of the cases with a channel.
  PerCase<int> pollorder(n);
  int npoll = 0;
  for (int i = 0; i < n; i++) {
    if (cases[i].c == nullptr) continue;
    uint32_t j = sched::running() ? sched::fastrand() % static_cast<uint32_t>(npoll + 1) : 0;
    pollorder[npoll] = i;
    std::swap(pollorder[npoll], pollorder[static_cast<int>(j)]);
    npoll++;
  }
  if (npoll == 0 && !hasDefault) {
    sched::park(n == 0 ? sched::WaitReason::SelectNoCases : sched::WaitReason::Select, nullptr, nullptr);
    sched::throwError("unreachable");
  }
  const std::span<int> polled(pollorder.begin(), static_cast<size_t>(npoll));
  LockSet locks(n);
  for (int i : polled) locks.order[locks.n++] = cases[i].c;
  std::sort(locks.order.begin(), locks.order.begin() + locks.n);
  locks.n = static_cast<int>(std::unique(locks.order.begin(), locks.order.begin() + locks.n) - locks.order.begin());

  locks.lock();
  // Pass 1: is any case ready now?
  for (int i : polled) {
    SelectCase& cs = cases[i];
    hchan* c = cs.c;
    if (!cs.isSend) {
      if (Sudog* sg = c->sendq.dequeue()) {
        sched::G* g = recvFromSender(c, sg, cs.elem);
        locks.unlock();
        sched::ready(g, true);
        return {i, true};
      }
      if (c->qcount > 0) {
        bufferTake(c, cs.elem);
        locks.unlock();
        return {i, true};
      }
      if (c->closed) {
        locks.unlock();
        c->ops->constructZero(cs.elem);
        return {i, false};
      }
    } else {
      if (c->closed) {
        locks.unlock();
        throwRuntimePanic("send on closed channel", false);
      }
      if (Sudog* sg = c->recvq.dequeue()) {
        sched::G* g = sendDirect(c, sg, cs.elem);
        locks.unlock();
        sched::ready(g, true);
        return {i, false};
      }
      if (c->qcount < c->dataqsiz) {
        bufferPut(c, cs.elem);
        locks.unlock();
        return {i, false};
      }
    }
  }
  if (hasDefault) {
    locks.unlock();
    return {-1, false};
  }

  // Pass 2: queue on every channel and wait.
  sched::G* gp = sched::getg();
  PerCase<Sudog> sgs(n);
  gp->selectDone.store(0, std::memory_order_release);  // under every case's lock
  gp->param = nullptr;
  for (int i : polled) {
    Sudog& sg = sgs[i];
    sg.g = gp;
    sg.isSelect = true;
    sg.elem = cases[i].elem;
    sg.c = cases[i].c;
    sg.caseIndex = i;
    if (cases[i].isSend) {
      cases[i].c->sendq.enqueue(&sg);
    } else {
      cases[i].c->recvq.enqueue(&sg);
    }
  }
  sched::park(sched::WaitReason::Select, selparkcommit, &locks);

  // Pass 3: the waker dequeued the winning sudog; take the others back.
  locks.lock();
  gp->selectDone.store(0, std::memory_order_release);  // under every case's lock
  auto* won = static_cast<Sudog*>(gp->param);
  gp->param = nullptr;
  for (int i : polled) {
    Sudog& sg = sgs[i];
    if (&sg == won) continue;
    if (cases[i].isSend) {
      cases[i].c->sendq.remove(&sg);
    } else {
      cases[i].c->recvq.remove(&sg);
    }
  }
  locks.unlock();
  if (won == nullptr) sched::throwError("selectgo: bad wakeup");
  int i = won->caseIndex;
  if (cases[i].isSend) {
    if (!won->success) throwRuntimePanic("send on closed channel", false);
    return {i, false};
  }
  if (!won->success) cases[i].c->ops->constructZero(cases[i].elem);
  return {i, won->success};
}

}  // namespace gort::detail
