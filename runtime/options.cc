#include "runtime/options.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

namespace gort::runtime {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

[[noreturn]] void badEnv(const std::string& msg) {
  std::fprintf(stderr, "gort: %s\n", msg.c_str());
  std::exit(2);
}

bool parseUint(const char* s, uint64_t* out) {
  if (s == nullptr || *s == '\0') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || s[0] == '-') return false;
  *out = v;
  return true;
}

int cpuCount() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace

std::map<std::string, std::string> parseGodebug(const std::string& s) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    std::string kv = s.substr(i, j - i);
    size_t eq = kv.find('=');
    if (eq != std::string::npos && eq > 0) out[kv.substr(0, eq)] = kv.substr(eq + 1);
    i = j + 1;
  }
  return out;
}

Resolved resolve(const Options& o) {
  Resolved r;
  sched::Config& c = r.sched;

  // GOMAXPROCS: as in Go, a positive integer overrides the CPU count and
  // anything else is ignored.
  c.gomaxprocs = o.gomaxprocs;
  if (c.gomaxprocs <= 0) {
    uint64_t n = 0;
    if (parseUint(env("GOMAXPROCS"), &n) && n > 0 && n <= 256) {
      c.gomaxprocs = static_cast<int>(n);
    } else {
      c.gomaxprocs = cpuCount();
    }
  }
  if (c.gomaxprocs > 256) c.gomaxprocs = 256;

  Mode mode = Mode::Deterministic;
  if (o.mode) {
    mode = *o.mode;
  } else if (const char* m = env("GORT_MODE")) {
    std::string s = m;
    if (s == "deterministic") {
      mode = Mode::Deterministic;
    } else if (s == "parallel") {
      mode = Mode::Parallel;
    } else {
      badEnv("GORT_MODE must be deterministic or parallel, not \"" + s + "\"");
    }
  }
  c.mode = mode == Mode::Parallel ? sched::Mode::Parallel : sched::Mode::Deterministic;

  if (o.seed) {
    c.seed = *o.seed;
  } else if (const char* s = env("GORT_SEED")) {
    if (!parseUint(s, &c.seed)) badEnv(std::string("GORT_SEED must be an unsigned integer, not \"") + s + "\"");
  } else {
    std::random_device rd;
    c.seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }

  if (o.stack_size != 0) {
    c.stackSize = o.stack_size;
  } else if (const char* s = env("GORT_STACK_SIZE")) {
    uint64_t n = 0;
    if (!parseUint(s, &n) || n < 16384) badEnv(std::string("GORT_STACK_SIZE must be a byte count >= 16384, not \"") + s + "\"");
    c.stackSize = n;
  }

  std::string tb = o.traceback ? *o.traceback : (env("GOTRACEBACK") ? env("GOTRACEBACK") : "single");
  if (tb == "none" || tb == "0") {
    c.traceback = {0, false};
  } else if (tb == "all" || tb == "1") {
    c.traceback = {1, true};
  } else if (tb == "system" || tb == "2" || tb == "crash") {
    c.traceback = {2, true};
  } else {
    c.traceback = {1, false};
  }

  std::string godebug = env("GODEBUG") ? env("GODEBUG") : "";
  if (o.godebug) godebug += (godebug.empty() ? "" : ",") + *o.godebug;
  r.godebug = parseGodebug(godebug);

  c.capture = o.capture != nullptr;
  c.failure = o.capture;
  if (o.capture != nullptr) *o.capture = Failure{};
  return r;
}

}  // namespace gort::runtime
