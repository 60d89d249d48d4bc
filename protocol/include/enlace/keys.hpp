// CURVE key pairs (Curve25519, Z85-encoded as ZeroMQ expects them).
#pragma once

#include <filesystem>
#include <string>

#include "enlace/export.hpp"
#include "enlace/result.hpp"

namespace enlace {

struct KeyPair {
  std::string public_key;  // 40 Z85 characters
  std::string secret_key;  // 40 Z85 characters; keep it secret
};

/// A fresh key pair from the operating system's random source (libsodium).
ENLACE_API KeyPair generate_keypair();

/// Whether `z85` is a well-formed 40-character Z85 Curve25519 key.
ENLACE_API bool is_valid_key(std::string_view z85) noexcept;

/// Writes `<base>.pub` (mode 0644) and `<base>.key` (mode 0600, created with that mode so
/// the secret is never readable by others, not even briefly). Fails with key_error if a
/// file exists and `overwrite` is false.
ENLACE_API Status save_keypair(const KeyPair& keys, const std::filesystem::path& base,
                               bool overwrite = false);

/// Reads `<base>.pub` and `<base>.key`. Fails with key_error naming the file and defect.
ENLACE_API Result<KeyPair> load_keypair(const std::filesystem::path& base);

/// Reads a public key file (`.pub`): one Z85 key, surrounding whitespace ignored, lines
/// starting with '#' skipped.
ENLACE_API Result<std::string> load_public_key(const std::filesystem::path& file);

}  // namespace enlace
