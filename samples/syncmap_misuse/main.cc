// syncmap_misuse: the sync.Map pattern that costs the most: a stream of new
// keys, each read back right after it is stored.
//
// sync.Map is built for keys written once and read many times (or written
// by disjoint goroutines). A new key goes into the dirty map, under the
// lock; a Load that misses the read-only map takes the lock too and counts
// a miss; once the misses reach len(dirty), dirty is promoted to read, and
// the next Store of a new key rebuilds dirty by copying all of read.
//
//   L = 1   each Store adds one key to dirty and each Load one miss: the
//           misses never catch up, nothing is promoted after the first key,
//           and every call, Loads included, takes the lock (calls=locked).
//   L >= 2  the misses catch up each time dirty has grown by 1/(L-1) of read: a
//           promotion, then a full copy at the next Store, about L-1 times
//           the map's size copied in all (measured: 1.02 at L=2, 4.3 at L=5), and still nearly every call locked.
//   --range Range promotes whenever read is amended, so every Store of a
//           new key copies the whole map: n^2/2 entries copied for n keys.
//
//   ./gort sample syncmap_misuse --keys 1000 --loads-per-store 2
//   ./gort sample syncmap_misuse --keys 1000 --loads-per-store 1 --range
//
// It prints the counters debug::inspect keeps; its Go twin, main.go beside
// it, prints the same figures, read from a real sync.Map through unsafe.
#include <gort/gort.h>
#include <gort/syncmap.h>
#include <gort/syncmap_debug.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Flags {
  int64_t keys = 1000;
  int64_t loadsPerStore = 1;
  bool range = false;
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "%s\nusage: syncmap_misuse [--keys K] [--loads-per-store L] [--range]\n", msg);
  std::exit(2);
}

// Go's flag syntax: -name or --name, then the value as the next argument or
// after '='; bools take no value (or =true/=false).
Flags parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      a = a.substr(2);
    } else if (a.rfind("-", 0) == 0) {
      a = a.substr(1);
    } else {
      usage(("unexpected argument " + a).c_str());
    }
    std::string value;
    bool hasValue = false;
    if (size_t eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      hasValue = true;
    }
    if (a == "range") {
      f.range = !hasValue || value == "true" || value == "1";
      continue;
    }
    if (a != "keys" && a != "loads-per-store") usage(("flag provided but not defined: -" + a).c_str());
    if (!hasValue) {
      if (i + 1 >= argc) usage(("flag needs an argument: -" + a).c_str());
      value = argv[++i];
    }
    char* end = nullptr;
    long long n = std::strtoll(value.c_str(), &end, 10);
    if (end == value.c_str() || *end != '\0' || n < 0) usage(("invalid value for -" + a + ": " + value).c_str());
    (a == "keys" ? f.keys : f.loadsPerStore) = n;
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f = parse(argc, argv);
  return gort::run([&] {
    gort::Local<gort::SyncMap<int64_t, int64_t>> m = gort::New<gort::SyncMap<int64_t, int64_t>>();
    for (int64_t k = 0; k < f.keys; k++) {
      m->Store(k, k);
      for (int64_t j = 0; j < f.loadsPerStore; j++) {
        if (f.range) {
          m->Range([](int64_t, int64_t) { return true; });
        } else {
          m->Load(k);
        }
      }
    }
    gort::debug::SyncMapInfo s = gort::debug::inspect(*m);
    std::printf("keys=%lld loads-per-store=%lld mode=%s\n", static_cast<long long>(f.keys),
                static_cast<long long>(f.loadsPerStore), f.range ? "range" : "load");
    std::printf("calls=%lld locked=%llu copied per stored key: %.2f\n",
                static_cast<long long>(f.keys * (1 + f.loadsPerStore)), static_cast<unsigned long long>(s.slowPath),
                f.keys == 0 ? 0.0 : static_cast<double>(s.copied) / static_cast<double>(f.keys));
    std::printf("rebuilds=%llu copied=%llu promotions=%llu dirty=%lld read=%lld\n",
                static_cast<unsigned long long>(s.rebuilds), static_cast<unsigned long long>(s.copied),
                static_cast<unsigned long long>(s.promotions), static_cast<long long>(s.dirtyLen),
                static_cast<long long>(s.readLen));
  });
}
