// The key file format docs/protocol.md section 2 states (protocol/src/keys.cpp reads and
// writes it): what a vendor's tool must write for the SDK and the broker to read it.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "enlace/keys.hpp"

using namespace enlace;

namespace {

struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    char templ[] = "/tmp/enlace-keys-XXXXXX";
    REQUIRE(::mkdtemp(templ) != nullptr);
    dir = templ;
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name, std::ios::binary) << text;
    return dir / name;
  }
};

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

unsigned mode_of(const std::filesystem::path& file) {
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("keygen writes a comment line and the Z85 key, the secret readable by its owner only",
          "[keys]") {
  Scratch s;
  const KeyPair keys = generate_keypair();
  REQUIRE(save_keypair(keys, s.dir / "radar"));
  CHECK(read(s.dir / "radar.pub") == "# Enlace CURVE public key\n" + keys.public_key + "\n");
  CHECK(read(s.dir / "radar.key") ==
        "# Enlace CURVE secret key: keep private\n" + keys.secret_key + "\n");
  CHECK(mode_of(s.dir / "radar.pub") == 0644);
  CHECK(mode_of(s.dir / "radar.key") == 0600);
}

TEST_CASE("a key file's first line that is neither blank nor a comment holds the key", "[keys]") {
  Scratch s;
  const std::string key = generate_keypair().public_key;
  SECTION("comments, blank lines, surrounding blanks and CRLF line ends are skipped") {
    const auto file = s.write("a.pub",
                              "# made by acme-keytool 1.2\r\n\r\n   # indented comment\n"
                              "\t " +
                                  key + " \t\r\n");
    const auto loaded = load_public_key(file);
    REQUIRE(loaded);
    CHECK(*loaded == key);
  }
  SECTION("the key alone, without a final newline") {
    const auto loaded = load_public_key(s.write("b.pub", key));
    REQUIRE(loaded);
    CHECK(*loaded == key);
  }
  SECTION("lines after the key are ignored") {
    const auto loaded = load_public_key(s.write("c.pub", key + "\nnot a key at all\n"));
    REQUIRE(loaded);
    CHECK(*loaded == key);
  }
}

TEST_CASE("a key file without a well-formed key is a key_error naming the file", "[keys]") {
  Scratch s;
  const std::string key = generate_keypair().public_key;
  const auto refused = [&](const std::string& text) {
    const auto file = s.write("bad.pub", text);
    const auto loaded = load_public_key(file);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code == Errc::key_error);
    CHECK_THAT(loaded.error().reason, Catch::Contains(file.string()));
    return loaded.error().reason;
  };
  CHECK_THAT(refused(""), Catch::Contains("holds no key"));
  CHECK_THAT(refused("# only a comment\n\n"), Catch::Contains("holds no key"));
  CHECK_THAT(refused(key.substr(0, 39) + "\n"), Catch::Contains("40-character Z85"));
  CHECK_THAT(refused(key + "A\n"), Catch::Contains("40-character Z85"));
  CHECK_THAT(refused(key.substr(0, 39) + ",\n"), Catch::Contains("40-character Z85"));
  CHECK_THAT(refused("key = " + key + "\n"), Catch::Contains("40-character Z85"));
  // A comment must start its line: text before '#' makes the line the (malformed) key.
  CHECK_THAT(refused(key + " # radar\n"), Catch::Contains("40-character Z85"));
}
