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

// Key hygiene (docs/cli.md, "Key files"): what load_keypair and load_public_key refuse
// before any connection is tried, each with its own reason.

TEST_CASE("a secret key file accessible by group or others is refused, naming the fix", "[keys]") {
  Scratch s;
  REQUIRE(save_keypair(generate_keypair(), s.dir / "radar"));
  const auto secret = s.dir / "radar.key";
  for (const mode_t mode : {0640, 0604, 0644, 0660, 0700 | 0001}) {
    REQUIRE(::chmod(secret.c_str(), mode) == 0);
    const auto loaded = load_keypair(s.dir / "radar");
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code == Errc::key_error);
    CHECK_THAT(loaded.error().reason, Catch::Contains("accessible by group or others") &&
                                          Catch::Contains("chmod 600 " + secret.string()));
  }
  REQUIRE(::chmod(secret.c_str(), 0400) == 0);
  CHECK(load_keypair(s.dir / "radar"));
}

TEST_CASE("a secret key where a public key belongs, and the reverse, each have their reason",
          "[keys]") {
  Scratch s;
  const KeyPair keys = generate_keypair();
  REQUIRE(save_keypair(keys, s.dir / "broker"));
  SECTION("the secret key file given as a public key") {
    const auto loaded = load_public_key(s.dir / "broker.key");
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code == Errc::key_error);
    CHECK_THAT(loaded.error().reason, Catch::Contains("holds a secret key where a public key "
                                                      "belongs"));
  }
  SECTION("a file without comments named .key is taken for a secret key") {
    const auto loaded = load_public_key(s.write("bare.key", keys.public_key + "\n"));
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.error().reason, Catch::Contains("holds a secret key"));
  }
  SECTION("a public key file where the secret key belongs") {
    std::filesystem::copy_file(s.dir / "broker.pub", s.dir / "broker.key",
                               std::filesystem::copy_options::overwrite_existing);
    REQUIRE(::chmod((s.dir / "broker.key").c_str(), 0600) == 0);
    const auto loaded = load_keypair(s.dir / "broker");
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.error().reason,
               Catch::Contains("broker.key") &&
                   Catch::Contains("holds a public key where the secret key belongs"));
  }
  SECTION("a secret key in the .pub file") {
    std::filesystem::copy_file(s.dir / "broker.key", s.dir / "broker.pub",
                               std::filesystem::copy_options::overwrite_existing);
    const auto loaded = load_keypair(s.dir / "broker");
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.error().reason, Catch::Contains("broker.pub") &&
                                          Catch::Contains("holds a secret key, not the public"));
  }
  SECTION("a BASE given with its .pub suffix gets a hint") {
    const auto loaded = load_keypair(s.dir / "broker.pub");
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.error().reason, Catch::Contains("without .pub or .key"));
  }
}

TEST_CASE("a .pub and a .key that are not one pair are refused at load", "[keys]") {
  Scratch s;
  const KeyPair mine = generate_keypair();
  const KeyPair other = generate_keypair();
  CHECK(public_key_of(mine.secret_key) == mine.public_key);
  CHECK(public_key_of("not a key").empty());
  REQUIRE(save_keypair({other.public_key, mine.secret_key}, s.dir / "radar"));
  const auto loaded = load_keypair(s.dir / "radar");
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code == Errc::key_error);
  CHECK_THAT(loaded.error().reason,
             Catch::Contains("are not one key pair") && Catch::Contains(mine.public_key));
}
