// Result<T>: a value or an enlace::Error, for calls whose failure is an expected outcome
// (a refusal, a timeout, a full queue). Modelled on std::expected, which C++20 lacks.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "enlace/error.hpp"

namespace enlace {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(ErrorInfo error) : data_(std::move(error)) {
    assert(std::get<ErrorInfo>(data_).code != Errc::ok);
  }
  Result(Errc code, std::string reason) : Result(ErrorInfo{code, std::move(reason)}) {}

  bool ok() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const ErrorInfo& error() const { return std::get<1>(data_); }
  Errc code() const noexcept { return ok() ? Errc::ok : std::get<1>(data_).code; }

 private:
  std::variant<T, ErrorInfo> data_;
};

/// Result of a call that returns nothing on success.
struct Ok {};
using Status = Result<Ok>;

inline Status success() {
  return Ok{};
}

}  // namespace enlace
