// The channel structure shared by chan.cc and select.cc (runtime/chan.go's
// hchan and sudog).
#pragma once

#include <atomic>
#include <cstdint>

#include "gort/detail/hchan.h"
#include "sched/g.h"
#include "sched/spinlock.h"

namespace gort::sched {

// A goroutine waiting on a channel, with where its element comes from or
// goes to.
struct Sudog {
  G* g = nullptr;
  void* elem = nullptr;
  Sudog* next = nullptr;
  Sudog* prev = nullptr;
  detail::hchan* c = nullptr;
  bool isSelect = false;
  bool success = false;   // woken by a real send/receive, not by close
  Sudog* waitlink = nullptr;  // the select's list of its sudogs
  int caseIndex = 0;
};

struct WaitQ {
  Sudog* first = nullptr;
  Sudog* last = nullptr;

  void enqueue(Sudog* s);
  void remove(Sudog* s);
  // The first sudog that can still be woken: a select whose other case
  // already won is skipped (and dropped).
  Sudog* dequeue();
};

}  // namespace gort::sched

namespace gort::detail {

struct hchan {
  uint64_t qcount = 0;    // elements in the buffer
  uint64_t dataqsiz = 0;  // buffer capacity
  unsigned char* buf = nullptr;
  const ElemOps* ops = nullptr;
  bool closed = false;
  uint64_t sendx = 0;
  uint64_t recvx = 0;
  sched::WaitQ recvq;
  sched::WaitQ sendq;
  sched::SpinLock lock;
  std::atomic<int64_t> refs{1};
  std::atomic<bool> closedFlag{false};  // lock-free read of closed (fast paths)
  std::atomic<uint64_t> qcountAtomic{0};

  void* slot(uint64_t i) { return buf + i * ops->size; }
};

// Shared by chanrecv/chansend and selectgo; the caller holds c->lock.
sched::G* sendDirect(hchan* c, sched::Sudog* sg, void* ep);
sched::G* recvFromSender(hchan* c, sched::Sudog* sg, void* ep);
void bufferPut(hchan* c, void* ep);
void bufferTake(hchan* c, void* ep);
bool unlockChan(sched::G*, void* c);

}  // namespace gort::detail
