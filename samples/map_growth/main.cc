// map_growth: how a map grows while N keys are inserted, and what the
// finished map costs on the heap. Its Go twin is main.go beside it; both
// print the same lines (the comparison, tests/samples/compare_growth.py,
// allows the run-to-run spread Go itself shows; see below).
//
//   map_growth N [--kind int64|string_ptr] [--hint]
//
// kind int64 (the default) inserts keys 0..N-1 with the same values into a
// Map<int64_t, int64_t>; string_ptr inserts keys "key-0".."key-(N-1)" with
// pointers to fresh 64-byte structs into a Map<String, Ptr<Payload>>.
// --hint passes N to make_map.
//
// Output, one line per event while inserting:
//
//   count=c B=b          the insert that made the map count c changed B
//   evacuated_after=k    that growth's old buckets were released k inserts
//                        after the one that started it (0: the same insert)
//
// then `entries=N heapalloc_delta=D bytes_per_entry=E`: D is HeapAlloc
// after GC() twice with the map reachable, minus HeapAlloc after GC() twice
// before building it (the method of Go's conformance figures, memory.json);
// E = D/N with two decimals. gort charges each object what Go would (its
// size class), so D is Go's figure for the same map.
//
// The B trajectory is the same in every run. How many inserts finish an
// evacuation, and the overflow buckets behind D, depend on where the keys
// hash, that is on the map's seed (hash0): random in Go, fixed by
// GORT_SEED in gort's deterministic mode.
//
// The program runs on one P (GOMAXPROCS 1), as its twin does: with two,
// Go's own measurement picks up a few runtime objects (sudogs, worker
// state) between the two readings.
#include <gort/gort.h>
#include <gort/map_debug.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Payload {
  int64_t a[8] = {};  // 64 bytes, no pointers
};

// What happened at one insert, recorded now and printed after the
// measurement (as the twin does, whose printing would allocate).
struct Event {
  bool evac;  // an evacuation finished (else B changed)
  int64_t count;
  int B;
  int64_t after;
};

// Follows one map's header after every insert: B, count and whether old
// buckets are still held. The header is read directly (hmapPtr), as the
// Go twin reads runtime.hmap through unsafe; gort::debug::inspect shows the
// same fields but walks every bucket, too slow to call per insert.
struct Watcher {
  const gort::maps::hmap* h = nullptr;
  int lastB = 0;
  int64_t growStart = -1;  // count when the growth in progress started
  std::vector<Event> events;

  void start(const gort::maps::hmap* hm) {
    h = hm;
    lastB = h->B;
  }
  void step() {
    if (h->B != lastB) {
      lastB = h->B;
      growStart = h->count;
      events.push_back(Event{false, h->count, h->B, 0});
    }
    if (growStart >= 0 && !h->growing()) {
      events.push_back(Event{true, 0, 0, h->count - growStart});
      growStart = -1;
    }
  }
};

uint64_t heapAllocAfterTwoGCs() {
  gort::GC();
  gort::GC();
  gort::MemStats ms;
  gort::ReadMemStats(&ms);
  return ms.HeapAlloc;
}

int usage() {
  std::fprintf(stderr, "usage: map_growth N [--kind int64|string_ptr] [--hint]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 0;
  std::string kind = "int64";
  bool hint = false;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--kind") == 0 && i + 1 < argc) {
      kind = argv[++i];
    } else if (std::strcmp(argv[i], "--hint") == 0) {
      hint = true;
    } else {
      char* end = nullptr;
      n = std::strtoll(argv[i], &end, 10);
      if (*argv[i] == '\0' || *end != '\0' || n < 0) return usage();
    }
  }
  if (kind != "int64" && kind != "string_ptr") {
    std::fprintf(stderr, "map_growth: --kind is int64 or string_ptr\n");
    return 2;
  }

  gort::Options opts;
  opts.gomaxprocs = 1;
  return gort::run(opts, [&] {
    Watcher w;
    w.events.reserve(128);
    int64_t h = hint ? n : 0;
    uint64_t before = heapAllocAfterTwoGCs();
    uint64_t after = 0;
    if (kind == "int64") {
      auto m = gort::make_map<int64_t, int64_t>(h);
      w.start(m->hmapPtr());
      for (int64_t i = 0; i < n; i++) {
        (*m)[i] = i;
        w.step();
      }
      after = heapAllocAfterTwoGCs();  // m is still reachable here
    } else {
      auto m = gort::make_map<gort::String, gort::Ptr<Payload>>(h);
      w.start(m->hmapPtr());
      std::string key;
      for (int64_t i = 0; i < n; i++) {
        key = "key-" + std::to_string(i);
        (*m)[key] = gort::New<Payload>();  // the key's bytes are copied once, as a new key
        w.step();
      }
      after = heapAllocAfterTwoGCs();
    }

    for (const Event& e : w.events) {
      if (e.evac) {
        std::printf("evacuated_after=%lld\n", static_cast<long long>(e.after));
      } else {
        std::printf("count=%lld B=%d\n", static_cast<long long>(e.count), e.B);
      }
    }
    auto delta = static_cast<int64_t>(after - before);
    double per = n > 0 ? static_cast<double>(delta) / static_cast<double>(n) : 0.0;
    std::printf("entries=%lld heapalloc_delta=%lld bytes_per_entry=%.2f\n", static_cast<long long>(n),
                static_cast<long long>(delta), per);
  });
}
