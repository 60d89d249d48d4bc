// Transparent hashing for string-keyed maps: look up by std::string_view without building
// a std::string (and so without allocating) on the message path.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace enlace::broker {

// FNV-1a: the keys are short (topic tokens, 5-byte routing ids), where a few instructions
// per byte beat std::hash's fixed cost; the routing thread hashes every token of every
// topic it routes.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    std::uint64_t hash = 14695981039346656037ULL;
    for (const unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
    return static_cast<std::size_t>(hash);
  }
};

template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

}  // namespace enlace::broker
