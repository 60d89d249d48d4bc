#include "web_gateway.hpp"

#include <fmt/format.h>

#include "common/log.hpp"
#include "common/publisher.hpp"
#include "json_text.hpp"

namespace enlace::web {
namespace {

namespace log = gateway::log;

constexpr auto kPumpInterval = std::chrono::milliseconds(50);
constexpr std::size_t kFrameBytes = 64u << 10;
constexpr std::size_t kWindowBytes = 256u << 10;
// What the SDK's thread may have posted to the Asio thread and not yet seen applied.
constexpr std::size_t kBacklogBytes = 64u << 20;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

WebGateway::WebGateway(Config config, StaticFiles files)
    : config_(std::move(config)),
      files_(std::move(files)),
      picture_(config_.picture_max_items),
      pump_timer_(io_),
      signals_(io_, SIGINT, SIGTERM) {}

WebGateway::~WebGateway() {
  // The SDK's thread posts to io_: stop it before io_ goes.
  if (client_) client_->close();
}

Result<std::unique_ptr<WebGateway>> WebGateway::create(Config config) {
  auto files = StaticFiles::load(config.ui_dir);
  if (!files) return files.error();
  std::unique_ptr<WebGateway> gateway(new WebGateway(std::move(config), std::move(*files)));
  WebGateway* self = gateway.get();
  HttpHandlers handlers;
  handlers.status = [self] { return self->status(); };
  handlers.on_open = [self](std::shared_ptr<BrowserLink> link) {
    return self->open_browser(std::move(link));
  };
  handlers.on_close = [self](std::uint64_t id) { self->browsers_.erase(id); };
  handlers.on_ignored = [self](std::uint64_t) { ++self->counters_.browser_messages_ignored; };
  handlers.on_request = [self](bool found) {
    ++self->counters_.http_requests;
    if (!found) ++self->counters_.http_not_found;
  };
  try {
    gateway->http_ = std::make_unique<HttpServer>(gateway->io_, gateway->config_.listen,
                                                  gateway->files_, std::move(handlers));
  } catch (const std::runtime_error& e) {
    return ErrorInfo{Errc::invalid_argument, e.what()};
  }
  return gateway;
}

Status WebGateway::connect(std::chrono::milliseconds timeout) {
  auto keys = load_keypair(config_.bus.keys);
  if (!keys) return keys.error();
  auto broker_key = load_public_key(config_.bus.broker_key);
  if (!broker_key) return broker_key.error();
  ClientOptions options;
  options.endpoint = config_.bus.broker;
  options.broker_public_key = *broker_key;
  options.keys = *keys;
  options.client_name = config_.bus.client_name;
  options.on_state = [this](ConnectionState state, const ErrorInfo& why) {
    if (why.code == Errc::ok) {
      log::info("bus: {}", to_string(state));
    } else {
      log::warn("bus: {} ({}: {})", to_string(state), to_string(why.code),
                log::escaped(why.reason));
    }
    on_state(state);
  };
  client_ = std::make_unique<Client>(std::move(options));
  auto session = client_->wait_connected(timeout);
  if (!session) return session.error();
  session_ = *session;
  log::info("bus: connected as {} {} (role {})", session_.nation, session_.system, session_.role);
  return gateway::subscribe_with_snapshot(
      *client_, config_.subscribe, [this](const Delivery& delivery) { on_delivery(delivery); });
}

// SDK I/O thread: the mapping runs here, once per delivery, whatever the browsers.
void WebGateway::on_delivery(const Delivery& delivery) {
  auto item = to_item(delivery.envelope(), {delivery.origin_nation(), delivery.origin_system()},
                      now_ms(), std::chrono::milliseconds(config_.default_stale).count());
  if (!item) {
    asio::post(io_, [this] { ++counters_.unmapped; });
    return;
  }
  const std::size_t bytes = item->json.size() + item->id.size();
  if (backlog_bytes_.fetch_add(bytes) + bytes > kBacklogBytes) {
    backlog_bytes_.fetch_sub(bytes);
    ++counters_.backlog_dropped;
    return;
  }
  asio::post(io_, [this, item = std::move(*item), snapshot = delivery.from_snapshot(),
                   bytes]() mutable { apply(std::move(item), snapshot, bytes); });
}

// SDK I/O thread.
void WebGateway::on_state(ConnectionState state) {
  asio::post(io_, [this, state] {
    broker_state_ = state;
    const std::string frame = state_frame();
    for (auto& [id, browser] : browsers_) send_direct(id, browser, frame);
  });
}

void WebGateway::apply(Item item, bool from_snapshot, std::size_t bytes) {
  backlog_bytes_.fetch_sub(bytes);
  ++counters_.deliveries;
  if (from_snapshot) ++counters_.snapshot_items;
  const std::string id = item.id;
  Json stored;
  switch (picture_.put(std::move(item), now_ms(), stored)) {
    case Picture::Put::added:
    case Picture::Put::updated:
      broadcast(id, stored);
      break;
    case Picture::Put::already_stale:
      ++counters_.stale_on_arrival;
      broadcast(id, nullptr);
      break;
    case Picture::Put::full:
      ++counters_.picture_full;
      break;
  }
}

void WebGateway::broadcast(const std::string& id, const Json& json) {
  for (auto& [browser_id, browser] : browsers_) browser.queue.put(id, json);
}

std::string WebGateway::state_frame() const {
  return ObjectWriter{}
      .string("type", "state")
      .string("broker", to_string(broker_state_))
      .string("nation", session_.nation)
      .string("system", session_.system)
      .string("role", session_.role)
      .integer("server_time_ms", now_ms())
      .finish();
}

std::uint64_t WebGateway::open_browser(std::shared_ptr<BrowserLink> link) {
  if (browsers_.size() >= config_.max_browsers) {
    ++counters_.browsers_refused;
    log::warn("web: browser {} refused: {} connected already (max_browsers)",
              log::escaped(link->remote()), browsers_.size());
    return 0;
  }
  const std::uint64_t id = ++next_browser_;
  ++counters_.browsers_accepted;
  Browser& browser = browsers_
                         .emplace(id, Browser{link, BrowserQueue(config_.item_updates_per_second,
                                                                 kFrameBytes, kWindowBytes)})
                         .first->second;
  // The whole picture first; pump() sends it in frames, then the live updates.
  picture_.for_each(
      [&](const std::string& item, const Json& json) { browser.queue.put(item, json); });
  send_direct(id, browser, state_frame());
  log::info("web: browser {} connected ({} items to send)", log::escaped(link->remote()),
            picture_.size());
  return id;
}

void WebGateway::send_direct(std::uint64_t id, Browser& browser, std::string frame) {
  browser.queue.account(frame.size());
  transmit(id, browser, std::move(frame));
}

// The frame is already counted in the browser's queue as in flight; written() releases it.
void WebGateway::transmit(std::uint64_t id, Browser& browser, std::string frame) {
  const std::size_t size = frame.size();
  ++counters_.frames_sent;
  counters_.bytes_sent += size;
  browser.link->send(std::move(frame), [this, id, size] {
    if (auto found = browsers_.find(id); found != browsers_.end())
      found->second.queue.written(size);
  });
}

void WebGateway::pump() {
  const std::int64_t now = now_ms();
  for (auto it = browsers_.begin(); it != browsers_.end();) {
    Browser& browser = it->second;
    const auto before = browser.queue.stats();
    for (std::string frame = browser.queue.take(now); !frame.empty();
         frame = browser.queue.take(now)) {
      transmit(it->first, browser, std::move(frame));
    }
    counters_.updates_sent += browser.queue.stats().items_sent - before.items_sent;
    counters_.updates_conflated += browser.queue.stats().conflated - before.conflated;
    if (browser.queue.queued_bytes() > config_.browser_queue_bytes) {
      ++counters_.browsers_dropped_slow;
      log::warn("web: browser {} dropped: {} bytes queued (browser_queue_bytes {})",
                log::escaped(browser.link->remote()), browser.queue.queued_bytes(),
                config_.browser_queue_bytes);
      browser.link->close();
      it = browsers_.erase(it);
    } else {
      ++it;
    }
  }
}

void WebGateway::tick() {
  const std::int64_t now = now_ms();
  if (now - last_expiry_ms_ >= 1000) {
    last_expiry_ms_ = now;
    for (const std::string& id : picture_.expire(now)) {
      ++counters_.expired;
      broadcast(id, nullptr);
    }
  }
  pump();
  pump_timer_.expires_after(kPumpInterval);
  pump_timer_.async_wait([this](const asio::error_code& error) {
    if (!error) tick();
  });
}

std::string WebGateway::status() const {
  return status_json(
      counters_, StatusView{to_string(broker_state_), session_.nation, session_.system,
                            session_.role, browsers_.size(), picture_.size(), picture_.bytes()});
}

void WebGateway::run() {
  log::info("web: serving {} files from {} on http://{}:{}/", files_.count(),
            config_.ui_dir.string(), config_.listen.host, http_port());
  signals_.async_wait([this](const asio::error_code& error, int) {
    if (error) return;
    pump_timer_.cancel();
    for (auto& [id, browser] : browsers_) browser.link->close();
    browsers_.clear();
    http_->close();
    io_.stop();
  });
  tick();
  io_.run();
}

}  // namespace enlace::web
