#include "simulated_system.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace demo {

// --- StopFlag ---------------------------------------------------------------------------

void StopFlag::request() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
}

bool StopFlag::requested() const {
  std::lock_guard lock(mutex_);
  return stop_;
}

bool StopFlag::sleep_until(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_until(lock, deadline, [&] { return stop_; });
}

// --- Schedule ---------------------------------------------------------------------------

void Schedule::every(double first_s, double period_s, Task task) {
  entries_.push_back({first_s, period_s, 0, std::move(task)});
}

void Schedule::run(StopFlag& stop, Clock::time_point start) {
  while (!entries_.empty()) {
    auto next = std::min_element(entries_.begin(), entries_.end(),
                                 [](const Entry& a, const Entry& b) { return a.due_s < b.due_s; });
    const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(next->due_s));
    if (!stop.sleep_until(due)) return;
    next->task(next->runs++);
    if (next->period_s > 0) {
      next->due_s += next->period_s;
    } else {
      entries_.erase(next);
    }
  }
  // Nothing left to do: idle until the demo stops.
  while (stop.sleep_until(Clock::now() + std::chrono::hours(1))) {
  }
}

// --- labels -----------------------------------------------------------------------------

enlace::PublishOptions by_agreement(std::chrono::nanoseconds time_to_live) {
  enlace::PublishOptions options;
  options.label.policy_identifier = std::string(kPolicyIdentifier);
  options.time_to_live = time_to_live;
  return options;
}

enlace::PublishOptions released_to(std::vector<std::string> nations,
                                   std::chrono::nanoseconds time_to_live,
                                   enlace::wire::Classification classification) {
  enlace::PublishOptions options = by_agreement(time_to_live);
  options.label.releasable_to = std::move(nations);
  options.label.classification = classification;
  return options;
}

// --- SimulatedSystem --------------------------------------------------------------------

SimulatedSystem::SimulatedSystem(const SystemSpec& spec, const enlace::KeyPair& keys,
                                 const BusAccess& bus)
    : spec_(spec) {
  enlace::ClientOptions options;
  options.endpoint = bus.endpoint;
  options.broker_public_key = bus.broker_public_key;
  options.keys = keys;
  options.client_name = fmt::format("enlace-demo/{}", spec.id);
  // Refusals of messages sent without waiting (publish()) arrive here, on the I/O thread.
  options.on_error = [this](const enlace::ErrorInfo& error) { refusal("publish", error); };
  client_ = std::make_unique<enlace::Client>(std::move(options));
}

SimulatedSystem::~SimulatedSystem() {
  join();
  close();
}

void SimulatedSystem::connect(std::chrono::milliseconds timeout) {
  auto session = client_->wait_connected(timeout);
  if (!session) {
    throw std::runtime_error(fmt::format("system '{}' got no session: {} ({})", spec_.id,
                                         session.error().reason,
                                         enlace::to_string(session.code())));
  }
  on_connected();
}

void SimulatedSystem::start(StopFlag& stop, Clock::time_point start) {
  thread_ = std::thread([this, &stop, start] { run(stop, start); });
}

void SimulatedSystem::join() {
  if (thread_.joinable()) thread_.join();
}

void SimulatedSystem::close() {
  client_->close();
}

void SimulatedSystem::refusal(const std::string& what, const enlace::ErrorInfo& error) {
  // A client closing under a pending publish_and_wait is the demo stopping, not a refusal.
  if (error.code == enlace::Errc::closed) return;
  refused_.fetch_add(1);
  {
    std::lock_guard lock(last_refusal_mutex_);
    last_refusal_ = fmt::format("{}: {} ({})", what, enlace::to_string(error.code), error.reason);
  }
  on_refusal(what, error);
}

std::string SimulatedSystem::last_refusal() const {
  std::lock_guard lock(last_refusal_mutex_);
  return last_refusal_;
}

void SimulatedSystem::on_refusal(std::string_view, const enlace::ErrorInfo&) {}

}  // namespace demo
