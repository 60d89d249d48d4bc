#include "args.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace enlace::cli {

Args::Args(std::span<char* const> argv, std::span<const OptionSpec> options) {
  bool options_done = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string_view arg = argv[i];
    if (options_done || arg.size() < 2 || arg.substr(0, 1) != "-" || arg == "-") {
      positional_.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    std::string_view name;
    std::optional<std::string_view> inline_value;
    const OptionSpec* spec = nullptr;
    if (arg.substr(0, 2) != "--") {
      // -x, -xVALUE
      for (const OptionSpec& candidate : options) {
        if (candidate.short_name != 0 && candidate.short_name == arg[1]) spec = &candidate;
      }
      if (spec == nullptr) throw UsageError("unknown option '" + std::string(arg) + "'");
      name = spec->name;
      if (arg.size() > 2) {
        if (!spec->takes_value)
          throw UsageError("option '" + std::string(arg.substr(0, 2)) + "' takes no value");
        inline_value = arg.substr(2);
      }
    } else {
      name = arg.substr(2);
      if (const auto eq = name.find('='); eq != std::string_view::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      for (const OptionSpec& candidate : options) {
        if (candidate.name == name) spec = &candidate;
      }
      if (spec == nullptr) throw UsageError("unknown option '--" + std::string(name) + "'");
    }
    if (values_.contains(name))
      throw UsageError("option '--" + std::string(name) + "' given twice");
    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < argv.size()) {
        value = argv[++i];
      } else {
        throw UsageError("option '--" + std::string(name) + "' needs a value");
      }
    } else if (inline_value) {
      throw UsageError("option '--" + std::string(name) + "' takes no value");
    }
    values_.emplace(std::string(name), std::move(value));
  }
}

bool Args::has(std::string_view name) const {
  return values_.find(name) != values_.end();
}

std::optional<std::string> Args::value(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::required(std::string_view name) const {
  auto v = value(name);
  if (!v) throw UsageError("option '--" + std::string(name) + "' is required");
  return std::move(*v);
}

std::uint64_t parse_count(std::string_view text, std::string_view option) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    throw UsageError("--" + std::string(option) + " wants a whole number, not '" +
                     std::string(text) + "'");
  }
  return value;
}

std::chrono::milliseconds parse_seconds(std::string_view text, std::string_view option) {
  const std::string copy(text);
  char* end = nullptr;
  const double seconds = std::strtod(copy.c_str(), &end);
  // A week bounds every wait the tool makes, and keeps the conversion below in range.
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(seconds) || seconds < 0 ||
      seconds > 7 * 24 * 3600.0) {
    throw UsageError("--" + std::string(option) + " wants seconds (e.g. 2 or 0.5), not '" + copy +
                     "'");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

std::vector<std::string> split_list(std::string_view text, std::string_view option) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) {
      throw UsageError("--" + std::string(option) +
                       " wants a comma-separated list without empty items, not '" +
                       std::string(text) + "'");
    }
    items.emplace_back(item);
    start = comma + 1;
  }
  return items;
}

}  // namespace enlace::cli
