// TOML text the demo writes into the configuration files it generates.
#pragma once

#include <string>

namespace demo {

/// A TOML basic string: the paths, keys and names the demo writes need only '\' and '"'
/// escaped.
inline std::string toml_quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace demo
