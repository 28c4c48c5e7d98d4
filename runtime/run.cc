// gort::run: resolve the options, start every layer, run main.

#include "gort/run.h"

#include <cstdlib>

#include "gc/run.h"
#include "runtime/options.h"
#include "sched/sched.h"

namespace gort {
namespace {

void runMain(void* arg) { (*static_cast<std::function<void()>*>(arg))(); }

}  // namespace

int run(const Options& options, std::function<void()> main) {
  runtime::Resolved r = runtime::resolve(options);
  gc::Config gcfg = gc::configFrom(options.gogc ? options.gogc->c_str() : std::getenv("GOGC"), r.godebug);
  gc::beginRun(gcfg, r.sched.gomaxprocs);
  int status = sched::start(r.sched, runMain, &main);
  gc::endRun();
  return status;
}

}  // namespace gort
