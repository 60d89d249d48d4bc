#include "policy_syntax.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "enlace/topic.hpp"

namespace enlace::policy::detail {
namespace {

constexpr std::array<std::string_view, 6> kClassificationNames = {
    "UNMARKED", "UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP_SECRET"};

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (a[i - 1] != b[j - 1] ? 1 : 0);
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string topic_problem(std::string_view text, bool pattern) {
  if (text.empty()) return fmt::format("the {} is empty", pattern ? "pattern" : "topic");
  if (text.size() > topic::kMaxBytes) {
    return fmt::format("it is {} bytes long; the limit is {}", text.size(), topic::kMaxBytes);
  }
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const bool last = dot == std::string_view::npos;
    const std::string_view token = text.substr(start, last ? std::string_view::npos : dot - start);
    ++count;
    if (token.empty()) return "it has an empty token (a leading, trailing or doubled '.')";
    if (token == "*" || token == ">") {
      if (!pattern) return fmt::format("a topic may not hold the wildcard '{}'", token);
      if (token == ">" && !last) return "'>' may only be the last token";
    } else {
      for (const char c : token) {
        if (c == '*' || c == '>') {
          return "'*' and '>' are wildcards only as whole tokens (as in 'a.*.c' or 'a.>')";
        }
        if (c <= ' ' || c > '~') {
          return "tokens may hold only printable ASCII characters other than space";
        }
      }
    }
    if (last) break;
    start = dot + 1;
  }
  if (count > topic::kMaxTokens) {
    return fmt::format("it has {} tokens; the limit is {}", count, topic::kMaxTokens);
  }
  return {};
}

std::string printable(std::string_view text, std::size_t limit) {
  std::string out;
  out.reserve(std::min(text.size(), limit) + 3);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == limit) {
      out += "...";
      break;
    }
    const char c = text[i];
    if (c >= ' ' && c <= '~' && c != '\\') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::string_view classification_name(Classification level) noexcept {
  const auto index = static_cast<std::size_t>(level);
  return index < kClassificationNames.size() ? kClassificationNames[index] : "UNKNOWN";
}

std::optional<Classification> parse_classification(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kClassificationNames.size(); ++i) {
    const std::string_view candidate = kClassificationNames[i];
    const bool same = std::equal(name.begin(), name.end(), candidate.begin(), candidate.end(),
                                 [](char a, char b) {
                                   if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 'a' + 'A');
                                   return a == b;
                                 });
    if (same) return static_cast<Classification>(i);
  }
  return std::nullopt;
}

std::string_view file_name(std::string_view path) noexcept {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view closest_name(std::string_view word, std::span<const std::string_view> candidates) {
  std::string_view closest;
  std::size_t best = 3;  // suggest only names within two edits: further ones mislead
  for (const std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best) {
      best = distance;
      closest = candidate;
    }
  }
  return closest;
}

bool is_nation_code(std::string_view code) noexcept {
  return code.size() == 3 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool is_system_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.'))) return false;
  }
  return true;
}

std::string z85_problem(std::string_view key) {
  if (key.size() != 40) return fmt::format("it has {} characters, not 40", key.size());
  // Besides the alphabet, each 5-character group must encode a value below 2^32: 85^5 is
  // larger, and an overflowing group would not decode to the key its owner holds.
  for (std::size_t group = 0; group < key.size(); group += 5) {
    std::uint64_t value = 0;
    for (std::size_t i = group; i < group + 5; ++i) {
      const std::size_t digit = kZ85Alphabet.find(key[i]);
      if (digit == std::string_view::npos) {
        return fmt::format("character {} is not in the Z85 alphabet", i + 1);
      }
      value = value * 85 + digit;
    }
    if (value > 0xffffffffU) {
      return fmt::format("characters {}-{} do not encode 4 bytes", group + 1, group + 5);
    }
  }
  return {};
}

bool is_ed25519_base64(std::string_view text) noexcept {
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES + 1> bytes{};  // a longer key won't fit
  std::size_t length = 0;
  const char* end = nullptr;
  const int rc = sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr,
                                   &length, &end, sodium_base64_VARIANT_ORIGINAL);
  return rc == 0 && length == crypto_sign_PUBLICKEYBYTES && end == text.data() + text.size();
}

std::string sha256_hex(std::string_view text) {
  // sodium_init is idempotent and thread-safe; the static runs it once per process.
  static const int sodium_ready = sodium_init();
  if (sodium_ready < 0) throw std::runtime_error("libsodium failed to initialise");
  std::array<unsigned char, crypto_hash_sha256_BYTES> hash{};
  crypto_hash_sha256(hash.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), hash.data(), hash.size());
  return std::string(hex.data(), hex.size() - 1);
}

std::string expand_nation(std::string_view pattern, std::string_view code) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = pattern.find(kNationPlaceholder, start);
    if (at == std::string_view::npos) return out.append(pattern.substr(start));
    out.append(pattern.substr(start, at - start)).append(code);
    start = at + kNationPlaceholder.size();
  }
}

std::string_view bad_placeholder(std::string_view pattern, bool nation_allowed) noexcept {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '}') return pattern.substr(i, 1);
    if (pattern[i] != '{') continue;
    if (nation_allowed && pattern.substr(i, kNationPlaceholder.size()) == kNationPlaceholder) {
      i += kNationPlaceholder.size() - 1;
      continue;
    }
    const std::size_t close = pattern.find('}', i);
    return pattern.substr(i, close == std::string_view::npos ? 1 : close - i + 1);
  }
  return {};
}

}  // namespace enlace::policy::detail
