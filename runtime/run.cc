// gort::run: resolve the options, start every layer, run main.

#include "gort/run.h"

#include "runtime/options.h"
#include "sched/sched.h"

namespace gort {
namespace {

void runMain(void* arg) { (*static_cast<std::function<void()>*>(arg))(); }

}  // namespace

int run(const Options& options, std::function<void()> main) {
  runtime::Resolved r = runtime::resolve(options);
  return sched::start(r.sched, runMain, &main);
}

}  // namespace gort
