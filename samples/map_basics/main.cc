// map_basics: the first chapter of the map handbook: make, a literal,
// lookups with ok, delete, range, m[k]++ and len, and the nil map. Its Go
// twin is main.go beside it; both print the same lines.
//
//   map_basics [WORD...]
//
// The words (a sentence of its own when none are given) are counted with
// (*counts)[w]++. Range order is random (as in Go), so every listing below
// is printed in sorted key order to be the same in every run.
#include <gort/gort.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace {

using StrIntMap = gort::Map<gort::String, int64_t>;

// Prints m as name: k=v ... in sorted key order.
void printSorted(const char* name, const StrIntMap& m) {
  std::vector<std::string> keys;
  for (auto [k, v] : m) keys.push_back(k.str());
  std::sort(keys.begin(), keys.end());
  std::string line;
  for (const std::string& k : keys) line += " " + k + "=" + std::to_string(m.get(k));
  std::printf("%s (len %lld):%s\n", name, static_cast<long long>(m.len()), line.c_str());
}

const char* boolText(bool b) { return b ? "true" : "false"; }

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) {
    std::istringstream in("the quick brown fox jumps over the lazy dog and the end");
    for (std::string w; in >> w;) words.push_back(w);
  }

  return gort::run([&] {
    // make, and a "literal": Go's map[string]int{"alice": 31, "bob": 27}
    // is a make and a few inserts.
    auto ages = gort::make_map<gort::String, int64_t>();
    (*ages)["alice"] = 31;
    (*ages)["bob"] = 27;
    (*ages)["carol"] = 35;  // insert
    (*ages)["bob"] = 28;    // update: same key, new value
    std::printf("len(ages) = %lld\n", static_cast<long long>(ages->len()));

    // v, ok := m[k]: ok tells a missing key from a stored zero.
    for (const char* k : {"alice", "dave"}) {
      auto [v, ok] = ages->lookup(k);
      std::printf("ages[\"%s\"] = %lld, ok = %s\n", k, static_cast<long long>(v), boolText(ok));
    }
    ages->set("eve", 0);
    bool ok = ages->contains("eve");
    std::printf("ages[\"eve\"] = %lld, ok = %s (stored zero)\n", static_cast<long long>(ages->get("eve")),
                boolText(ok));

    // delete: removing a missing key is fine too.
    ages->del("bob");
    ages->del("nobody");
    printSorted("ages after delete", *ages);

    // range: visits every entry once, in no particular order.
    int64_t sum = 0;
    for (auto [k, v] : *ages) sum += v;
    std::printf("sum of ages = %lld\n", static_cast<long long>(sum));

    // m[k]++ inserts a missing key with the zero value, then adds one.
    auto counts = gort::make_map<gort::String, int64_t>();
    for (const std::string& w : words) (*counts)[w]++;
    (*counts)["total"] += static_cast<int64_t>(words.size());
    printSorted("counts", *counts);

    // The nil map: reads see an empty map, writes panic.
    gort::Local<StrIntMap> nilMap;
    auto [nv, nok] = nilMap->lookup("x");
    std::printf("nil map: len = %lld, nilMap[\"x\"] = %lld, ok = %s\n", static_cast<long long>(nilMap->len()),
                static_cast<long long>(nv), boolText(nok));
    int n = 0;
    for (auto entry : *nilMap) {
      (void)entry;
      n++;
    }
    nilMap->del("x");  // a no-op, not a panic
    std::printf("nil map: range visited %d entries\n", n);
    gort::func([&](gort::Defer& defer) {
      defer([] {
        auto r = gort::recover();
        std::printf("recovered: %s\n", r ? r->message().c_str() : "<nil>");
      });
      (*nilMap)["x"] = 1;
      std::printf("not reached\n");
    });
    std::printf("done\n");
  });
}
