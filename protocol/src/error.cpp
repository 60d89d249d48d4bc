#include "enlace/error.hpp"

#include <string>

namespace enlace {
namespace {

struct CodeInfo {
  Errc code;
  std::string_view name;
  bool retryable;
};

// The single table every lookup reads: adding a code means adding one row here, then the
// same row to docs/protocol.md 8.3, docs/c-api.md 3 and sdk/include/enlace/enlace.h
// (tests/unit/test_error_code_table.cpp fails until they agree).
constexpr CodeInfo kCodes[] = {
    {Errc::ok, "ok", false},
    {Errc::malformed_frame, "malformed_frame", false},
    {Errc::unsupported_version, "unsupported_version", false},
    {Errc::unknown_command, "unknown_command", false},
    {Errc::wrong_identifier, "wrong_identifier", false},
    {Errc::verification_failed, "verification_failed", false},
    {Errc::message_too_large, "message_too_large", false},
    {Errc::hello_required, "hello_required", true},
    {Errc::bad_batch, "bad_batch", false},
    {Errc::invalid_topic, "invalid_topic", false},
    {Errc::invalid_pattern, "invalid_pattern", false},
    {Errc::invalid_label, "invalid_label", false},
    {Errc::invalid_envelope, "invalid_envelope", false},
    {Errc::authentication_failed, "authentication_failed", false},
    {Errc::origin_mismatch, "origin_mismatch", false},
    {Errc::publish_denied, "publish_denied", false},
    {Errc::subscribe_denied, "subscribe_denied", false},
    {Errc::wildcard_forbidden, "wildcard_forbidden", false},
    {Errc::release_not_permitted, "release_not_permitted", false},
    {Errc::classification_exceeded, "classification_exceeded", false},
    {Errc::revoked, "revoked", false},
    {Errc::rate_limited, "rate_limited", true},
    {Errc::queue_full, "queue_full", true},
    {Errc::too_many_subscriptions, "too_many_subscriptions", false},
    {Errc::replay_unavailable, "replay_unavailable", false},
    {Errc::too_many_sessions, "too_many_sessions", true},
    {Errc::deliveries_dropped, "deliveries_dropped", false},
    {Errc::slow_consumer, "slow_consumer", true},
    {Errc::internal_error, "internal_error", true},
    {Errc::shutting_down, "shutting_down", true},
    {Errc::storage_unavailable, "storage_unavailable", true},
    {Errc::not_connected, "not_connected", true},
    {Errc::timeout, "timeout", true},
    {Errc::closed, "closed", false},
    {Errc::invalid_argument, "invalid_argument", false},
    {Errc::key_error, "key_error", false},
    {Errc::session_not_resumed, "session_not_resumed", false},
    {Errc::connect_failed, "connect_failed", true},
    {Errc::handshake_failed, "handshake_failed", false},
};

const CodeInfo* find(Errc code) noexcept {
  for (const auto& info : kCodes) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "enlace"; }
  std::string message(int value) const override {
    return std::string(to_string(static_cast<Errc>(value)));
  }
};

}  // namespace

std::string_view to_string(Errc code) noexcept {
  const CodeInfo* info = find(code);
  return info ? info->name : "unknown_error";
}

bool is_retryable(Errc code) noexcept {
  const CodeInfo* info = find(code);
  return info && info->retryable;
}

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace enlace
