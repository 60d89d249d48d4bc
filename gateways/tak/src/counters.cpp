#include "counters.hpp"

#include <fstream>

#include <fmt/format.h>

namespace enlace::tak {

std::string_view to_string(Transport transport) noexcept {
  constexpr std::string_view names[] = {"tcp", "tls", "udp"};
  return names[static_cast<std::size_t>(transport)];
}

std::string_view to_string(Protocol protocol) noexcept {
  return protocol == Protocol::xml ? "xml" : "protobuf";
}

std::string_view to_string(EventKind kind) noexcept {
  constexpr std::string_view names[] = {"position", "track",   "text",   "alert",
                                        "spot",     "tasking", "control"};
  return names[static_cast<std::size_t>(kind)];
}

EventKind kind_of_cot_type(std::string_view type) noexcept {
  if (type.starts_with("a-f-")) return EventKind::position;
  if (type.starts_with("a-")) return EventKind::track;
  if (type.starts_with("b-t-f")) return EventKind::text;
  if (type.starts_with("b-a-o-")) return EventKind::alert;
  if (type.starts_with("b-m-p-s-")) return EventKind::spot;
  if (type.starts_with("u-d-")) return EventKind::tasking;
  return EventKind::control;
}

std::string Counters::to_json() const {
  std::string out = "{\"clients\":{";
  for (std::size_t t = 0; t < n(Transport::count_); ++t) {
    out += fmt::format("{}\"{}\":{{\"xml\":{},\"protobuf\":{},\"accepted\":{}}}", t ? "," : "",
                       to_string(static_cast<Transport>(t)), clients_[t][0].load(),
                       clients_[t][1].load(), accepted_[t].load());
  }
  auto by_kind = [&](const char* name, const std::array<Counter, n(EventKind::count_)>& values) {
    out += fmt::format("}},\"{}\":{{", name);
    for (std::size_t k = 0; k < values.size(); ++k) {
      out += fmt::format("{}\"{}\":{}", k ? "," : "", to_string(static_cast<EventKind>(k)),
                         values[k].load());
    }
  };
  by_kind("events_in", in_);
  by_kind("events_out", out_);
  out += "},\"refusals\":{";
  for (std::size_t r = 0; r < kReasonCount; ++r) {
    out += fmt::format("{}\"{}\":{}", r ? "," : "", to_string(static_cast<Reason>(r)),
                       refusals_[r].load());
  }
  out += fmt::format(
      "}},\"sent\":{},\"published\":{},\"unmapped\":{},\"backlog_dropped\":{},"
      "\"handshaking\":{}}}",
      sent_.load(), published_.load(), unmapped_.load(), backlog_dropped_.load(),
      handshaking_.load());
  return out;
}

bool Counters::write_file(const std::filesystem::path& file) const {
  const auto temporary = std::filesystem::path(file.string() + ".tmp");
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) return false;
    out << to_json() << '\n';
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  return !ec;
}

bool Counters::should_log(Reason reason) noexcept {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  auto& last = last_logged_ms_[n(reason)];
  auto previous = last.load(std::memory_order_relaxed);
  if (previous != 0 && now - previous < 1000) return false;
  return last.compare_exchange_strong(previous, now, std::memory_order_relaxed);
}

}  // namespace enlace::tak
