// Panic values, deferred calls and recover (see gort/panic.h).

#include "gort/panic.h"

#include <cxxabi.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "sched/sched.h"
#include "sched/traceback.h"

namespace gort {

namespace sched {
// The panic a goroutine's deferred calls are running for; recover() takes
// it. Nested gort::func frames chain their records.
struct PanicRecord {
  Panic* panic;
  bool recovered;
  PanicRecord* link;
};
}  // namespace sched

namespace {

thread_local sched::PanicRecord* tOffGoroutineRecord = nullptr;

sched::PanicRecord*& currentRecord() {
  sched::G* g = sched::running() ? sched::getg() : nullptr;
  return g != nullptr ? g->panicking : tOffGoroutineRecord;
}

std::string demangled(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string s = (status == 0 && d != nullptr) ? d : name;
  std::free(d);
  return s;
}

}  // namespace

Panic Panic::runtime(std::string msg, bool runtimeError) {
  Panic p;
  p.runtimeError_ = runtimeError;
  p.message_ = runtimeError ? "runtime error: " + msg : msg;
  p.value_ = p.message_;
  return p;
}

// Go's runtime print of a float64 (print.go printfloat): sign, one digit,
// six decimals, and a signed three-digit exponent: +1.500000e+000.
std::string Panic::describeFloat(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.6e", d);
  char* e = std::strchr(buf, 'e');
  if (e == nullptr) return buf;
  int exp = std::atoi(e + 1);
  char out[80];
  std::snprintf(out, sizeof out, "%.*se%c%03d", static_cast<int>(e - buf), buf, exp < 0 ? '-' : '+',
                exp < 0 ? -exp : exp);
  return out;
}

std::string Panic::describeOther(const std::type_info& t, const void* addr) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", addr);
  return "(" + demangled(t.name()) + ") " + buf;
}

void Panic::captureStack() {
  stack_.clear();
  sched::captureCurrentStack(&stack_, 1);
}

void Panic::replace(const Panic& earlier, bool recovered) {
  std::vector<std::string> chain = earlier.replaced_;
  chain.push_back(earlier.message_ + (recovered ? " [recovered]" : ""));
  replaced_ = std::move(chain);
}

void panic(const char* s) {
  Panic p{std::string(s)};
  p.captureStack();
  throw p;
}

std::optional<Panic> recover() {
  sched::PanicRecord* r = currentRecord();
  if (r == nullptr || r->panic == nullptr || r->recovered) return std::nullopt;
  r->recovered = true;
  return *r->panic;
}

void Goexit() { throw detail::GoexitUnwind{}; }

namespace detail {

DeferFrame::~DeferFrame() = default;

bool DeferFrame::run(Panic* inFlight) {
  // A deferred call that panics while none is in flight starts one; the
  // remaining deferred calls run for it and may recover it.
  std::optional<Panic> own;
  sched::PanicRecord rec{inFlight, false, currentRecord()};
  currentRecord() = &rec;
  struct Restore {
    sched::PanicRecord* link;
    ~Restore() { currentRecord() = link; }
  } restore{rec.link};
  while (!calls_.empty()) {
    std::function<void()> f = std::move(calls_.back());
    calls_.pop_back();
    std::optional<Panic> raised;
    try {
      f();
    } catch (Panic& p) {
      raised.emplace(std::move(p));
    } catch (ForcedUnwind&) {
      throw;
    } catch (GoexitUnwind&) {
      throw;
    } catch (...) {
      raised.emplace(toPanic(std::current_exception()));
    }
    if (raised) {
      // The new panic replaces the one in flight (recovered or not).
      if (inFlight != nullptr) {
        raised->replace(*inFlight, rec.recovered);
        *inFlight = std::move(*raised);
      } else {
        own.emplace(std::move(*raised));
        inFlight = &*own;
      }
      rec.panic = inFlight;
      rec.recovered = false;
    }
  }
  if (own && !rec.recovered) throw std::move(*own);
  return inFlight != nullptr && rec.recovered;
}

void throwRuntimePanic(std::string msg, bool runtimeError) {
  Panic p = Panic::runtime(std::move(msg), runtimeError);
  p.captureStack();
  throw p;
}

Panic toPanic(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    Panic p{demangled(typeid(x).name()) + ": " + x.what()};
    return p;
  } catch (...) {
    return Panic{std::string("unknown C++ exception")};
  }
}

}  // namespace detail
}  // namespace gort
