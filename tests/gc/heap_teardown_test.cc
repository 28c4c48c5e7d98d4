// A run's end frees what the collector allocated, and nothing else.
//
// Each P allocates from a mimalloc heap of its own (mi_heap_new), but such
// a heap can come to hold blocks nobody allocated from it: mimalloc 2.0
// lets a heap that needs a fresh page take over ("reclaim") the abandoned
// segment of a thread that has exited, the pages still in use in that
// segment included, and mi_heap_new's no_reclaim flag does not stop this
// path. A thread's pages are abandoned whenever it exits still owning
// live blocks, and the Ms of earlier runs are such threads: whatever they
// allocated that outlives them (the buffer of a runtime vector that grew
// while a goroutine ran there, a std::string in a static) sits in abandoned
// pages. Freeing a P's heap wholesale at the run's end (mi_heap_destroy)
// then freed those blocks under their owners. The next writes into them
// corrupted GC objects and mimalloc's own free lists: the whole gc_test
// binary, run as one process, crashed about one time in ten.
//
// The test makes that situation on purpose: a thread allocates a block and
// exits, a run then grows its heap until the P's heap has taken over the
// block's page, and the block must still be allocated, and intact, once the
// run is over.

#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cstdint>
#include <cstring>
#include <thread>

#include "tests/gc/gc_test_util.h"

namespace gort::testing {
namespace {

constexpr size_t kBlockSize = 48;
constexpr unsigned char kPattern = 0x5a;

bool intact(const void* block) {
  const auto* b = static_cast<const unsigned char*>(block);
  for (size_t i = 0; i < kBlockSize; i++) {
    if (b[i] != kPattern) return false;
  }
  return true;
}

TEST(HeapTeardown, ARunsEndKeepsBlocksItsHeapsTookOverFromAnExitedThread) {
  void* block = nullptr;
  bool adopted = false;
  int bigAllocs = 0;
  // Deterministic mode: the run's only P heap belongs to this thread, as
  // does the heap its pages go back to.
  runOk(detP1(), [&] {
    // mi_malloc, not malloc: under the sanitizers malloc is theirs.
    std::thread([&] {
      block = mi_malloc(kBlockSize);
      std::memset(block, kPattern, kBlockSize);
    }).join();  // the thread exits holding the block: its segment is abandoned
    // Large arrays (6 MiB, mimalloc's large pages, zeroed without touching
    // their memory) use up this thread's free segment space quickly; the
    // next page the P's heap needs then comes from the most recently
    // abandoned segment, the one just made. GOGC=off: nothing is freed.
    mi_heap_t* heap = gc::pstate(sched::getp())->heap;
    while (!adopted && bigAllocs < 64) {
      (void)Slice<uint8_t>::make(0, 6 << 20);
      bigAllocs++;
      adopted = mi_heap_contains_block(heap, block);
    }
  }, [] {
    Options o;
    o.gogc = "off";
    return o;
  }());
  ASSERT_NE(block, nullptr);
  ASSERT_TRUE(adopted) << "the P's heap never took over the exited thread's page (" << bigAllocs
                       << " large arrays): the test no longer sets up what it checks";
  // The run's heap is gone; the block's page must have gone back to this
  // thread's own heap, still allocated.
  EXPECT_TRUE(mi_heap_contains_block(mi_heap_get_backing(), block))
      << "the run's end freed a block its heap did not allocate";
  EXPECT_TRUE(intact(block)) << "the block of the exited thread was overwritten";
  // Freed only when it is still ours: freeing it again would corrupt the
  // heap for the tests after this one.
  if (mi_heap_contains_block(mi_heap_get_backing(), block)) mi_free(block);
}

}  // namespace
}  // namespace gort::testing
