#include "enlace/keys.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace enlace {
namespace {

constexpr std::size_t kZ85KeyLength = 40;
constexpr std::size_t kRawKeyLength = 32;

std::string z85(const unsigned char* raw) {
  std::array<char, kZ85KeyLength + 1> text{};
  if (zmq_z85_encode(text.data(), raw, kRawKeyLength) == nullptr) {
    throw std::runtime_error("Z85 encoding failed");
  }
  return std::string(text.data(), kZ85KeyLength);
}

ErrorInfo key_error(const std::filesystem::path& file, std::string_view what) {
  return {Errc::key_error, file.string() + ": " + std::string(what)};
}

// Writes `text` to `file`, creating it with `mode` so it is never more readable than that.
Status write_file(const std::filesystem::path& file, const std::string& text, mode_t mode,
                  bool overwrite) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  const int fd = ::open(file.c_str(), flags, mode);
  if (fd < 0) return key_error(file, std::strerror(errno));
  // An existing file keeps its old mode through O_TRUNC; force ours.
  ::fchmod(fd, mode);
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const ErrorInfo error = key_error(file, std::strerror(errno));
      ::close(fd);
      return error;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return key_error(file, std::strerror(errno));
  return success();
}

Result<std::string> read_key_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return key_error(file, "cannot open");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t\r");
    std::string key = line.substr(first, last - first + 1);
    if (!is_valid_key(key)) return key_error(file, "not a 40-character Z85 CURVE key");
    return key;
  }
  return key_error(file, "holds no key");
}

}  // namespace

KeyPair generate_keypair() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium initialisation failed");
  unsigned char public_key[crypto_box_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_box_SECRETKEYBYTES];
  static_assert(sizeof(public_key) == kRawKeyLength && sizeof(secret_key) == kRawKeyLength);
  crypto_box_keypair(public_key, secret_key);
  KeyPair keys{z85(public_key), z85(secret_key)};
  sodium_memzero(secret_key, sizeof(secret_key));
  return keys;
}

bool is_valid_key(std::string_view text) noexcept {
  if (text.size() != kZ85KeyLength) return false;
  std::array<char, kZ85KeyLength + 1> z{};
  std::memcpy(z.data(), text.data(), kZ85KeyLength);
  std::array<std::uint8_t, kRawKeyLength> raw{};
  return zmq_z85_decode(raw.data(), z.data()) != nullptr;
}

Status save_keypair(const KeyPair& keys, const std::filesystem::path& base, bool overwrite) {
  if (!is_valid_key(keys.public_key) || !is_valid_key(keys.secret_key)) {
    return ErrorInfo{Errc::invalid_argument, "key pair is not two 40-character Z85 keys"};
  }
  std::filesystem::path pub = base, key = base;
  pub += ".pub";
  key += ".key";
  // Check both before writing either: a refusal must not leave a new secret key beside an
  // old public key.
  if (!overwrite) {
    for (const auto& file : {key, pub}) {
      if (std::filesystem::exists(file)) return key_error(file, "exists (not overwritten)");
    }
  }
  // The secret first: if it cannot be written, no orphan public key is left behind.
  if (auto s = write_file(key, "# Enlace CURVE secret key: keep private\n" + keys.secret_key + "\n",
                          0600, overwrite);
      !s) {
    return s;
  }
  return write_file(pub, "# Enlace CURVE public key\n" + keys.public_key + "\n", 0644, overwrite);
}

Result<KeyPair> load_keypair(const std::filesystem::path& base) {
  std::filesystem::path pub = base, key = base;
  pub += ".pub";
  key += ".key";
  auto public_key = read_key_file(pub);
  if (!public_key) return public_key.error();
  auto secret_key = read_key_file(key);
  if (!secret_key) return secret_key.error();
  return KeyPair{std::move(*public_key), std::move(*secret_key)};
}

Result<std::string> load_public_key(const std::filesystem::path& file) {
  return read_key_file(file);
}

}  // namespace enlace
