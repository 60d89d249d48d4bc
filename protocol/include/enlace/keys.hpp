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

/// Reads `<base>.pub` and `<base>.key` and checks them before any connection is tried.
/// Fails with key_error, the reason naming the file and the defect:
///   - a file that cannot be opened, holds no key, or not a 40-character Z85 key;
///   - `<base>.key` accessible by group or others (any of the mode bits 077): refused as
///     ssh refuses such a private key, the reason giving the fix (`chmod 600 FILE`);
///   - `<base>.pub` holding a secret key, or `<base>.key` a public key (by the comment line
///     save_keypair writes);
///   - two keys that are not one pair (the public key derived from the secret differs).
ENLACE_API Result<KeyPair> load_keypair(const std::filesystem::path& base);

/// Reads a public key file (`.pub`): one Z85 key, surrounding whitespace ignored, lines
/// starting with '#' skipped. A secret key file (by its comment line, or a name ending in
/// `.key` without one) is refused with key_error: a secret never belongs where a public
/// key is asked for, e.g. as the broker's key.
ENLACE_API Result<std::string> load_public_key(const std::filesystem::path& file);

/// The public key of a Z85 secret key (Curve25519 scalar multiplication of the base
/// point); empty when `secret_key` is not a well-formed key.
ENLACE_API std::string public_key_of(const std::string& secret_key);

}  // namespace enlace
