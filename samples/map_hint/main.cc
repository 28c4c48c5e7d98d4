// map_hint: what make(map[int64]int64, hint) allocates: B, the bucket
// count, and (with --alloc) the allocations of the make itself. Its Go twin
// is main.go beside it; both print the same lines.
//
//   map_hint [--alloc] [HINT...]
//
// For each hint (a list of interesting ones when none are given) it prints
//
//   hint=H B=b buckets=n [mallocs=M alloc_bytes=A]
//
// B is the map's B as gort::debug::inspect reports it (the twin reads it
// from runtime.hmap through unsafe). buckets is 2^B, the number of buckets
// the hash indexes; the bucket array may hold a few more (preallocated
// overflow buckets, from B = 4 on: inspect's bucketsLen), and for B = 0
// make allocates no bucket at all: the first insert does. With --alloc, M
// and A are the mallocs and bytes (TotalAlloc) that make itself cost, the
// header included, from ReadMemStats: gort charges each object Go's size
// class, so these are Go's figures. (Keep --alloc to arrays below the 4 MB
// heap goal of the first collection: a larger make starts that collection,
// and Go counts the few objects its start allocates; gort does not.)
#include <gort/gort.h>
#include <gort/map_debug.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  bool alloc = false;
  std::vector<long long> hints;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--alloc") == 0) {
      alloc = true;
      continue;
    }
    char* end = nullptr;
    long long h = std::strtoll(argv[i], &end, 10);
    if (*argv[i] == '\0' || *end != '\0') {
      std::fprintf(stderr, "usage: map_hint [--alloc] [HINT...]\n");
      return 2;
    }
    hints.push_back(h);
  }
  if (hints.empty()) hints = {0, 1, 8, 9, 13, 14, 26, 27, 52, 53, 100, 1000, 100000};

  return gort::run([&] {
    for (long long hint : hints) {
      gort::MemStats before, after;
      gort::ReadMemStats(&before);
      auto m = gort::make_map<int64_t, int64_t>(hint);
      gort::ReadMemStats(&after);
      gort::debug::MapInfo info = gort::debug::inspect(*m);
      std::printf("hint=%lld B=%d buckets=%llu", hint, info.B, 1ULL << info.B);
      if (alloc) {
        std::printf(" mallocs=%llu alloc_bytes=%llu", static_cast<unsigned long long>(after.Mallocs - before.Mallocs),
                    static_cast<unsigned long long>(after.TotalAlloc - before.TotalAlloc));
      }
      std::printf("\n");
    }
  });
}
