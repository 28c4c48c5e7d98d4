// The non-template parts of SyncMap: the run's expunged sentinel and the
// JSON form of debug::SyncMapInfo.

#include <cstdio>
#include <string>

#include "gort/syncmap.h"
#include "gort/syncmap_debug.h"

namespace gort::syncmap {

namespace {

// The sentinel's type: pointer-free, never looked inside. Go's expunged is
// `unsafe.Pointer(new(any))`, a 16-byte object.
struct Expunged {
  uint64_t unused[2] = {0, 0};
};

// The global root that holds the sentinel for the run (as Go's package
// variable does); forgotten when the run's heap goes.
struct ExpungedRoot : detail::RootNode {
  ExpungedRoot() {
    trace = [](const detail::RootNode*, Visitor& v) { v.visitRaw(gExpunged.load(std::memory_order_acquire)); };
    reset = [](detail::RootNode*) { gExpunged.store(nullptr, std::memory_order_relaxed); };
    detail::registerGlobal(this);
  }
  ~ExpungedRoot() { detail::unregisterGlobal(this); }
};

ExpungedRoot gExpungedRoot;

}  // namespace

std::atomic<void*> gExpunged{nullptr};

// The first dirtyLocked of a run allocates the sentinel; maps in other
// goroutines may race to do it, and the first to publish wins.
void* makeExpunged() {
  Local<Expunged> x = New<Expunged>();
  void* want = nullptr;
  detail::writeBarrier(nullptr, x.get());  // a store into a global root
  if (gExpunged.compare_exchange_strong(want, x.get(), std::memory_order_acq_rel, std::memory_order_acquire)) {
    return x.get();
  }
  return want;
}

}  // namespace gort::syncmap

namespace gort::debug {

std::string SyncMapInfo::toJSON() const {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "{\"read\":%lld,\"dirty\":%lld,\"dirtyNil\":%s,\"amended\":%s,\"misses\":%lld,"
                "\"promotions\":%llu,\"rebuilds\":%llu,\"copied\":%llu,\"slowPath\":%llu}",
                static_cast<long long>(readLen), static_cast<long long>(dirtyLen), dirtyNil ? "true" : "false",
                amended ? "true" : "false", static_cast<long long>(misses), static_cast<unsigned long long>(promotions),
                static_cast<unsigned long long>(rebuilds), static_cast<unsigned long long>(copied),
                static_cast<unsigned long long>(slowPath));
  return buf;
}

}  // namespace gort::debug
