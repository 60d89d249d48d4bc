#include "common/counters.hpp"

#include <fmt/format.h>

namespace enlace::gateway {

void SourceCounters::count_type(std::string_view type) {
  for (auto& [name, count] : by_type) {
    if (name == type) {
      ++count;
      return;
    }
  }
  if (by_type.size() + 1 < kMaxTypes) {
    by_type.emplace_back(std::string(type), 1);
    return;
  }
  for (auto& [name, count] : by_type) {
    if (name == "other") {
      ++count;
      return;
    }
  }
  by_type.emplace_back("other", 1);
}

std::uint64_t SourceCounters::of_type(std::string_view type) const {
  for (const auto& [name, count] : by_type) {
    if (name == type) return count;
  }
  return 0;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += fmt::format("\\u{:04x}", byte);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string SourceCounters::to_json() const {
  std::string out = fmt::format("{{\"source\":{},\"lines\":{},\"published\":{},\"types\":{{",
                                json_string(source), lines, published);
  bool first = true;
  for (const auto& [name, count] : by_type) {
    out += fmt::format("{}{}:{}", first ? "" : ",", json_string(name), count);
    first = false;
  }
  out += "},\"rejects\":{";
  first = true;
  for (const Reject reason : all_rejects()) {
    if (rejected(reason) == 0) continue;
    out += fmt::format("{}\"{}\":{}", first ? "" : ",", to_string(reason), rejected(reason));
    first = false;
  }
  out += "}}";
  return out;
}

}  // namespace enlace::gateway
