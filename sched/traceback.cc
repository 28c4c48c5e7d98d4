#include "sched/traceback.h"

#include <backtrace.h>
#include <cxxabi.h>
#include <unwind.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace gort::sched {
namespace {

backtrace_state* state() {
  static backtrace_state* st = backtrace_create_state(nullptr, /*threaded=*/1, nullptr, nullptr);
  return st;
}

std::string demangle(const char* name) {
  if (name == nullptr) return "";
  std::string s = name;
  if (name[0] == '_' && name[1] == 'Z') {
    int status = 0;
    char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    if (status == 0 && d != nullptr) s = d;
    std::free(d);
  }
  // Optimizer clones ("f() [clone .isra.0]") are the same function to a reader.
  size_t clone = s.find(" [clone ");
  if (clone != std::string::npos) s.erase(clone);
  return s;
}

struct Frame {
  std::string function;
  std::string file;
  int line = 0;
  uintptr_t symval = 0;  // function start, when known (for +0x offsets)
  bool runtime = false;
};

// Where gort's own sources live (set by CMake), to tell runtime frames from
// the program's by file, the way Go tells them by package.
#ifndef GORT_SOURCE_DIR
#define GORT_SOURCE_DIR "/nonexistent"
#endif

bool isRuntimeFile(const std::string& file) {
  static const std::string root = GORT_SOURCE_DIR;
  static const char* const kLayers[] = {"/sched/", "/gc/", "/maps/", "/runtime/"};
  if (file.rfind(root, 0) == 0) {
    for (const char* l : kLayers) {
      if (file.compare(root.size(), std::strlen(l), l) == 0) return true;
    }
    return false;
  }
  // The C++ library, Boost and libc headers.
  return file.rfind("/usr/include/", 0) == 0 || file.rfind("/usr/lib/", 0) == 0;
}

struct PcInfo {
  std::vector<Frame>* frames;
};

int onPcInfo(void* data, uintptr_t, const char* filename, int lineno, const char* function) {
  auto* info = static_cast<PcInfo*>(data);
  if (function == nullptr && filename == nullptr) return 0;
  info->frames->push_back(Frame{demangle(function), filename ? filename : "?", lineno, 0});
  return 0;
}

void onSymInfo(void* data, uintptr_t, const char* symname, uintptr_t symval, uintptr_t) {
  auto* f = static_cast<Frame*>(data);
  if (symname != nullptr && f->function.empty()) f->function = demangle(symname);
  f->symval = symval;
}

void onError(void*, const char*, int) {}

// Function, file and line for pc, inlined callers included (innermost
// first). libbacktrace is internally synchronized; this lock only keeps two
// concurrent tracebacks from interleaving their allocations of state.
std::vector<Frame> symbolize(uintptr_t pc) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lk(mu);
  std::vector<Frame> frames;
  PcInfo info{&frames};
  backtrace_pcinfo(state(), pc, onPcInfo, onError, &info);
  Frame sym;
  backtrace_syminfo(state(), pc, onSymInfo, onError, &sym);
  if (frames.empty()) {
    if (sym.function.empty()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(pc));
      sym.function = std::string("?? ") + buf;
    }
    sym.file = "?";
    sym.runtime = isRuntimeFunction(sym.function);
    frames.push_back(sym);
    return frames;
  }
  // DWARF names are unqualified ("operator()"); the symbol table has the
  // qualified name of the outermost (not inlined) function.
  Frame& outer = frames.back();
  outer.symval = sym.symval;
  if (!sym.function.empty()) outer.function = sym.function;
  for (Frame& f : frames) f.runtime = isRuntimeFile(f.file) || isRuntimeFunction(f.function);
  return frames;
}

struct UnwindState {
  std::vector<uintptr_t>* out;
  int skip;
};

_Unwind_Reason_Code onUnwind(_Unwind_Context* ctx, void* arg) {
  auto* st = static_cast<UnwindState*>(arg);
  uintptr_t pc = _Unwind_GetIP(ctx);
  if (pc == 0) return _URC_END_OF_STACK;
  if (st->skip > 0) {
    st->skip--;
    return _URC_NO_REASON;
  }
  st->out->push_back(pc);
  return st->out->size() >= kMaxTracebackFrames ? _URC_END_OF_STACK : _URC_NO_REASON;
}

// The name before the argument list, without a leading return type:
// "void gort::go<F>(F&&)" -> "gort::go<F>".
std::string qualifiedName(const std::string& fn) {
  int depth = 0;
  size_t end = fn.size();
  size_t start = 0;
  for (size_t i = 0; i < fn.size(); i++) {
    char c = fn[i];
    if (c == '<' || c == '{') depth++;
    if (c == '>' || c == '}') depth--;
    if (depth == 0 && c == '(' ) {
      // "(anonymous namespace)" is part of a name, not an argument list.
      if (fn.compare(i, 21, "(anonymous namespace)") == 0) {
        i += 20;
        continue;
      }
      end = i;
      break;
    }
    if (depth == 0 && c == ' ') start = i + 1;
  }
  if (start > end) start = 0;
  return fn.substr(start, end - start);
}

}  // namespace

void captureCurrentStack(std::vector<uintptr_t>* out, int skip) {
  UnwindState st{out, skip + 1};
  _Unwind_Backtrace(onUnwind, &st);
}

void captureFromFrame(uintptr_t pc, uintptr_t fp, const Stack& stack, std::vector<uintptr_t>* out) {
  auto lo = reinterpret_cast<uintptr_t>(stack.lo);
  uintptr_t hi = lo + stack.size;
  if (pc != 0) out->push_back(pc);
  while (out->size() < kMaxTracebackFrames) {
    if (fp < lo || fp + 16 > hi || (fp & 7) != 0) break;
    auto* frame = reinterpret_cast<const uintptr_t*>(fp);
    uintptr_t next = frame[0];
    uintptr_t ret = frame[1];
    if (ret == 0) break;
    out->push_back(ret);
    if (next <= fp) break;  // frames grow upwards towards the stack base
    fp = next;
  }
}

void captureSuspendedStack(const G* g, std::vector<uintptr_t>* out) {
  uintptr_t fp = 0, pc = 0;
  if (!g->started || !suspendedFrame(&g->ctx, &fp, &pc)) return;
  captureFromFrame(pc, fp, g->stack, out);
}

bool isRuntimeFunction(const std::string& fn) {
  if (fn.rfind("?? ", 0) == 0) return true;  // no symbol: a shared library's (libstdc++, libc)
  std::string q = qualifiedName(fn);
  static const char* const kPrefixes[] = {"gort::", "std::", "boost::", "__", "_start", "start_thread",
                                          "clone", "testing::", "?? ", "make_fcontext", "jump_fcontext",
                                          "ontop_fcontext"};
  for (const char* p : kPrefixes) {
    if (q.rfind(p, 0) == 0) return true;
  }
  return q.empty();
}

std::string functionName(uintptr_t pc) {
  // The innermost frame at pc.
  std::vector<Frame> fs = symbolize(pc);
  return fs.empty() ? "" : fs.front().function;
}

std::string formatStack(const std::vector<uintptr_t>& pcs, bool firstExact, int level) {
  std::string out;
  char buf[64];
  int shown = 0;
  for (size_t i = 0; i < pcs.size(); i++) {
    // A return address points after the call; look up the call itself.
    uintptr_t lookup = (i == 0 && firstExact) ? pcs[i] : pcs[i] - 1;
    std::vector<Frame> frames = symbolize(lookup);
    for (size_t j = 0; j < frames.size(); j++) {
      const Frame& f = frames[j];
      if (level < 2 && f.runtime) continue;
      out += f.function;
      if (f.function.find('(') == std::string::npos) out += "()";
      out += "\n\t";
      out += f.file;
      out += ":";
      out += std::to_string(f.line);
      if (j + 1 == frames.size() && f.symval != 0 && pcs[i] >= f.symval) {
        std::snprintf(buf, sizeof buf, " +0x%lx", static_cast<unsigned long>(pcs[i] - f.symval));
        out += buf;
      }
      out += "\n";
      shown++;
    }
  }
  if (pcs.size() >= kMaxTracebackFrames) out += "...additional frames elided...\n";
  (void)shown;
  return out;
}

std::string formatCreatedBy(const G* g, int level) {
  if (g->gopc == 0) return "";
  std::vector<Frame> frames = symbolize(g->gopc - 1);
  // The go statement belongs to the innermost function at that pc that is
  // not the runtime (the gort::go template itself is never inlined).
  for (const Frame& f : frames) {
    if (level < 2 && f.runtime) continue;
    std::string out = "created by " + f.function + "\n\t" + f.file + ":" + std::to_string(f.line);
    if (f.symval != 0 && g->gopc >= f.symval) {
      char buf[32];
      std::snprintf(buf, sizeof buf, " +0x%lx", static_cast<unsigned long>(g->gopc - f.symval));
      out += buf;
    }
    return out + "\n";
  }
  return "";
}

const char* statusWord(const G* g) {
  uint32_t s = g->status() & ~kGscan;
  switch (s) {
    case kGidle:
      return "idle";
    case kGrunnable:
      return "runnable";
    case kGrunning:
      return "running";
    case kGsyscall:
      return "syscall";
    case kGwaiting:
      return g->waitreason != WaitReason::Zero ? waitReasonString(g->waitreason) : "waiting";
    case kGdead:
      return "dead";
    default:
      return "???";
  }
}

std::string goroutineHeader(const G* g, const char* statusOverride) {
  std::string out = "goroutine " + std::to_string(g->goid) + " [";
  out += statusOverride != nullptr ? statusOverride : statusWord(g);
  out += "]:\n";
  return out;
}

}  // namespace gort::sched
