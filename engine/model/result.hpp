#pragma once
// Result<T, E>: a value or an error, standing in for std::expected (not in g++ 12's C++20).
// A Result must be checked: it is [[nodiscard]], and value() on an error is a programmer
// error caught by an always-on assertion.

#include <string>
#include <utility>
#include <variant>

#include "engine/model/check.hpp"

namespace rehearse {

// The error every layer uses unless it needs a richer one: a stable code and a message.
struct Error {
  std::string code;     // e.g. "NotFound", "Conflict", "E-YAML"
  std::string message;  // human text, no trailing newline
};

template <class E>
struct Unexpected {
  E error;
};
template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& e) {
  return {std::forward<E>(e)};
}
inline Unexpected<Error> fail(std::string code, std::string message) {
  return {Error{std::move(code), std::move(message)}};
}

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
  template <class G>
  Result(Unexpected<G> e) : v_(std::in_place_index<1>, E(std::move(e.error))) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    REHEARSE_CHECK(ok(), "Result::value() on an error");
    return std::get<0>(v_);
  }
  const T& value() const& {
    REHEARSE_CHECK(ok(), "Result::value() on an error");
    return std::get<0>(v_);
  }
  T&& value() && {
    REHEARSE_CHECK(ok(), "Result::value() on an error");
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const {
    REHEARSE_CHECK(!ok(), "Result::error() on a value");
    return std::get<1>(v_);
  }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <class G>
  Result(Unexpected<G> e) : err_(E(std::move(e.error))), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const {
    REHEARSE_CHECK(!ok_, "Result::error() on a value");
    return err_;
  }

 private:
  E err_{};
  bool ok_ = true;
};

}  // namespace rehearse
