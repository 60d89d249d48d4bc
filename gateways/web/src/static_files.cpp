#include "static_files.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace enlace::web {
namespace {

std::string_view content_type_of(const std::filesystem::path& file) {
  const std::string extension = file.extension().string();
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".js") return "text/javascript; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".json") return "application/json";
  if (extension == ".png") return "image/png";
  if (extension == ".svg") return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

Result<StaticFiles> StaticFiles::load(const std::filesystem::path& ui_dir) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(ui_dir / "index.html", error)) {
    return ErrorInfo{Errc::invalid_argument,
                     fmt::format("ui_dir {}: no index.html (is the page built? cmake --build "
                                 "builds it into gateways/web/ui/dist)",
                                 ui_dir.string())};
  }
  StaticFiles files;
  std::size_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(ui_dir, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    if (files.files_.size() >= kMaxFiles)
      return ErrorInfo{Errc::invalid_argument,
                       fmt::format("ui_dir {}: more than {} files", ui_dir.string(), kMaxFiles)};
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream body;
    body << in.rdbuf();
    total += body.str().size();
    if (!in || total > kMaxBytes)
      return ErrorInfo{Errc::invalid_argument,
                       fmt::format("ui_dir {}: cannot read {}, or more than {} bytes in all",
                                   ui_dir.string(), it->path().string(), kMaxBytes)};
    const std::string path =
        "/" + std::filesystem::relative(it->path(), ui_dir, error).generic_string();
    files.files_[path] = StaticFile{std::string(content_type_of(it->path())), body.str()};
  }
  if (error)
    return ErrorInfo{Errc::invalid_argument,
                     fmt::format("ui_dir {}: {}", ui_dir.string(), error.message())};
  return files;
}

const StaticFile* StaticFiles::find(std::string_view path) const {
  if (path == "/") path = "/index.html";
  const auto found = files_.find(path);
  return found == files_.end() ? nullptr : &found->second;
}

}  // namespace enlace::web
