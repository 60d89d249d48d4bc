// CoT types, APP-6 / MIL-STD-2525 standard identities and battle dimensions, and symbol
// codes (SIDC), both ways (see docs/gateways/tak.md, "Types and symbols").
//
// Pure functions; safe to call from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "enlace/wire.hpp"

namespace enlace::tak {

/// The parts of an atom type `a-<affiliation>-<dimension>[-<function>...]`.
struct AtomType {
  char affiliation = 'u';  // p u a f n s h j k o x
  char dimension = 'Z';    // P A G S U F X, or Z when the type has none
  std::string function;    // the remaining atoms, e.g. "U-C-I" ("" when none)
};

/// Splits an `a-` type; a `;`-suffix is ignored. nullopt for other types and for atoms
/// whose affiliation is not a known letter.
std::optional<AtomType> parse_atom(std::string_view type);

/// CoT affiliation letter to standard identity: j (joker) reads as suspect, k (faker) as
/// hostile, o and x (none specified, other) as unknown.
wire::StandardIdentity identity_of(char affiliation) noexcept;
char affiliation_of(wire::StandardIdentity identity) noexcept;

wire::BattleDimension dimension_of(char dimension) noexcept;
/// The CoT letter of a dimension; 'G' for Unknown, as TAK draws unknown-dimension atoms.
char dimension_letter(wire::BattleDimension dimension) noexcept;

/// What kind of contact an atom is, from its dimension and function (e.g. G-E-V vehicle).
wire::ContactKind kind_of(const AtomType& atom) noexcept;

/// The 20-digit 2525D / APP-6(C) SIDC of an atom: version 10, reality, identity, symbol
/// set from the dimension, status present, the rest zero (no entity code is derived).
std::string sidc_of(const AtomType& atom);

/// The CoT type a symbol code stands for: from a 20-digit 2525D SIDC (identity, symbol
/// set) or a 15-character legacy 2525B/C SIDC (affiliation, dimension, function).
/// nullopt when `sidc` is neither.
std::optional<std::string> cot_type_of_sidc(std::string_view sidc);

}  // namespace enlace::tak
