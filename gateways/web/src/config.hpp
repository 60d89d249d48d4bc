// enlace-web's configuration file (TOML; reference in docs/gateways/web.md,
// "Configuration"): [bus] as every gateway has it, and [web] for the HTTP side.
//
// Loaded once at start-up on the main thread; read-only afterwards, so any thread may
// read it. Unknown keys are errors (gateways/common/config.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/config.hpp"

namespace enlace::web {

struct Config {
  gateway::BusConfig bus;

  // [web]
  gateway::Endpoint listen{"127.0.0.1", 8480};
  /// The built page (index.html, app.js, ...). Default: the build tree's
  /// gateways/web/ui/dist when it exists, else the install tree's share/enlace/web.
  std::filesystem::path ui_dir;
  std::vector<std::string> subscribe = {"position.>", "track.>", "detection.>",
                                        "alert.>",    "spot.>",  "text.>"};
  std::size_t max_browsers = 64;
  /// What one browser may hold of this process's memory: updates waiting for it plus
  /// bytes handed to its socket and not yet written. Beyond it the browser is dropped
  /// (it reconnects and gets the whole picture again).
  std::size_t browser_queue_bytes = 16u << 20;
  /// At most this many updates of one item per second reach one browser; newer ones
  /// replace the waiting one (conflation).
  std::int64_t item_updates_per_second = 2;
  std::size_t picture_max_items = 100'000;
  /// Stale time given to messages that carry none.
  std::chrono::seconds default_stale{300};
};

/// Reads and checks the file; throws gateway::ConfigError ("file:line: key: what").
Config load_config(const std::string& path);

/// Where the page is looked for when ui_dir is not configured.
std::filesystem::path default_ui_dir();

}  // namespace enlace::web
