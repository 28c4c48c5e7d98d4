// Type-erased channel operations behind gort::Chan<T> (runtime/chan.go,
// select.go). Public only because Chan<T> is a template; not for users.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gort::detail {

// How the runtime moves elements of one type around without knowing it.
struct ElemOps {
  size_t size;
  size_t align;
  void (*moveConstruct)(void* dst, void* src);  // construct *dst from *src (src stays valid)
  void (*destroy)(void* p);
  void (*constructZero)(void* p);  // the zero value
};

template <class T>
const ElemOps* elemOpsFor() {
  static const ElemOps ops{
      sizeof(T),
      alignof(T),
      [](void* d, void* s) { ::new (d) T(std::move(*static_cast<T*>(s))); },
      [](void* p) { static_cast<T*>(p)->~T(); },
      [](void* p) { ::new (p) T(); },
  };
  return &ops;
}

struct hchan;

hchan* makechan(const ElemOps* ops, int64_t size);
void chanRetain(hchan* c);
void chanRelease(hchan* c);

// ep points at a T to move from. Returns false only when !block and the
// send could not proceed.
bool chansend(hchan* c, void* ep, bool block);
// ep points at uninitialised storage for a T; when selected, a T has been
// constructed there (the zero value if the channel was closed and empty).
struct RecvResult {
  bool selected;
  bool received;
};
RecvResult chanrecv(hchan* c, void* ep, bool block);
void closechan(hchan* c);
int chanlen(hchan* c);
int chancap(hchan* c);

struct SelectCase {
  hchan* c;     // nil: never ready
  bool isSend;
  void* elem;   // send: value to move from; recv: storage for the value
};
// Returns the index of the case that ran (-1: the default case), and for a
// receive whether a value was received (false: closed).
struct SelectResult {
  int index;
  bool recvOK;
};
SelectResult selectgo(SelectCase* cases, int n, bool hasDefault);

}  // namespace gort::detail
