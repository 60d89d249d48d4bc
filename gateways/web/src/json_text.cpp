#include "json_text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace enlace::web {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one
// (overlong forms, surrogates and code points beyond U+10FFFF are invalid).
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    code = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    code = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    code = b0 & 0x07u;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) return 0;
    code = (code << 6) | (byte(i + k) & 0x3Fu);
  }
  if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10FFFF ||
      (code >= 0xD800 && code <= 0xDFFF))
    return 0;
  return length;
}

}  // namespace

std::string quote(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_length(text, i);
      if (length == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':
      case '>':
      case '&':
        out += fmt::format("\\u{:04x}", c);
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

std::string number(double value) {
  if (!std::isfinite(value)) return "null";
  return fmt::format("{}", value);
}

void ObjectWriter::key(std::string_view name) {
  if (out_.size() > 1) out_ += ',';
  out_ += quote(name);
  out_ += ':';
}

ObjectWriter& ObjectWriter::raw(std::string_view name, std::string_view json) {
  key(name);
  out_ += json;
  return *this;
}

ObjectWriter& ObjectWriter::string(std::string_view name, std::string_view value) {
  return raw(name, quote(value));
}

ObjectWriter& ObjectWriter::optional_string(std::string_view name, std::string_view value) {
  return value.empty() ? *this : string(name, value);
}

ObjectWriter& ObjectWriter::integer(std::string_view name, std::int64_t value) {
  return raw(name, fmt::format("{}", value));
}

ObjectWriter& ObjectWriter::finite(std::string_view name, double value) {
  return std::isfinite(value) ? raw(name, number(value)) : *this;
}

ObjectWriter& ObjectWriter::boolean(std::string_view name, bool value) {
  return raw(name, value ? "true" : "false");
}

std::string ObjectWriter::finish() {
  out_ += '}';
  return std::move(out_);
}

}  // namespace enlace::web
