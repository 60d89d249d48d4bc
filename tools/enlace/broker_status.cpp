// enlace broker status / enlace broker metrics: what a running broker says about itself,
// read from its HTTP endpoint (broker_http.hpp; docs/operations.md describes /status and
// /metrics). Read-only: neither command changes anything in the broker.
#include <flatbuffers/flexbuffers.h>
#include <flatbuffers/idl.h>
#include <fmt/format.h>

#include <cstdio>
#include <span>

#include "broker_http.hpp"
#include "commands.hpp"

namespace enlace::cli {
namespace {

constexpr OptionSpec kOptions[] = {{"http", true}, {"json", false}};

constexpr std::string_view kStatusUsage =
    R"usage(usage: enlace broker status [--http HOST:PORT] [--json]

Asks a running broker for its status (GET /status on its HTTP endpoint) and prints the
broker, its policy, totals and a table of its sessions: nation, system, role, remote
address, connected since, subscriptions, bytes queued, deliveries sent and dropped.

  --http HOST:PORT  the broker's HTTP endpoint (enlace-broker --http); default
                    $ENLACE_BROKER_HTTP, else 127.0.0.1:7451
  --json            print the broker's JSON document as it came

Exit status: 0 answered, 1 unreachable or not answering 200, 2 usage error.
)usage";

constexpr std::string_view kMetricsUsage =
    R"usage(usage: enlace broker metrics [--http HOST:PORT] [--json]

Prints a running broker's metrics (GET /metrics on its HTTP endpoint), in Prometheus text
format; docs/operations.md lists every metric.

  --http HOST:PORT  the broker's HTTP endpoint (enlace-broker --http); default
                    $ENLACE_BROKER_HTTP, else 127.0.0.1:7451
  --json            one JSON object per sample instead:
                    {"name":"enlace_sessions","labels":{},"value":2}

Exit status: 0 answered, 1 unreachable or not answering 200, 2 usage error.
)usage";

/// GET `path`, or print why not; nullopt when the command must fail.
std::optional<HttpReply> fetch_or_explain(const Args& args, const std::string& path) {
  const std::string address = broker_http_address(args);
  HttpReply reply = http_fetch(address, path);
  if (reply.status != 200) {
    fmt::print(stderr, "enlace broker: {} answered {} to GET {}: {}", address, reply.status, path,
               reply.body);
    return std::nullopt;
  }
  return reply;
}

std::string text(const flexbuffers::Reference& ref) {
  return ref.IsString() ? ref.AsString().str() : ref.ToString();
}

int run_status(const Args& args) {
  if (!args.positional().empty()) throw UsageError("broker status takes no arguments");
  const auto reply = fetch_or_explain(args, "/status");
  if (!reply) return kExitFailure;
  if (args.has("json")) {
    std::fwrite(reply->body.data(), 1, reply->body.size(), stdout);
    return kExitOk;
  }
  flatbuffers::Parser parser;
  flexbuffers::Builder builder;
  if (!parser.ParseFlexBuffer(reply->body.c_str(), nullptr, &builder)) {
    fmt::print(stderr, "enlace broker status: the broker's /status is not JSON: {}\n",
               parser.error_);
    return kExitFailure;
  }
  const auto root = flexbuffers::GetRoot(builder.GetBuffer()).AsMap();
  const auto server = root["server"].AsMap();
  const auto policy = root["policy"].AsMap();
  const auto totals = root["totals"].AsMap();
  fmt::print("broker {} {}, up {:.0f} s, {}; endpoint {}\n", text(server["broker_id"]),
             text(server["version"]), server["uptime_seconds"].AsDouble(),
             server["ready"].AsBool() ? "ready" : "NOT READY", text(server["endpoint"]));
  fmt::print("policy '{}' digest {} ({}), {} systems, {} reload(s) applied, {} refused\n",
             text(policy["coalition"]), text(policy["digest"]).substr(0, 12), text(policy["file"]),
             policy["systems"].AsUInt64(), policy["reloads"].AsUInt64(),
             policy["reload_failures"].AsUInt64());
  fmt::print(
      "totals: {} session(s) ({} detached), {} subscription(s), {} published, {} deliveries, "
      "{} withheld by policy, {} dropped, {} refusals answered, {} handshakes refused\n",
      totals["sessions"].AsUInt64(), totals["sessions_detached"].AsUInt64(),
      totals["subscriptions"].AsUInt64(), totals["published"].AsUInt64(),
      totals["deliveries"].AsUInt64(), totals["withheld"].AsUInt64(), totals["dropped"].AsUInt64(),
      totals["refusals_answered"].AsUInt64(), totals["handshakes_refused"].AsUInt64());
  const auto sessions = root["sessions"].AsVector();
  if (sessions.size() == 0) {
    fmt::print("\nno sessions\n");
    return kExitOk;
  }
  constexpr std::string_view kRow =
      "{:>7}  {:<6}  {:<20}  {:<14}  {:<22}  {:<24}  {:>4}  {:>9}  {:>10}  {:>8}{}\n";
  fmt::print("\n");
  fmt::print(kRow, "SESSION", "NATION", "SYSTEM", "ROLE", "REMOTE", "CONNECTED SINCE", "SUBS",
             "QUEUED_B", "DELIVERED", "DROPPED", "");
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    const auto row = sessions[i].AsMap();
    fmt::print(kRow, row["session_id"].AsUInt64(), text(row["nation"]), text(row["system"]),
               text(row["role"]), text(row["remote_address"]), text(row["connected_since"]),
               row["subscriptions"].AsUInt64(), row["queue_bytes"].AsUInt64(),
               row["delivered"].AsUInt64(), row["dropped"].AsUInt64(),
               row["detached"].AsBool() ? "  (detached)" : "");
  }
  if (const auto not_listed = root["sessions_not_listed"].AsUInt64(); not_listed > 0)
    fmt::print("... and {} more session(s) not listed\n", not_listed);
  return kExitOk;
}

// "name{a="x",b="y"} 12" -> {"name":"name","labels":{"a":"x","b":"y"},"value":12}. The
// broker's label values are escaped as the exposition format says; they are copied as
// they are, a JSON string's escapes being the same for \\ and \".
std::string sample_as_json(std::string_view line) {
  const auto brace = line.find('{');
  const auto space = line.rfind(' ');
  const std::string_view name = line.substr(0, std::min(brace, line.find(' ')));
  std::string labels;
  if (brace != std::string_view::npos && brace < space) {
    const std::string_view inside = line.substr(brace + 1, line.rfind('}') - brace - 1);
    std::size_t at = 0;
    while (at < inside.size()) {
      const auto eq = inside.find('=', at);
      if (eq == std::string_view::npos) break;
      std::size_t end = eq + 2;  // past ="
      while (end < inside.size() && inside[end] != '"') end += inside[end] == '\\' ? 2 : 1;
      if (!labels.empty()) labels += ',';
      labels += fmt::format("\"{}\":\"{}\"", inside.substr(at, eq - at),
                            inside.substr(eq + 2, end - eq - 2));
      at = end + 2;  // past ",
    }
  }
  std::string_view value = line.substr(space + 1);
  const bool finite = value != "+Inf" && value != "-Inf" && value != "NaN";
  return fmt::format("{{\"name\":\"{}\",\"labels\":{{{}}},\"value\":{}}}\n", name, labels,
                     finite ? std::string(value) : fmt::format("\"{}\"", value));
}

int run_metrics(const Args& args) {
  if (!args.positional().empty()) throw UsageError("broker metrics takes no arguments");
  const auto reply = fetch_or_explain(args, "/metrics");
  if (!reply) return kExitFailure;
  if (!args.has("json")) {
    std::fwrite(reply->body.data(), 1, reply->body.size(), stdout);
    return kExitOk;
  }
  std::string_view body = reply->body;
  while (!body.empty()) {
    const auto end = std::min(body.find('\n'), body.size());
    const std::string_view line = body.substr(0, end);
    body.remove_prefix(std::min(end + 1, body.size()));
    if (line.empty() || line.front() == '#') continue;
    const std::string json = sample_as_json(line);
    std::fwrite(json.data(), 1, json.size(), stdout);
  }
  return kExitOk;
}

}  // namespace

const Command& broker_status_command() {
  static const Command command{"broker status",
                               "a running broker's status and sessions (its HTTP endpoint)",
                               kStatusUsage, kOptions, run_status};
  return command;
}

const Command& broker_metrics_command() {
  static const Command command{"broker metrics",
                               "a running broker's metrics, Prometheus text or JSON", kMetricsUsage,
                               kOptions, run_metrics};
  return command;
}

}  // namespace enlace::cli
