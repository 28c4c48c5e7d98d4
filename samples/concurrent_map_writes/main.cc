// concurrent_map_writes: two goroutines write one map without a lock, and
// the runtime catches them. Its Go twin is main.go beside it.
//
//   concurrent_map_writes [--procs P] [--keys K] [--iters I] [--gosched] [--seed S]
//
// Each of the two writers does I writes m[i % K] = i (i = 0..I-1), with
// Gosched() after each one when --gosched is given; main waits for both on
// a WaitGroup. Defaults: P=2, K=65536, I=1000000. P is GOMAXPROCS; --seed
// S fixes the seed of the deterministic schedule (as GORT_SEED=S does).
// The mode is whichever GORT_MODE selects (deterministic by default).
//
// When two writers are caught inside the map at once, the program dies
// with "fatal error: concurrent map writes" and the goroutines' tracebacks
// on stderr, exit status 2, exactly as Go's does: a fatal error, not a
// panic, so no recover can stop it. Otherwise it prints "no race detected".
//
// In deterministic mode the run is a function of the seed: with P >= 2 the
// scheduler may switch goroutines inside a write (where a second CPU could
// run the other writer), and the same seed gives the same crash, byte for
// byte. With P = 1 a goroutine is switched only where a one-CPU Go program
// could be (Gosched, blocking, an allocation's GC assist), so without
// --gosched the two writers never overlap... except through allocations
// inside the write: see docs/maps.md.
#include <gort/gort.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: concurrent_map_writes [--procs P] [--keys K] [--iters I] [--gosched] [--seed S]\n");
  std::exit(2);
}

int64_t num(int argc, char** argv, int i) {
  if (i >= argc) usage();
  char* end = nullptr;
  long long v = std::strtoll(argv[i], &end, 10);
  if (*argv[i] == '\0' || *end != '\0' || v < 0) usage();
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t procs = 2, keys = 65536, iters = 1000000;
  bool gosched = false;
  gort::Options opts;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--procs") == 0) {
      procs = num(argc, argv, ++i);
    } else if (std::strcmp(argv[i], "--keys") == 0) {
      keys = num(argc, argv, ++i);
    } else if (std::strcmp(argv[i], "--iters") == 0) {
      iters = num(argc, argv, ++i);
    } else if (std::strcmp(argv[i], "--seed") == 0) {
      opts.seed = static_cast<uint64_t>(num(argc, argv, ++i));
    } else if (std::strcmp(argv[i], "--gosched") == 0) {
      gosched = true;
    } else {
      usage();
    }
  }
  if (procs < 1 || keys < 1) usage();
  opts.gomaxprocs = static_cast<int>(procs);

  return gort::run(opts, [=] {
    auto m = gort::make_map<int64_t, int64_t>();
    gort::WaitGroup wg;
    wg.Add(2);
    for (int w = 0; w < 2; w++) {
      gort::go([m, &wg, keys, iters, gosched] {
        for (int64_t i = 0; i < iters; i++) {
          (*m)[i % keys] = i;
          if (gosched) gort::Gosched();
        }
        wg.Done();
      });
    }
    wg.Wait();
    std::printf("no race detected\n");
  });
}
