// Turning Options and the environment into each layer's configuration.
#pragma once

#include <map>
#include <string>

#include "gort/run.h"
#include "sched/sched.h"

namespace gort::runtime {

// GODEBUG=a=1,b=2 as a map; later keys win, code over environment.
std::map<std::string, std::string> parseGodebug(const std::string& s);

struct Resolved {
  sched::Config sched;
  std::map<std::string, std::string> godebug;
};

// Exits with a message (status 2) on an environment value gort cannot use.
Resolved resolve(const Options& o);

}  // namespace gort::runtime
