// How the journal's errors name files. A reason of the journal's storage_unavailable errors
// reads "<what failed>: <cause>", followed by " [file <path>]" when a file or directory is
// concerned: the path is for the operator's log. A broker must not tell its clients where it
// keeps its files; without_path() is the reason it may pass on.
#pragma once

#include <string_view>

namespace enlace::journal {

/// What introduces the path at the end of a reason; the path runs to the closing ']'.
inline constexpr std::string_view kFileMarker = " [file ";

/// `reason` up to the file it names (all of it when it names none). Whatever the path holds,
/// the reason's own words never contain kFileMarker, so the first one starts the path.
constexpr std::string_view without_path(std::string_view reason) noexcept {
  return reason.substr(0, reason.find(kFileMarker));
}

}  // namespace enlace::journal
