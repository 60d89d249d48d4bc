#include "enlace/keys.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstdio>
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

// What a key file's comments say it holds: the lines save_keypair writes, or nothing.
enum class Kind { unknown, public_key, secret_key };

struct KeyFile {
  std::string key;
  Kind kind = Kind::unknown;
};

Result<KeyFile> read_key_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return key_error(file, "cannot open");
  KeyFile read;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    if (line[first] == '#') {
      if (line.find("secret key") != std::string::npos) read.kind = Kind::secret_key;
      if (line.find("public key") != std::string::npos) read.kind = Kind::public_key;
      continue;
    }
    const auto last = line.find_last_not_of(" \t\r");
    read.key = line.substr(first, last - first + 1);
    if (!is_valid_key(read.key)) return key_error(file, "not a 40-character Z85 CURVE key");
    // A file without the comment is judged by its name, as keygen names the two.
    if (read.kind == Kind::unknown && file.extension() == ".key") read.kind = Kind::secret_key;
    return read;
  }
  return key_error(file, "holds no key");
}

std::array<std::uint8_t, kRawKeyLength> raw_key(const std::string& z85_key) {
  std::array<std::uint8_t, kRawKeyLength> raw{};
  zmq_z85_decode(raw.data(), z85_key.c_str());
  return raw;
}

// ssh's rule for private keys: a secret anyone but its owner can read (or write) is
// refused, so that a copy with a careless mode is noticed before it leaks further.
Status check_private(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return key_error(file, std::strerror(errno));
  const unsigned mode = info.st_mode & 0777;
  if ((mode & 0077) == 0) return success();
  char octal[8];
  std::snprintf(octal, sizeof(octal), "%04o", mode);
  return key_error(file, std::string("secret key file is accessible by group or others (mode ") +
                             octal + "); refused. Fix: chmod 600 " + file.string());
}

}  // namespace

std::string public_key_of(const std::string& secret_key) {
  if (!is_valid_key(secret_key)) return {};
  if (sodium_init() < 0) throw std::runtime_error("libsodium initialisation failed");
  auto secret = raw_key(secret_key);
  std::array<std::uint8_t, kRawKeyLength> derived{};
  static_assert(crypto_scalarmult_BYTES == kRawKeyLength);
  const int rc = crypto_scalarmult_base(derived.data(), secret.data());
  sodium_memzero(secret.data(), secret.size());
  return rc == 0 ? z85(derived.data()) : std::string();
}

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
  if ((base.extension() == ".pub" || base.extension() == ".key") && !std::filesystem::exists(pub)) {
    return key_error(pub, "cannot open (a key pair is named by its BASE, without .pub or .key: " +
                              base.parent_path().string() + (base.has_parent_path() ? "/" : "") +
                              base.stem().string() + ")");
  }
  auto public_key = read_key_file(pub);
  if (!public_key) return public_key.error();
  if (public_key->kind == Kind::secret_key)
    return key_error(pub, "holds a secret key, not the public key of the pair");
  if (auto s = check_private(key); !s && std::filesystem::exists(key)) return s.error();
  auto secret_key = read_key_file(key);
  if (!secret_key) return secret_key.error();
  if (secret_key->kind == Kind::public_key)
    return key_error(key, "holds a public key where the secret key belongs");
  if (public_key_of(secret_key->key) != public_key->key) {
    return key_error(base, "the public key " + pub.string() + " and the secret key " +
                               key.string() +
                               " are not one key pair: the secret key's public key is " +
                               public_key_of(secret_key->key));
  }
  return KeyPair{std::move(public_key->key), std::move(secret_key->key)};
}

Result<std::string> load_public_key(const std::filesystem::path& file) {
  auto read = read_key_file(file);
  if (!read) return read.error();
  if (read->kind == Kind::secret_key) {
    return key_error(file,
                     "holds a secret key where a public key belongs: give the public key file "
                     "(BASE.pub), and keep the secret key off the command line and other hosts");
  }
  return std::move(read->key);
}

}  // namespace enlace
