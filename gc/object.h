// The header in front of every GC object, and the object's colour.
//
//   +------------------+---------------+---------------+------------------+
//   | type (TypeInfo*) | mark (uint32) | count (uint32)| payload ...      |
//   +------------------+---------------+---------------+------------------+
//   ^ mimalloc block   16 bytes                        ^ what T* points at
//
// Colour without mark bitmaps: `mark` holds the number of the cycle in which
// the object was last marked. With E the current cycle:
//   white  mark != E      (not reached yet; freed by this cycle's sweep)
//   grey   mark == E and the object is in some mark work buffer
//   black  mark == E and it has been scanned (or has nothing to scan)
// Starting a cycle (E++) makes every object white at once, with no pass over
// the heap. New objects get mark = E, so they are black while marking (Go
// allocates black) and survive the sweep of the cycle they were born in.
//
// Go keeps no header (it finds the type in span metadata); ours costs 16
// bytes per object, which memory accounting reports separately from what Go
// would report (see heap.cc).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "gort/heap.h"

namespace gort::gc {

// A single object's count field holds kLogged | the id of the allocation
// log that lists it, so that marking can count the marked objects of each
// log and the sweeper can keep a log whose objects were all marked without
// reading one of their headers (state.h countLive, sweeper.cc).
constexpr uint32_t kLogged = 0x80000000u;

struct ObjHeader {
  const TypeInfo* type;
  std::atomic<uint32_t> mark;
  uint32_t count;  // elements, for array objects; kLogged | log id for a single object

  uint32_t elems() const { return (count & kLogged) != 0 ? 1 : count; }
  void* payload() { return reinterpret_cast<char*>(this) + sizeof(ObjHeader); }
  const void* payload() const { return reinterpret_cast<const char*>(this) + sizeof(ObjHeader); }
  size_t payloadSize() const { return type->size * elems(); }
};
static_assert(sizeof(ObjHeader) == 16, "payloads stay 16-byte aligned");

inline ObjHeader* headerOf(const void* payload) {
  return reinterpret_cast<ObjHeader*>(const_cast<char*>(static_cast<const char*>(payload)) - sizeof(ObjHeader));
}

// What a freed object's header says in verify mode, where freed objects are
// poisoned and kept for a cycle so that stale references are caught.
extern const TypeInfo kFreedType;

}  // namespace gort::gc
