// map_iter_order: which key a fresh range loop visits first. Its Go twin is
// main.go beside it.
//
//   map_iter_order N LOOPS
//
// Builds one map with int64 keys 0..N-1, runs LOOPS fresh
// `for (auto [k, v] : *m) { ...; break; }` loops, and prints `key=k first=c`
// for every key: how many loops it came first in.
//
// As in Go, each range loop starts at a random bucket and a random slot
// within each bucket, so that programs cannot come to depend on an order:
// even an 8-key map, all in one bucket, starts at any of its keys, about
// equally often. The counts differ from run to run in Go; here they are a
// function of the seed (GORT_SEED) in deterministic mode, and random
// otherwise. tests/samples/compare_iter_order.py compares them with Go's
// statistically.
#include <gort/gort.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {
bool parse(const char* s, long long* out) {
  char* end = nullptr;
  *out = std::strtoll(s, &end, 10);
  return *s != '\0' && *end == '\0' && *out >= 0;
}
}  // namespace

int main(int argc, char** argv) {
  long long n = 0, loops = 0;
  if (argc != 3 || !parse(argv[1], &n) || !parse(argv[2], &loops)) {
    std::fprintf(stderr, "usage: map_iter_order N LOOPS\n");
    return 2;
  }
  return gort::run([&] {
    auto m = gort::make_map<int64_t, int64_t>();
    for (int64_t i = 0; i < n; i++) (*m)[i] = i;
    std::vector<long long> first(static_cast<size_t>(n));
    for (long long l = 0; l < loops; l++) {
      for (auto [k, v] : *m) {
        first[static_cast<size_t>(k)]++;
        break;
      }
    }
    for (long long k = 0; k < n; k++) std::printf("key=%lld first=%lld\n", k, first[static_cast<size_t>(k)]);
  });
}
