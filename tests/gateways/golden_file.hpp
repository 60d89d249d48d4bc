// Test support: compare a translation with its golden file, or rewrite the file under
// ENLACE_UPDATE_GOLDENS=1 (then review the diff). Shared by the gateways' golden tests.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace enlace::gateway::test {

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void check_golden(const std::filesystem::path& file, const std::string& actual) {
  const char* update = std::getenv("ENLACE_UPDATE_GOLDENS");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(file, std::ios::binary) << actual;
    return;
  }
  INFO("golden " << file.string());
  REQUIRE(std::filesystem::exists(file));
  CHECK(read_file(file) == actual);
}

}  // namespace enlace::gateway::test
