#include "tests/support/gort_test.h"

namespace gort::testing {

std::string Config::name() const {
  std::string s = mode == Mode::Deterministic ? "Det" : "Parallel";
  s += "P" + std::to_string(procs);
  if (mode == Mode::Deterministic) s += "Seed" + std::to_string(seed);
  return s;
}

uint64_t seedOr(uint64_t fallback) {
  const char* s = std::getenv("GORT_SEED");
  if (s == nullptr || *s == '\0') return fallback;
  return std::strtoull(s, nullptr, 10);
}

Outcome run(const Config& cfg, const std::function<void()>& body, Options extra) {
  Outcome out;
  Options o = std::move(extra);
  o.mode = cfg.mode;
  o.gomaxprocs = cfg.procs;
  o.seed = seedOr(cfg.seed);
  o.capture = &out.failure;
  SCOPED_TRACE("gort run " + cfg.name() + " (replay: GORT_SEED=" + std::to_string(*o.seed) + ")");
  out.status = gort::run(o, body);
  return out;
}

std::vector<Config> standardConfigs() {
  return {
      {Mode::Deterministic, 1, 1},
      {Mode::Deterministic, 4, 2},
      {Mode::Parallel, 2, 3},
  };
}

std::vector<Config> seedSweep(int procs, int nseeds, uint64_t firstSeed) {
  std::vector<Config> out;
  for (int i = 0; i < nseeds; i++) out.push_back({Mode::Deterministic, procs, firstSeed + static_cast<uint64_t>(i)});
  return out;
}

}  // namespace gort::testing
