// One table is the source of every error code's number, name and retry bit: kCodes in
// protocol/src/error.cpp, read through to_string() and is_retryable(). Everything else that
// lists codes is held to it here, so they cannot drift apart again:
//   - docs/protocol.md section 8.3 (the normative table a vendor reads),
//   - docs/c-api.md section 3 (the C API's table),
//   - sdk/include/enlace/enlace.h (the ENLACE_ERR_* constants and their "retryable:" marks),
//   - protocol/include/enlace/error.hpp (the Errc enumerators and their "retryable:" marks).
// Every code, name and retry bit; none missing, none extra.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "enlace/error.hpp"

using namespace enlace;

namespace {

const std::filesystem::path kRoot = std::filesystem::path(__FILE__).parent_path() / ".." / "..";

struct Entry {
  std::string name;
  bool retryable = false;
};
using Table = std::map<int, Entry>;

std::string read(const std::filesystem::path& relative) {
  std::ifstream in(kRoot / relative);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// The code table itself, as the library answers for every possible code.
Table library_table(bool with_ok) {
  Table table;
  for (int code = with_ok ? 0 : 1; code <= 0xffff; ++code) {
    const auto errc = static_cast<Errc>(code);
    const std::string_view name = to_string(errc);
    if (name == "unknown_error") continue;
    table[code] = {std::string(name), is_retryable(errc)};
  }
  return table;
}

/// The text between the heading line starting with `heading` and the next heading.
std::string section(const std::string& text, const std::string& heading) {
  const auto start = text.find("\n" + heading);
  REQUIRE(start != std::string::npos);
  const auto body = text.find('\n', start + 1);
  auto end = text.find("\n#", body);
  return text.substr(body, end == std::string::npos ? std::string::npos : end - body);
}

/// Rows "| 106 | `hello_required` | yes | ..." of docs/protocol.md 8.3.
Table protocol_md_table() {
  const std::string text = section(read("docs/protocol.md"), "### 8.3 Codes");
  const std::regex row(R"(\n\| (\d+) \| `([a-z_]+)` \| (yes|no) \|)");
  Table table;
  for (std::sregex_iterator it(text.begin(), text.end(), row), end; it != end; ++it) {
    const int code = std::stoi((*it)[1]);
    CHECK(table.count(code) == 0);
    table[code] = {(*it)[2], (*it)[3] == "yes"};
  }
  return table;
}

/// Rows "| 106 | `ENLACE_ERR_HELLO_REQUIRED` | `hello_required` | yes | ..." of
/// docs/c-api.md section 3; the constant must spell the name.
Table c_api_md_table() {
  const std::string text = section(read("docs/c-api.md"), "## 3. Error codes");
  const std::regex row(
      R"(\n\| (\d+) \| `ENLACE_(?:ERR_)?([A-Z_]+)` \| `([a-z_]+)` \| *(yes)? *\|)");
  Table table;
  for (std::sregex_iterator it(text.begin(), text.end(), row), end; it != end; ++it) {
    const int code = std::stoi((*it)[1]);
    CHECK(table.count(code) == 0);
    CHECK(lower((*it)[2]) == (*it)[3]);
    table[code] = {(*it)[3], (*it)[4].matched};
  }
  return table;
}

/// Definitions `PREFIXNAME = 106, <comment up to the next definition>` in a C or C++
/// enum: the name in lower case, and whether the comment starts with "retryable:".
Table enum_table(const std::string& text, const std::string& enum_head, const std::string& prefix) {
  const auto start = text.find(enum_head);
  REQUIRE(start != std::string::npos);
  const auto end = text.find("};", start);
  const std::string body = text.substr(start, end - start);
  const std::regex definition(prefix + R"(([A-Za-z_]+) = (\d+),?)");
  Table table;
  std::sregex_iterator it(body.begin(), body.end(), definition), done;
  while (it != done) {
    const auto match = *it;
    const auto next = std::next(it);
    const auto comment_end =
        next == done ? body.size() : static_cast<std::size_t>(next->position());
    const std::string comment = body.substr(match.position() + match.length(),
                                            comment_end - match.position() - match.length());
    const auto mark = comment.find_first_not_of(" \t/*");
    const int code = std::stoi(match[2]);
    CHECK(table.count(code) == 0);
    table[code] = {lower(match[1]), comment.compare(mark, 10, "retryable:") == 0};
    it = next;
  }
  return table;
}

void check_same(const Table& expected, const Table& actual, const std::string& where) {
  for (const auto& [code, entry] : expected) {
    INFO(where << ": code " << code << " (" << entry.name << ")");
    const auto it = actual.find(code);
    CHECK(it != actual.end());  // missing
    if (it == actual.end()) continue;
    CHECK(it->second.name == entry.name);
    CHECK(it->second.retryable == entry.retryable);
  }
  for (const auto& [code, entry] : actual) {
    INFO(where << ": code " << code << " (" << entry.name << ") is not in the code table");
    CHECK(expected.count(code) == 1);  // extra
  }
}

}  // namespace

TEST_CASE("docs/protocol.md 8.3 lists exactly the codes of the code table", "[errors][table]") {
  const Table table = protocol_md_table();
  REQUIRE(table.size() > 20);
  check_same(library_table(false), table, "docs/protocol.md 8.3");
}

TEST_CASE("docs/c-api.md lists exactly the codes of the code table", "[errors][table]") {
  const Table table = c_api_md_table();
  REQUIRE(table.size() > 20);
  check_same(library_table(true), table, "docs/c-api.md 3");
}

TEST_CASE("enlace.h defines exactly the codes of the code table, retry marks included",
          "[errors][table]") {
  const Table table =
      enum_table(read("sdk/include/enlace/enlace.h"), "enum enlace_error {", "ENLACE_(?:ERR_)?");
  REQUIRE(table.size() > 20);
  check_same(library_table(true), table, "sdk/include/enlace/enlace.h");
}

TEST_CASE("error.hpp's Errc has exactly the codes of the code table, retry marks included",
          "[errors][table]") {
  const Table table =
      enum_table(read("protocol/include/enlace/error.hpp"), "enum class Errc", "\\b");
  REQUIRE(table.size() > 20);
  check_same(library_table(true), table, "protocol/include/enlace/error.hpp");
}

TEST_CASE("wire codes are those below 500, SDK codes those from 500", "[errors][table]") {
  for (const auto& [code, entry] : library_table(false)) {
    INFO(entry.name);
    CHECK(is_wire_code(static_cast<Errc>(code)) == (code < 500));
  }
}
