// Decoded<T>: what a decoder returns, a value or the reason it was rejected. Rejections
// are the ordinary outcome of hostile or broken input, so they are values, not exceptions,
// and cost no allocation.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/reject.hpp"

namespace enlace::gateway {

template <class T>
class [[nodiscard]] Decoded {
 public:
  Decoded(Reject reason) : data_(reason) {}  // NOLINT: implicit by design
  /// From anything T is made of, e.g. one alternative of a variant T.
  template <class U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, Reject>)
      Decoded(U&& value)  // NOLINT: implicit by design
      : data_(std::in_place_index<0>, std::forward<U>(value)) {}

  bool ok() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& operator*() { return std::get<0>(data_); }
  const T& operator*() const { return std::get<0>(data_); }
  T* operator->() { return &std::get<0>(data_); }
  const T* operator->() const { return &std::get<0>(data_); }
  Reject reject() const {
    assert(!ok());
    return std::get<1>(data_);
  }

 private:
  std::variant<T, Reject> data_;
};

}  // namespace enlace::gateway
