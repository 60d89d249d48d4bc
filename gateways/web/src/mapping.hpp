// The bus -> browser mapping: one delivered envelope becomes one item of the page's
// picture, a JSON object (docs/gateways/web.md, "What a browser receives"; golden files
// in tests/gateways/web/golden/).
//
// Every item has: id, kind, topic, origin {nation, system} (the broker-authenticated
// identity, never the envelope's own claim), label {classification, releasable_to,
// marking}, published_ms, stale_ms, and what its payload says (position, SIDC, identity,
// dimension, texts, times). Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "enlace/wire.hpp"

namespace enlace::web {

/// Who published, as the broker's delivery header says.
struct Origin {
  std::string_view nation;
  std::string_view system;
};

struct Item {
  /// "<kind>:<NATION>:<system>:<the payload's own id>": the latest per id is the picture.
  /// Text messages are events: their id is the message id, so each one is kept.
  std::string id;
  std::string_view kind;  // track, unit, detection, alert, spot, text, tasking
  std::int64_t stale_ms = 0;
  std::string json;
};

/// The item for `envelope`, or nullopt for payloads the page does not show (Sealed,
/// Opaque). `now_ms` and `default_stale_ms` set the stale time of an envelope without one.
std::optional<Item> to_item(const wire::Envelope& envelope, const Origin& origin,
                            std::int64_t now_ms, std::int64_t default_stale_ms);

/// The 20-digit 2525D / APP-6 D symbol code for an identity, a dimension and a kind when
/// the publisher gave none: version 10, reality, identity, the symbol set of the
/// dimension (or of the kind when the dimension is unknown), status present, no entity.
std::string derived_sidc(wire::StandardIdentity identity, wire::BattleDimension dimension,
                         wire::ContactKind kind);

/// An enum value's schema name in snake case: SeaSurface -> "sea_surface".
std::string snake_case(std::string_view name);

}  // namespace enlace::web
