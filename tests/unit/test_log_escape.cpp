// The broker's log escaping (broker/src/log.hpp): what a peer writes can never become more
// than the text of one field on one line.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "log.hpp"

using enlace::broker::log::escaped;

TEST_CASE("escaped text keeps printable ASCII and writes every other byte as \\xHH", "[log]") {
  CHECK(fmt::format("{}", escaped("acme-radar/2.3 (build 7)")) == "acme-radar/2.3 (build 7)");
  CHECK(fmt::format("{}", escaped("a\nb\r\t\x1b[2J\x7f")) == "a\\x0ab\\x0d\\x09\\x1b[2J\\x7f");
  CHECK(fmt::format("{}", escaped(std::string_view("\0", 1))) == "\\x00");
  // UTF-8 is bytes outside ASCII: escaped too (C1 controls hide in two-byte sequences).
  CHECK(fmt::format("{}", escaped("Bogot\xc3\xa1")) == "Bogot\\xc3\\xa1");
}

TEST_CASE("escaped text escapes the quote and escape characters, so it is unambiguous", "[log]") {
  CHECK(fmt::format("'{}'", escaped("it's")) == "'it\\x27s'");
  CHECK(fmt::format("{}", escaped("\"\\x0a\"")) == "\\x22\\x5cx0a\\x22");
}

TEST_CASE("escaped text is cut at its limit and says how long it was", "[log]") {
  CHECK(fmt::format("{}", escaped("abcdef", 3)) == "abc...(6 bytes)");
  CHECK(fmt::format("{}", escaped("abc", 3)) == "abc");
  // The limit counts input bytes, not the escaped output.
  CHECK(fmt::format("{}", escaped("\n\n\n\n", 2)) == "\\x0a\\x0a...(4 bytes)");
  CHECK(fmt::format("{}", escaped(std::string(2000, 'x'))).size() ==
        enlace::broker::log::kMaxFieldBytes + std::string_view("...(2000 bytes)").size());
}

TEST_CASE("log calls escape every string argument, whatever its type", "[log]") {
  using enlace::broker::log::detail::logged;
  const std::string owned = "a\nb";
  const char* pointer = "c\nd";
  CHECK(fmt::format("{} {} {} {}", logged(owned), logged(pointer), logged(std::string_view("e\n")),
                    logged(42)) == "a\\x0ab c\\x0ad e\\x0a 42");
}
