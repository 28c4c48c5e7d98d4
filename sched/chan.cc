// Channel send, receive and close, following runtime/chan.go: a lock, a
// ring buffer, and queues of waiting goroutines. A send to a waiting
// receiver copies straight into the receiver's variable, and vice versa.

#include "sched/chan.h"

#include <cstdlib>
#include <limits>
#include <new>
#include <vector>

#include "gort/panic.h"
#include "sched/fatal.h"
#include "sched/sched.h"

namespace gort::sched {

void WaitQ::enqueue(Sudog* s) {
  s->next = nullptr;
  s->prev = last;
  if (last != nullptr) {
    last->next = s;
  } else {
    first = s;
  }
  last = s;
}

void WaitQ::remove(Sudog* s) {
  if (s->prev != nullptr) {
    s->prev->next = s->next;
  } else if (first == s) {
    first = s->next;
  } else {
    return;  // not queued
  }
  if (s->next != nullptr) {
    s->next->prev = s->prev;
  } else {
    last = s->prev;
  }
  s->next = s->prev = nullptr;
}

Sudog* WaitQ::dequeue() {
  for (;;) {
    Sudog* s = first;
    if (s == nullptr) return nullptr;
    first = s->next;
    if (first != nullptr) {
      first->prev = nullptr;
    } else {
      last = nullptr;
    }
    s->next = s->prev = nullptr;
    // A select waits on several channels; only the first to claim it wins.
    if (s->isSelect) {
      uint32_t expected = 0;
      if (!s->g->selectDone.compare_exchange_strong(expected, 1)) continue;
    }
    return s;
  }
}

}  // namespace gort::sched

namespace gort::detail {

using sched::Sudog;

bool unlockChan(sched::G*, void* arg) {
  static_cast<hchan*>(arg)->lock.unlock();
  return true;
}

namespace {

void chanSafepoint() {
  sched::yieldpoint();  // a no-op off the runtime's threads
}

[[noreturn]] void blockForever(sched::WaitReason why) {
  sched::park(why, nullptr, nullptr);
  sched::throwError("unreachable");
}

}  // namespace

// Hands ep to a receiver that was waiting (Go's send): straight into its
// variable. Returns the goroutine to ready once the caller has unlocked.
sched::G* sendDirect(hchan* c, Sudog* sg, void* ep) {
  if (sg->elem != nullptr) c->ops->moveConstruct(sg->elem, ep);
  sg->elem = nullptr;
  sg->success = true;
  sg->g->param = sg;
  return sg->g;
}

// Takes a value from a waiting sender (Go's recv). Buffered: the buffer is
// full, so the receiver takes the head and the sender's value goes to the
// tail, keeping FIFO order.
sched::G* recvFromSender(hchan* c, Sudog* sg, void* ep) {
  if (c->dataqsiz == 0) {
    if (ep != nullptr) c->ops->moveConstruct(ep, sg->elem);
  } else {
    void* qp = c->slot(c->recvx);
    if (ep != nullptr) c->ops->moveConstruct(ep, qp);
    c->ops->destroy(qp);
    c->ops->moveConstruct(qp, sg->elem);
    c->recvx++;
    if (c->recvx == c->dataqsiz) c->recvx = 0;
    c->sendx = c->recvx;
  }
  sg->elem = nullptr;
  sg->success = true;
  sg->g->param = sg;
  return sg->g;
}

void bufferPut(hchan* c, void* ep) {
  c->ops->moveConstruct(c->slot(c->sendx), ep);
  c->sendx++;
  if (c->sendx == c->dataqsiz) c->sendx = 0;
  c->qcount++;
  c->qcountAtomic.store(c->qcount, std::memory_order_release);
}

void bufferTake(hchan* c, void* ep) {
  void* qp = c->slot(c->recvx);
  if (ep != nullptr) c->ops->moveConstruct(ep, qp);
  c->ops->destroy(qp);
  c->recvx++;
  if (c->recvx == c->dataqsiz) c->recvx = 0;
  c->qcount--;
  c->qcountAtomic.store(c->qcount, std::memory_order_release);
}

hchan* makechan(const ElemOps* ops, int64_t size) {
  if (size < 0 || static_cast<uint64_t>(size) > std::numeric_limits<uint64_t>::max() / ops->size ||
      static_cast<uint64_t>(size) * ops->size > (uint64_t{1} << 40)) {
    throwRuntimePanic("makechan: size out of range", false);
  }
  auto* c = new hchan();
  c->ops = ops;
  c->dataqsiz = static_cast<uint64_t>(size);
  if (size > 0) {
    c->buf = static_cast<unsigned char*>(
        ::operator new(static_cast<size_t>(size) * ops->size, std::align_val_t(ops->align < 16 ? 16 : ops->align)));
  }
  return c;
}

void chanRetain(hchan* c) { c->refs.fetch_add(1, std::memory_order_relaxed); }

void chanRelease(hchan* c) {
  if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  for (uint64_t i = 0; i < c->qcount; i++) c->ops->destroy(c->slot((c->recvx + i) % c->dataqsiz));
  if (c->buf != nullptr) ::operator delete(c->buf, std::align_val_t(c->ops->align < 16 ? 16 : c->ops->align));
  delete c;
}

bool chansend(hchan* c, void* ep, bool block) {
  chanSafepoint();
  if (c == nullptr) {
    if (!block) return false;
    blockForever(sched::WaitReason::ChanSendNilChan);
  }
  // Fast path: a full buffered channel that is not closed cannot take a
  // non-blocking send, and saying so needs no lock.
  if (!block && c->dataqsiz > 0 && !c->closedFlag.load(std::memory_order_acquire) &&
      c->qcountAtomic.load(std::memory_order_acquire) == c->dataqsiz) {
    return false;
  }
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    throwRuntimePanic("send on closed channel", false);
  }
  if (Sudog* sg = c->recvq.dequeue()) {
    sched::G* g = sendDirect(c, sg, ep);
    c->lock.unlock();
    sched::ready(g, true);
    return true;
  }
  if (c->qcount < c->dataqsiz) {
    bufferPut(c, ep);
    c->lock.unlock();
    return true;
  }
  if (!block) {
    c->lock.unlock();
    return false;
  }
  sched::G* g = sched::getg();
  Sudog mysg;
  mysg.g = g;
  mysg.elem = ep;
  mysg.c = c;
  g->param = nullptr;
  c->sendq.enqueue(&mysg);
  sched::park(sched::WaitReason::ChanSend, unlockChan, c);
  if (!mysg.success) throwRuntimePanic("send on closed channel", false);
  return true;
}

RecvResult chanrecv(hchan* c, void* ep, bool block) {
  chanSafepoint();
  if (c == nullptr) {
    if (!block) return {false, false};
    blockForever(sched::WaitReason::ChanReceiveNilChan);
  }
  c->lock.lock();
  if (c->closed && c->qcount == 0) {
    c->lock.unlock();
    if (ep != nullptr) c->ops->constructZero(ep);
    return {true, false};
  }
  if (Sudog* sg = c->sendq.dequeue()) {
    sched::G* g = recvFromSender(c, sg, ep);
    c->lock.unlock();
    sched::ready(g, true);
    return {true, true};
  }
  if (c->qcount > 0) {
    bufferTake(c, ep);
    c->lock.unlock();
    return {true, true};
  }
  if (!block) {
    c->lock.unlock();
    return {false, false};
  }
  sched::G* g = sched::getg();
  Sudog mysg;
  mysg.g = g;
  mysg.elem = ep;
  mysg.c = c;
  g->param = nullptr;
  c->recvq.enqueue(&mysg);
  sched::park(sched::WaitReason::ChanReceive, unlockChan, c);
  bool ok = mysg.success;
  if (!ok && ep != nullptr) c->ops->constructZero(ep);
  return {true, ok};
}

void closechan(hchan* c) {
  chanSafepoint();
  if (c == nullptr) throwRuntimePanic("close of nil channel", false);
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    throwRuntimePanic("close of closed channel", false);
  }
  c->closed = true;
  c->closedFlag.store(true, std::memory_order_release);
  // Wake everyone: receivers get the zero value, senders panic.
  sched::G* wake[64];
  std::vector<sched::G*> more;
  int n = 0;
  auto collect = [&](Sudog* sg) {
    sg->success = false;
    sg->g->param = sg;
    if (n < 64) {
      wake[n++] = sg->g;
    } else {
      more.push_back(sg->g);
    }
  };
  // A receiver (or select receive case) constructs its zero value itself
  // when it resumes and sees success == false.
  while (Sudog* sg = c->recvq.dequeue()) collect(sg);
  while (Sudog* sg = c->sendq.dequeue()) collect(sg);
  c->lock.unlock();
  for (int i = 0; i < n; i++) sched::ready(wake[i], true);
  for (sched::G* g : more) sched::ready(g, true);
}

int chanlen(hchan* c) { return static_cast<int>(c->qcountAtomic.load(std::memory_order_acquire)); }
int chancap(hchan* c) { return static_cast<int>(c->dataqsiz); }

}  // namespace gort::detail
