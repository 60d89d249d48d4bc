// FlatBuffers reads fields in place, and Enlace's bodies hold 64-bit fields: a body must
// start 8-byte aligned. ZeroMQ keeps frames of up to 33 bytes inline in the message
// object, and a caller's buffer may sit anywhere, so every receiver checks and, for the
// rare unaligned frame, reads from an aligned copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "enlace/protocol/frame.hpp"

namespace enlace::protocol {

/// `bytes` itself when it starts 8-byte aligned; otherwise a copy of it in `scratch`
/// (resized as needed, its capacity kept for the next call). The view is valid while
/// `bytes` and `scratch` are.
inline wire::Bytes aligned_view(wire::Bytes bytes, std::vector<std::uint64_t>& scratch) {
  if (wire::is_aligned(bytes.data())) return bytes;
  scratch.resize((bytes.size() + 7) / 8);
  if (!bytes.empty()) std::memcpy(scratch.data(), bytes.data(), bytes.size());
  return {reinterpret_cast<const std::uint8_t*>(scratch.data()), bytes.size()};
}

}  // namespace enlace::protocol
