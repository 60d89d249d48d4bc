// Transparent hashing for string-keyed maps: look up by std::string_view without building
// a std::string (and so without allocating) on the message path.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace enlace::broker {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

}  // namespace enlace::broker
