// Panics, defer and recover.
//
// Go:                                   gort:
//
//   func f() (err error) {                auto f() {
//     defer func() {                        return gort::func([&](gort::Defer& defer) {
//       if r := recover(); r != nil {         defer([&] {
//         ...                                   if (auto r = gort::recover()) { ... }
//       }                                     });
//     }()                                     gort::panic("boom");
//     panic("boom")                         });
//   }                                     }
//
// A panic is a C++ exception (gort::Panic). gort::func gives a body Go's
// function-frame semantics: its deferred calls run last-in first-out when the
// body returns or panics, and a deferred call that calls gort::recover()
// stops the panic, after which gort::func returns normally (with a
// value-initialised result). A panic that no deferred call recovers ends the
// program the way Go's does: `panic: <value>`, the goroutine's traceback,
// exit status 2.
//
// Any other C++ exception that reaches a gort::func is treated as a panic
// whose value is the exception (its what() is printed), so it can be
// recovered too.
#pragma once

#include <any>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace gort {

// Go's `error` interface, for values that panic(err) should print by their
// Error() text.
class error {
 public:
  virtual ~error() = default;
  virtual std::string Error() const = 0;
};

class Panic : public std::exception {
 public:
  // How Go's printpanicval prints v: strings as themselves, numbers and bools
  // in Go's print format, errors and exceptions by their text, anything else
  // as "(Type) 0xADDR".
  template <class T>
  explicit Panic(T v) : message_(describe(v)), value_(std::move(v)) {}

  // A runtime error as Go raises it: "runtime error: " + msg when
  // runtimeError (errorString), msg alone otherwise (plainError).
  static Panic runtime(std::string msg, bool runtimeError);

  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& message() const { return message_; }
  const std::any& value() const { return value_; }
  bool isRuntimeError() const { return runtimeError_; }

  // Return addresses of the stack that panicked, innermost first.
  const std::vector<uintptr_t>& stack() const { return stack_; }
  void captureStack();

  // The panics this one replaced (raised by a deferred call while they were
  // in flight), oldest first, as Go prints them: "first" or
  // "first [recovered]".
  const std::vector<std::string>& replaced() const { return replaced_; }
  void replace(const Panic& earlier, bool recovered);

 private:
  Panic() = default;
  template <class T>
  static std::string describe(const T& v);
  static std::string describeFloat(double d);
  static std::string describeOther(const std::type_info& t, const void* addr);

  std::string message_;
  std::any value_;
  bool runtimeError_ = false;
  std::vector<uintptr_t> stack_;
  std::vector<std::string> replaced_;
};

template <class T>
std::string Panic::describe(const T& v) {
  using D = std::decay_t<T>;
  if constexpr (std::is_same_v<D, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_integral_v<D>) {
    return std::to_string(v);
  } else if constexpr (std::is_floating_point_v<D>) {
    return describeFloat(static_cast<double>(v));
  } else if constexpr (std::is_convertible_v<const D&, std::string>) {
    return std::string(v);
  } else if constexpr (std::is_base_of_v<error, D>) {
    return v.Error();
  } else if constexpr (std::is_base_of_v<std::exception, D>) {
    return v.what();
  } else {
    return describeOther(typeid(D), &v);
  }
}

// panic(v): raises a Go panic carrying v. Never returns.
template <class T>
[[noreturn]] [[gnu::noinline]] void panic(T v) {
  Panic p(std::move(v));
  p.captureStack();
  throw p;
}
[[noreturn]] void panic(const char* s);

// Inside a deferred call while this goroutine panics: stops the panic and
// returns it. Anywhere else (or a second time): returns nothing, as Go's
// recover returns nil.
std::optional<Panic> recover();

// Goexit: runs the goroutine's deferred calls and ends it. It is not a
// panic; recover() does not see it.
[[noreturn]] void Goexit();

namespace detail {
// Unwinds a goroutine for Goexit and at shutdown; deliberately not derived
// from std::exception so that catch (std::exception&) in user code lets it
// pass. User code must not swallow it with catch (...) without rethrowing.
struct GoexitUnwind {};
struct ForcedUnwind {};

class DeferFrame {
 public:
  DeferFrame() = default;
  DeferFrame(const DeferFrame&) = delete;
  DeferFrame& operator=(const DeferFrame&) = delete;
  ~DeferFrame();

  void push(std::function<void()> f) { calls_.push_back(std::move(f)); }
  // Runs the deferred calls in LIFO order. With a panic in flight, returns
  // true when one of them recovered it (a panic raised by a deferred call
  // replaces the one in flight, as in Go).
  bool run(Panic* inFlight);
  void runNormally() { run(nullptr); }

 private:
  std::vector<std::function<void()>> calls_;
};
Panic toPanic(std::exception_ptr e);
// Raises a panic the runtime detected (Panic::runtime), with its stack.
[[noreturn]] void throwRuntimePanic(std::string msg, bool runtimeError);
}  // namespace detail

// The `defer` handle given to a gort::func body.
class Defer {
 public:
  explicit Defer(detail::DeferFrame* f) : frame_(f) {}
  template <class F>
  void operator()(F&& f) {
    frame_->push(std::function<void()>(std::forward<F>(f)));
  }

 private:
  detail::DeferFrame* frame_;
};

// Runs body(defer) with Go function-frame semantics (see the top of this
// file). Returns body's result, or a value-initialised result after a
// recovered panic.
template <class F>
auto func(F&& body) -> std::invoke_result_t<F, Defer&> {
  using R = std::invoke_result_t<F, Defer&>;
  detail::DeferFrame frame;
  Defer defer(&frame);
  std::optional<Panic> inFlight;
  bool goexit = false;
  // Deferred calls run outside the catch blocks: they may block, and a
  // goroutine that switches away should not be inside a handler.
  try {
    if constexpr (std::is_void_v<R>) {
      body(defer);
    } else {
      R r = body(defer);
      frame.runNormally();
      return r;
    }
  } catch (detail::ForcedUnwind&) {
    throw;
  } catch (detail::GoexitUnwind&) {
    goexit = true;
  } catch (Panic& p) {
    inFlight.emplace(std::move(p));
  } catch (...) {
    inFlight.emplace(detail::toPanic(std::current_exception()));
  }
  if (goexit) {
    frame.runNormally();
    throw detail::GoexitUnwind{};
  }
  if (!inFlight) {
    frame.runNormally();  // a void body that returned
    if constexpr (std::is_void_v<R>) {
      return;
    } else {
      return R{};  // unreachable: a non-void body returns above
    }
  }
  if (!frame.run(&*inFlight)) throw std::move(*inFlight);
  if constexpr (!std::is_void_v<R>) return R{};
}

}  // namespace gort
