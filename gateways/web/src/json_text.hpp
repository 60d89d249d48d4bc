// JSON text for browsers: string literals that stay valid UTF-8 and are safe to embed.
//
// Most strings the page shows come from publishers (names, descriptions, chat), so
// quote() never lets peer bytes break the JSON or the page: control bytes, quotes and
// backslashes are escaped, '<', '>' and '&' too (so the text is inert even if it ends
// up in markup), and bytes that are not valid UTF-8 become U+FFFD. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace enlace::web {

/// `text` as a JSON string literal, quotes included.
std::string quote(std::string_view text);

/// A finite number in shortest round-trip form; "null" for NaN and infinities.
std::string number(double value);

/// Builds one JSON object member by member, in the order they are added.
class ObjectWriter {
 public:
  ObjectWriter& raw(std::string_view key, std::string_view json);
  ObjectWriter& string(std::string_view key, std::string_view value);
  /// Leaves the member out when `value` is empty.
  ObjectWriter& optional_string(std::string_view key, std::string_view value);
  ObjectWriter& integer(std::string_view key, std::int64_t value);
  /// Leaves the member out when `value` is not finite (NaN means unknown on the wire).
  ObjectWriter& finite(std::string_view key, double value);
  ObjectWriter& boolean(std::string_view key, bool value);
  /// The object text; the writer is left empty.
  std::string finish();

 private:
  void key(std::string_view name);
  std::string out_ = "{";
};

}  // namespace enlace::web
