// The wire vocabulary a client sees: the FlatBuffers tables generated from schemas/*.fbs
// (envelope, delivery, control frames, payloads) and the byte-span type messages travel
// as. The framing that wraps these bodies on the wire is the protocol core's business
// (docs/protocol.md, section 3) and is not part of the public API.
#pragma once

#include <cstdint>
#include <span>

#include "enlace/wire/control_generated.h"
#include "enlace/wire/delivery_generated.h"
#include "enlace/wire/envelope_generated.h"

namespace enlace::wire {

using Bytes = std::span<const std::uint8_t>;

}  // namespace enlace::wire
