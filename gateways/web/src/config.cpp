#include "config.hpp"

#include <fmt/format.h>

#include "enlace/topic.hpp"

namespace enlace::web {

std::filesystem::path default_ui_dir() {
  std::error_code error;
  const std::filesystem::path build_tree = ENLACE_WEB_UI_BUILD_DIR;
  if (std::filesystem::is_regular_file(build_tree / "index.html", error)) return build_tree;
  return ENLACE_WEB_UI_INSTALL_DIR;
}

Config load_config(const std::string& path) {
  const gateway::ConfigReader in(path);
  in.allow_only(in.root(), "", {"bus", "web"});
  Config config;
  config.bus = in.bus("enlace-web");
  config.ui_dir = default_ui_dir();
  const toml::table* web = in.table(in.root(), "", "web");
  if (web == nullptr) return config;
  in.allow_only(*web, "web",
                {"listen", "ui_dir", "subscribe", "max_browsers", "browser_queue_bytes",
                 "item_updates_per_second", "picture_max_items", "default_stale_seconds"});
  if (auto text = in.string(*web, "web", "listen")) {
    const auto endpoint = gateway::parse_endpoint(*text);
    if (!endpoint) in.fail(web->get("listen"), "web", "listen", "expected HOST:PORT");
    config.listen = *endpoint;
  }
  if (auto dir = in.string(*web, "web", "ui_dir")) {
    std::filesystem::path ui = *dir;
    if (ui.is_relative()) ui = std::filesystem::path(path).parent_path() / ui;
    config.ui_dir = ui;
  }
  if (const toml::node* node = web->get("subscribe")) {
    const toml::array* patterns = node->as_array();
    if (patterns == nullptr || patterns->empty())
      in.fail(node, "web", "subscribe", "expected a non-empty array of topic patterns");
    config.subscribe.clear();
    for (const toml::node& item : *patterns) {
      const auto pattern = item.value<std::string>();
      if (!pattern || !topic::is_valid_pattern(*pattern))
        in.fail(&item, "web", "subscribe", "expected topic patterns such as \"track.>\"");
      config.subscribe.push_back(*pattern);
    }
  }
  if (auto v = in.integer(*web, "web", "max_browsers", 1, 10'000))
    config.max_browsers = static_cast<std::size_t>(*v);
  if (auto v = in.integer(*web, "web", "browser_queue_bytes", 64 << 10, std::int64_t{1} << 32))
    config.browser_queue_bytes = static_cast<std::size_t>(*v);
  if (auto v = in.integer(*web, "web", "item_updates_per_second", 1, 50))
    config.item_updates_per_second = *v;
  if (auto v = in.integer(*web, "web", "picture_max_items", 1, 10'000'000))
    config.picture_max_items = static_cast<std::size_t>(*v);
  if (auto v = in.integer(*web, "web", "default_stale_seconds", 1, 86'400 * 7))
    config.default_stale = std::chrono::seconds(*v);
  return config;
}

}  // namespace enlace::web
