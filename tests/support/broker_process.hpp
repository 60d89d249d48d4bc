// Test support: a real enlace-broker process on a free loopback port, with a policy and
// CURVE keys made for the test, plus helpers to wait on events with a bound.
//
// Uses only the SDK's public headers and POSIX: integration tests see the broker exactly
// as a client in the field does.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "enlace/enlace.hpp"

namespace enlace::test {

using namespace std::chrono_literals;

/// A system registered in a test policy.
struct TestSystem {
  std::string id;
  std::string nation;
  std::string role;
  KeyPair keys;
};

/// Builds a coalition policy (TOML) for tests: the roles and agreements are fixed and
/// documented in broker_process.cpp; systems are added with fresh keys.
class TestCoalition {
 public:
  TestCoalition();

  /// Adds a system with a fresh key pair; returns it.
  const TestSystem& add(std::string id, std::string nation, std::string role);
  const TestSystem& operator[](const std::string& id) const { return systems_.at(id); }
  /// Gives `id` a fresh key pair (a key rotation); returns the system with its new keys.
  const TestSystem& rekey(const std::string& id);

  /// Extra TOML appended to the policy (e.g. more agreements, limits).
  std::string extra;
  /// Systems to mark `revoked = true`.
  std::vector<std::string> revoked;
  /// Text replacements applied to the fixed part of the policy (from, to), for tests that
  /// change a role or an agreement.
  std::vector<std::pair<std::string, std::string>> edits;

  std::string policy_toml() const;

 private:
  std::map<std::string, TestSystem> systems_;
  std::vector<std::string> order_;
};

/// A running enlace-broker. Stops it (SIGTERM, then SIGKILL after a bound) on destruction.
class BrokerProcess {
 public:
  /// `extra_args` are appended to the broker's command line (e.g. --liveness-probe 300).
  explicit BrokerProcess(const TestCoalition& coalition, std::vector<std::string> extra_args = {});
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  const std::string& endpoint() const noexcept { return endpoint_; }
  /// Where its HTTP endpoint listens ("127.0.0.1:PORT"), "" with --http off. Unless the
  /// test passes its own --http, the broker binds a free loopback port.
  const std::string& http_address() const noexcept { return http_address_; }
  const std::string& public_key() const noexcept { return keys_.public_key; }
  const std::filesystem::path& directory() const noexcept { return dir_; }
  int pid() const noexcept { return pid_; }

  /// Client options for `system` against this broker.
  ClientOptions options_for(const TestSystem& system) const;

  /// Stops the broker (SIGTERM, or SIGKILL when `kill` is true) and waits for it to exit.
  /// Returns the exit status as waitpid reports it.
  int stop(bool kill = false);
  /// Starts it again on the same endpoint with the same keys and policy file.
  void start();
  /// Rewrites the policy file and sends SIGHUP.
  void reload(const TestCoalition& coalition);
  /// The two halves of reload(), for tests that time what follows the signal.
  void write_policy(const TestCoalition& coalition);
  void signal_reload();
  /// Whether the process is still running.
  bool running();

  /// A counter of the metrics file (written every second), by its JSON name: a top-level
  /// counter ("sessions_open") or a refusal code ("revoked"). Nothing before the first
  /// write, or for a name it does not hold.
  std::optional<std::uint64_t> metric(const std::string& name) const;
  /// Waits until `condition(value of metric name)` holds, up to `timeout`.
  bool wait_metric(const std::string& name, const std::function<bool(std::uint64_t)>& condition,
                   std::chrono::milliseconds timeout = 20s) const;
  /// The broker's resident set size (VmRSS of /proc/PID/status), in KiB.
  std::uint64_t rss_kib() const;

 private:
  void launch(const std::string& endpoint);

  std::vector<std::string> extra_args_;
  std::filesystem::path dir_;
  KeyPair keys_;
  std::string endpoint_;
  std::string http_address_;
  int pid_ = -1;
};

/// Collects deliveries from a subscription handler (I/O thread) for the test thread.
class Inbox {
 public:
  DeliveryHandler handler();

  /// Waits until `predicate(deliveries)` holds, up to `timeout`.
  bool wait_until(const std::function<bool(const std::vector<Delivery>&)>& predicate,
                  std::chrono::milliseconds timeout = 10s);
  /// Waits until a delivery on `topic` has arrived.
  bool wait_for_topic(const std::string& topic, std::chrono::milliseconds timeout = 10s);
  bool has_topic(const std::string& topic) const;
  std::vector<Delivery> snapshot() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Delivery> deliveries_;
};

/// Publishes a Text message on `topic` with the given releasability, waiting for the ack.
Result<PublishAck> publish_text(Client& client, const std::string& topic, const std::string& body,
                                std::vector<std::string> releasable_to = {});

/// Whether a subscriber has its subscription (again, e.g. after a reconnection): a Text on
/// `topic`, released to `releasable_to`, published until one reaches `inbox`, within 20 s.
/// A connection is ready before its subscriptions are restored, so one publish may miss.
bool served_again(Client& publisher, Inbox& inbox, const std::string& topic,
                  std::vector<std::string> releasable_to = {"ECU"});

/// A scratch directory (a broker's --data-dir, files a test writes), made under /tmp and
/// removed with everything in it.
struct ScratchDir {
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::filesystem::path path;
};

/// Waits (inotify, no polling) until `path` exists, at most `timeout`, or until the process
/// `writer_pid` that was to write it has exited; whether it exists.
bool wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds timeout,
                   int writer_pid = -1);

/// Waits until `condition()` holds, checking whenever `changed` is notified. For tests
/// that wait on client state.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s);

}  // namespace enlace::test
