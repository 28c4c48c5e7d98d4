// Channels and select.
//
// Go:                                  gort:
//   ch := make(chan int, 3)              auto ch = gort::make_chan<int>(3);
//   ch <- 1                              ch.send(1);
//   v := <-ch                            int v = ch.recv();
//   v, ok := <-ch                        auto [v, ok] = ch.recv2();
//   close(ch)                            ch.close();
//   for v := range ch { ... }            for (int v : ch) { ... }
//   len(ch), cap(ch)                     ch.len(), ch.cap()
//   var ch chan int  // nil              gort::Chan<int> ch;
//
//   select {                             gort::select(
//   case v, ok := <-a: ...                 gort::recv(a, [&](int v, bool ok) { ... }),
//   case b <- 5: ...                       gort::send(b, 5, [&] { ... }),
//   default: ...                           gort::default_([&] { ... }));
//   }
//
// Semantics are Go's: an unbuffered send waits for a receiver; a receive
// from a closed, empty channel yields the zero value with ok == false;
// sending on a nil channel or receiving from one blocks forever; select
// picks uniformly among ready cases. Misuse panics with Go's messages:
// `send on closed channel`, `close of closed channel`, `close of nil
// channel`, `makechan: size out of range`.
//
// A Chan is a reference: copies share the channel. Elements are C++ values
// and need a default constructor (the zero value) and a move constructor.
#pragma once

#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "gort/detail/hchan.h"

namespace gort {

template <class T>
struct Received {
  T value;
  bool ok;
};

template <class T>
class Chan {
 public:
  Chan() = default;  // nil
  Chan(const Chan& o) : c_(o.c_) {
    if (c_) detail::chanRetain(c_);
  }
  Chan(Chan&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  Chan& operator=(Chan o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~Chan() {
    if (c_) detail::chanRelease(c_);
  }

  void send(T v) const { detail::chansend(c_, &v, true); }

  T recv() const { return recv2().value; }

  Received<T> recv2() const {
    alignas(T) unsigned char buf[sizeof(T)];
    detail::RecvResult r = detail::chanrecv(c_, buf, true);
    T* p = std::launder(reinterpret_cast<T*>(buf));
    Received<T> out{std::move(*p), r.received};
    p->~T();
    return out;
  }

  void close() const { detail::closechan(c_); }
  int len() const { return c_ ? detail::chanlen(c_) : 0; }
  int cap() const { return c_ ? detail::chancap(c_) : 0; }
  explicit operator bool() const { return c_ != nullptr; }
  friend bool operator==(const Chan& a, const Chan& b) { return a.c_ == b.c_; }

  // for (T v : ch): receives until the channel is closed and drained.
  class iterator {
   public:
    explicit iterator(const Chan* ch) : ch_(ch) { advance(); }
    iterator() = default;
    T& operator*() { return cur_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    bool operator!=(const iterator& o) const { return ch_ != o.ch_; }

   private:
    void advance() {
      Received<T> r = ch_->recv2();
      if (!r.ok) {
        ch_ = nullptr;
        return;
      }
      cur_ = std::move(r.value);
    }
    const Chan* ch_ = nullptr;
    T cur_{};
  };
  iterator begin() const { return iterator(this); }
  iterator end() const { return iterator(); }

  detail::hchan* raw() const { return c_; }

 private:
  template <class U>
  friend Chan<U> make_chan(int64_t);
  explicit Chan(detail::hchan* c) : c_(c) {}
  detail::hchan* c_ = nullptr;
};

template <class T>
Chan<T> make_chan(int64_t capacity = 0) {
  static_assert(std::is_default_constructible_v<T>, "channel elements need a zero value");
  static_assert(std::is_move_constructible_v<T>, "channel elements must be movable");
  return Chan<T>(detail::makechan(detail::elemOpsFor<T>(), capacity));
}

// ---------------------------------------------------------------------------
// select

namespace detail {

template <class T, class F>
struct RecvCase {
  const Chan<T>* ch;
  F fn;
  static constexpr bool isDefault = false;
  alignas(T) unsigned char buf[sizeof(T)];
  SelectCase make() { return SelectCase{ch->raw(), false, buf}; }
  void run(bool ok) {
    T* p = std::launder(reinterpret_cast<T*>(buf));
    // Destroyed even when fn panics.
    struct Destroy {
      T* p;
      ~Destroy() { p->~T(); }
    } destroy{p};
    if constexpr (std::is_invocable_v<F&, T&&, bool>) {
      fn(std::move(*p), ok);
    } else if constexpr (std::is_invocable_v<F&, T&&>) {
      fn(std::move(*p));
    } else {
      fn();
    }
  }
  void discard() {}
};

template <class T, class F>
struct SendCase {
  const Chan<T>* ch;
  T value;
  F fn;
  static constexpr bool isDefault = false;
  SelectCase make() { return SelectCase{ch->raw(), true, &value}; }
  void run(bool) { fn(); }
};

template <class F>
struct DefaultCase {
  F fn;
  static constexpr bool isDefault = true;
  void run(bool) { fn(); }
};

template <class... Cs>
void runSelect(Cs&... cs) {
  constexpr int n = static_cast<int>(sizeof...(Cs));
  constexpr int ndefault = (0 + ... + (Cs::isDefault ? 1 : 0));
  static_assert(ndefault <= 1, "select has more than one default case");
  SelectCase arr[n > 0 ? n : 1];
  int idx[n > 0 ? n : 1];  // position in arr -> position in cs
  int k = 0;
  [[maybe_unused]] int pos = 0;  // unused by a select with no cases
  (
      [&](auto& c) {
        if constexpr (!std::decay_t<decltype(c)>::isDefault) {
          idx[k] = pos;
          arr[k++] = c.make();
        }
        pos++;
      }(cs),
      ...);
  SelectResult r = selectgo(arr, k, ndefault == 1);
  [[maybe_unused]] int target = -1;
  if (r.index >= 0) target = idx[r.index];
  pos = 0;
  (
      [&](auto& c) {
        bool mine = std::decay_t<decltype(c)>::isDefault ? r.index < 0 : pos == target;
        if (mine) c.run(r.recvOK);
        pos++;
      }(cs),
      ...);
}

}  // namespace detail

// case v, ok := <-ch: fn may take (T v, bool ok), (T v) or ().
template <class T, class F>
detail::RecvCase<T, std::decay_t<F>> recv(const Chan<T>& ch, F&& fn) {
  return detail::RecvCase<T, std::decay_t<F>>{&ch, std::forward<F>(fn), {}};
}
// case ch <- v:
template <class T, class U, class F>
detail::SendCase<T, std::decay_t<F>> send(const Chan<T>& ch, U&& v, F&& fn) {
  return detail::SendCase<T, std::decay_t<F>>{&ch, T(std::forward<U>(v)), std::forward<F>(fn)};
}
// default:
template <class F>
detail::DefaultCase<std::decay_t<F>> default_(F&& fn) {
  return detail::DefaultCase<std::decay_t<F>>{std::forward<F>(fn)};
}

// select { cases... }. With no cases it blocks forever, as `select {}`.
template <class... Cs>
void select(Cs&&... cs) {
  detail::runSelect(cs...);
}

}  // namespace gort
