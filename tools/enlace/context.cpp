#include "context.hpp"

#include <fcntl.h>
#include <flatbuffers/flexbuffers.h>
#include <flatbuffers/idl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "json_codec.hpp"

namespace enlace::cli {
namespace {

std::filesystem::path context_file(const std::string& name) {
  return config_directory() / "contexts" / (name + ".json");
}

std::runtime_error failure(const std::filesystem::path& file, std::string_view what) {
  return std::runtime_error(file.string() + ": " + std::string(what));
}

// Creates `dir` and its missing parents; the ones it creates are 0700.
void make_private_directory(const std::filesystem::path& dir) {
  if (std::filesystem::is_directory(dir)) return;
  if (dir.has_parent_path() && dir.parent_path() != dir) make_private_directory(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw failure(dir, std::strerror(errno));
}

// Replaces `file` with `text` atomically (a temporary file renamed over it), mode 0600.
void write_private_file(const std::filesystem::path& file, const std::string& text) {
  make_private_directory(file.parent_path());
  std::filesystem::path temporary = file;
  temporary += ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw failure(temporary, std::strerror(errno));
  ::fchmod(fd, 0600);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int error = errno;
  if (::close(fd) != 0 || !written) {
    ::unlink(temporary.c_str());
    throw failure(temporary, std::strerror(written ? errno : error));
  }
  if (::rename(temporary.c_str(), file.c_str()) != 0) throw failure(file, std::strerror(errno));
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw failure(file, "cannot read");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Context parse_context(const std::string& name, const std::filesystem::path& file) {
  const std::string text = read_file(file);
  flatbuffers::Parser parser;
  flexbuffers::Builder builder;
  if (!parser.ParseFlexBuffer(text.c_str(), nullptr, &builder))
    throw failure(file, "not a context (invalid JSON: " + parser.error_ + ")");
  const auto root = flexbuffers::GetRoot(builder.GetBuffer());
  if (!root.IsMap()) throw failure(file, "not a context (not a JSON object)");
  const auto map = root.AsMap();
  const auto field = [&](const char* key) {
    const auto value = map[key];
    return value.IsString() ? value.AsString().str() : std::string();
  };
  return {name, field("broker"), field("broker_key"), field("keys")};
}

}  // namespace

std::filesystem::path config_directory() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/')
    return std::filesystem::path(xdg) / "enlace";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::filesystem::path(home) / ".config" / "enlace";
  throw std::runtime_error("neither XDG_CONFIG_HOME nor HOME is set: no place for contexts");
}

bool is_valid_context_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::optional<Context> load_context(const std::string& name) {
  if (!is_valid_context_name(name)) return std::nullopt;
  const auto file = context_file(name);
  if (!std::filesystem::exists(file)) return std::nullopt;
  return parse_context(name, file);
}

std::vector<Context> list_contexts() {
  std::vector<Context> contexts;
  const auto dir = config_directory() / "contexts";
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ignored)) {
    const auto& path = entry.path();
    if (path.extension() != ".json" || !is_valid_context_name(path.stem().string())) continue;
    contexts.push_back(parse_context(path.stem().string(), path));
  }
  std::sort(contexts.begin(), contexts.end(),
            [](const Context& a, const Context& b) { return a.name < b.name; });
  return contexts;
}

void save_context(const Context& context) {
  write_private_file(context_file(context.name),
                     "{\n  \"broker\": " + json_quote(context.broker) +
                         ",\n  \"broker_key\": " + json_quote(context.broker_key) +
                         ",\n  \"keys\": " + json_quote(context.keys) + "\n}\n");
}

bool remove_context(const std::string& name) {
  if (!is_valid_context_name(name)) return false;
  std::error_code error;
  const bool removed = std::filesystem::remove(context_file(name), error);
  if (error) throw failure(context_file(name), error.message());
  if (removed && selected_context() == name) select_context("");
  return removed;
}

std::string selected_context() {
  const auto file = config_directory() / "context";
  if (!std::filesystem::exists(file)) return {};
  std::string name = read_file(file);
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  return name;
}

void select_context(const std::string& name) {
  if (name.empty()) {
    std::error_code ignored;
    std::filesystem::remove(config_directory() / "context", ignored);
    return;
  }
  write_private_file(config_directory() / "context", name + "\n");
}

std::optional<Context> active_context(const std::optional<std::string>& explicit_name) {
  std::string name;
  std::string source;
  if (explicit_name) {
    name = *explicit_name;
    source = "--context";
  } else if (const char* env = std::getenv("ENLACE_CONTEXT"); env != nullptr && *env != '\0') {
    name = env;
    source = "ENLACE_CONTEXT";
  } else {
    name = selected_context();
    source = "the context in use (enlace context use)";
  }
  if (name.empty()) return std::nullopt;
  auto context = load_context(name);
  if (!context) {
    throw std::runtime_error("no context '" + name + "' (named by " + source +
                             "); `enlace context list` shows those there are");
  }
  return context;
}

}  // namespace enlace::cli
