// The built page, read into memory once at start-up from the configured ui_dir.
//
// Only the files found there at start-up are served, by exact path, so no request can
// reach anything else on the machine (no path is ever joined to a request's URL).
// Bounded: at most kMaxFiles files and kMaxBytes in all. Read-only after load(), so any
// thread may read it.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "enlace/result.hpp"

namespace enlace::web {

struct StaticFile {
  std::string content_type;
  std::string body;
};

class StaticFiles {
 public:
  static constexpr std::size_t kMaxFiles = 256;
  static constexpr std::size_t kMaxBytes = 64u << 20;

  /// Reads ui_dir and its sub-folders; fails with invalid_argument when it has no
  /// index.html (the page was not built: see docs/gateways/web.md) or is too large.
  static Result<StaticFiles> load(const std::filesystem::path& ui_dir);

  /// The file for a request path ("/" is /index.html); nullptr when there is none.
  const StaticFile* find(std::string_view path) const;
  std::size_t count() const noexcept { return files_.size(); }

 private:
  std::map<std::string, StaticFile, std::less<>> files_;
};

}  // namespace enlace::web
