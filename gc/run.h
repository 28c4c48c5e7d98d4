// How the runtime layer starts and stops the collector around a run.
#pragma once

#include <map>
#include <string>

#include "gc/collector.h"

namespace gort::gc {

// From GOGC and GODEBUG (gctrace, gcstoptheworld, gcverify, gcstress).
Config configFrom(const char* gogcEnv, const std::map<std::string, std::string>& godebug);

// Before sched::start: makes the collector and installs its scheduler hooks.
void beginRun(const Config& cfg, int procs);
// After sched::start returns: frees what is left.
void endRun();

}  // namespace gort::gc
