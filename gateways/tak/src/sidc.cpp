#include "sidc.hpp"

#include <cctype>

namespace enlace::tak {

std::optional<AtomType> parse_atom(std::string_view type) {
  type = type.substr(0, type.find(';'));
  if (type.size() < 3 || type[0] != 'a' || type[1] != '-') return std::nullopt;
  AtomType atom;
  atom.affiliation = type[2];
  if (std::string_view("puafnshjkox").find(atom.affiliation) == std::string_view::npos) {
    return std::nullopt;
  }
  if (type.size() == 3) return atom;
  if (type[3] != '-' || type.size() < 5) return std::nullopt;
  atom.dimension = type[4];
  if (type.size() > 5) {
    if (type[5] != '-') return std::nullopt;
    atom.function = std::string(type.substr(6));
  }
  return atom;
}

wire::StandardIdentity identity_of(char affiliation) noexcept {
  using SI = wire::StandardIdentity;
  switch (affiliation) {
    case 'p':
      return SI::Pending;
    case 'a':
      return SI::AssumedFriend;
    case 'f':
      return SI::Friend;
    case 'n':
      return SI::Neutral;
    case 's':
    case 'j':
      return SI::Suspect;
    case 'h':
    case 'k':
      return SI::Hostile;
    default:
      return SI::Unknown;
  }
}

char affiliation_of(wire::StandardIdentity identity) noexcept {
  using SI = wire::StandardIdentity;
  switch (identity) {
    case SI::Pending:
      return 'p';
    case SI::AssumedFriend:
      return 'a';
    case SI::Friend:
      return 'f';
    case SI::Neutral:
      return 'n';
    case SI::Suspect:
      return 's';
    case SI::Hostile:
      return 'h';
    default:
      return 'u';
  }
}

wire::BattleDimension dimension_of(char dimension) noexcept {
  using BD = wire::BattleDimension;
  switch (dimension) {
    case 'P':
      return BD::Space;
    case 'A':
      return BD::Air;
    case 'G':
    case 'F':
      return BD::Land;  // SOF units are drawn on land
    case 'S':
      return BD::SeaSurface;
    case 'U':
      return BD::Subsurface;
    default:
      return BD::Unknown;
  }
}

char dimension_letter(wire::BattleDimension dimension) noexcept {
  using BD = wire::BattleDimension;
  switch (dimension) {
    case BD::Space:
      return 'P';
    case BD::Air:
      return 'A';
    case BD::SeaSurface:
      return 'S';
    case BD::Subsurface:
      return 'U';
    default:
      return 'G';
  }
}

wire::ContactKind kind_of(const AtomType& atom) noexcept {
  using CK = wire::ContactKind;
  switch (atom.dimension) {
    case 'A':
      return atom.function.starts_with("M-F-Q") ? CK::Uav : CK::Aircraft;
    case 'S':
    case 'U':
      return CK::Vessel;
    case 'G':
      if (atom.function.starts_with("E-V")) return CK::Vehicle;
      if (atom.function.starts_with("U")) return CK::Group;
      return CK::Unknown;
    default:
      return CK::Unknown;
  }
}

std::string sidc_of(const AtomType& atom) {
  // Digits 1-2 version, 3 context, 4 identity, 5-6 symbol set, 7 status, 8 HQ/TF/dummy,
  // 9-10 amplifier, 11-16 entity, 17-20 modifiers.
  std::string sidc = "10000000000000000000";
  sidc[3] = static_cast<char>('0' + static_cast<int>(identity_of(atom.affiliation)));
  const char* set = "00";
  switch (atom.dimension) {
    case 'P':
      set = "05";
      break;
    case 'A':
      set = "01";
      break;
    case 'G':
    case 'F':
      set = atom.function.starts_with("E") ? "15" : atom.function.starts_with("I") ? "20" : "10";
      break;
    case 'S':
      set = "30";
      break;
    case 'U':
      set = "35";
      break;
    default:
      break;
  }
  sidc[4] = set[0];
  sidc[5] = set[1];
  return sidc;
}

std::optional<std::string> cot_type_of_sidc(std::string_view sidc) {
  auto all_digits = [](std::string_view s) {
    for (const char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (sidc.size() == 20 && all_digits(sidc)) {
    const int identity = sidc[3] - '0';
    if (identity > 6) return std::nullopt;
    const char affiliation = affiliation_of(static_cast<wire::StandardIdentity>(identity));
    const std::string_view set = sidc.substr(4, 2);
    char dimension = 'G';
    if (set == "01" || set == "02")
      dimension = 'A';
    else if (set == "05" || set == "06")
      dimension = 'P';
    else if (set == "30")
      dimension = 'S';
    else if (set == "35" || set == "36")
      dimension = 'U';
    return std::string("a-") + affiliation + "-" + dimension;
  }
  if (sidc.size() == 15) {
    const char affiliation = static_cast<char>(std::tolower(static_cast<unsigned char>(sidc[1])));
    const char dimension = sidc[2];
    if (std::string_view("puafnshjko").find(affiliation) == std::string_view::npos ||
        std::string_view("PAGSUFXZ").find(dimension) == std::string_view::npos) {
      return std::nullopt;
    }
    std::string type = std::string("a-") + affiliation + "-" + (dimension == 'Z' ? 'G' : dimension);
    for (std::size_t i = 4; i < 10 && sidc[i] != '-' && sidc[i] != '*'; ++i) {
      type += '-';
      type += sidc[i];
    }
    return type;
  }
  return std::nullopt;
}

}  // namespace enlace::tak
