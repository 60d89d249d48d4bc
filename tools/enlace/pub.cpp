// enlace pub: publishes a payload written as JSON and waits for the broker's answer.
//
// The payload is parsed before connecting, so a typo costs no round trip. The envelope's
// origin is the identity from the session's Welcome: the broker refuses any other.
#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "commands.hpp"
#include "enlace/envelope_builder.hpp"
#include "enlace/topic.hpp"
#include "json_codec.hpp"
#include "session.hpp"

namespace enlace::cli {
namespace {

constexpr std::array<OptionSpec, 15> kOptions = {{
    kBrokerOption,
    kBrokerKeyOption,
    kKeysOption,
    kContextOption,
    kConnectTimeoutOption,
    {"topic", true, 't'},
    {"type", true},
    {"output", true, 'o'},
    {"release", true},
    {"classification", true},
    {"ttl", true},
    {"count", true, 'n'},
    {"json", true},
    {"file", true, 'f'},
    {"timeout", true},
}};

const std::string& usage() {
  static const std::string text =
      std::string(
          R"usage(usage: enlace pub [--broker ENDPOINT --broker-key FILE --keys BASE] --topic TOPIC --type TYPE
                  [--release NATIONS] [--classification LEVEL] [--ttl S] [--count N]
                  [--json TEXT | --file FILE] [--output json]

Publishes one message (or N) and waits for the broker's acknowledgement, which means the
broker accepted it: it computed the audience and routed it to its subscribers' queues.
The payload is JSON with the field names of schemas/payloads.fbs, read from --json,
--file, or standard input, e.g. for --type Track:
  {"track_id": "T1", "position": {"point": {"lat_deg": -0.19, "lon_deg": -74.78}},
   "identity": "Suspect"}

)usage") +
      std::string(kBrokerOptionsUsage) +
      R"usage(  -t, --topic TOPIC        e.g. track.COL.radar.rx17.T1 (no wildcards)
  --type TYPE              Track, PositionReport, Detection, Alert, SpotReport, Tasking,
                           Text or Opaque
  --release NATIONS        releasable to, e.g. COL,ECU (default: the sharing agreements
                           decide)
  --classification LEVEL   UNMARKED, UNCLASSIFIED (default), RESTRICTED, CONFIDENTIAL,
                           SECRET or TOP_SECRET
  --ttl S                  seconds until the message is stale (default 300; 0 = never)
  -n, --count N            publish N messages with this payload (default 1)
  --json TEXT              the payload
  -f, --file FILE          read the payload from FILE (- for standard input)
  --timeout S              seconds to wait for each acknowledgement (default 5)
  -o, --output json        print each acknowledgement as a JSON object (--json is the
                           payload here)

Prints "ok sequence=N audience=K id=UUID" per acknowledged message (K: nations in the
audience). A refusal prints "error: <code> (<number>): <reason>" on stderr.

Exit status: 0 every message acknowledged, 1 refused, handshake or key refused, or not
acknowledged, 2 usage error or a payload that does not parse, 4 the broker could not be
reached (connection refused, unreachable, no session within --connect-timeout).
)usage";
  return text;
}

// The payload text and the name parser messages use for it.
std::pair<std::string, std::string> read_payload(const Args& args) {
  if (args.has("json") && args.has("file"))
    throw UsageError("give the payload with --json or --file, not both");
  if (auto json = args.value("json")) return {std::move(*json), "--json"};
  const std::string file = args.value("file").value_or("-");
  std::stringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
    return {text.str(), "<stdin>"};
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError("cannot read payload file '" + file + "'");
  text << in.rdbuf();
  return {text.str(), file};
}

PublishOptions publish_options(const Args& args) {
  PublishOptions options;
  if (auto release = args.value("release"))
    options.label.releasable_to = split_list(*release, "release");
  if (auto level = args.value("classification")) {
    const auto parsed = classification_from_name(*level);
    if (!parsed) {
      throw UsageError("unknown classification '" + *level +
                       "' (UNMARKED, UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET, TOP_SECRET)");
    }
    options.label.classification = *parsed;
  }
  if (auto ttl = args.value("ttl")) options.time_to_live = parse_seconds(*ttl, "ttl");
  return options;
}

int run(const Args& args) {
  if (!args.positional().empty())
    throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  const std::string topic = args.required("topic");
  if (!topic::is_valid_topic(topic)) {
    throw UsageError("'" + topic + "' is not a valid topic: dot-separated tokens, no wildcards");
  }
  const std::string type_name = args.required("type");
  const auto type = payload_type_from_name(type_name);
  if (!type) {
    throw UsageError(
        "unknown payload type '" + type_name +
        "' (Track, PositionReport, Detection, Alert, SpotReport, Tasking, Text, Opaque)");
  }
  const PublishOptions options = publish_options(args);
  const std::uint64_t count = args.has("count") ? parse_count(*args.value("count"), "count") : 1;
  if (count == 0) throw UsageError("--count wants at least 1");
  const auto ack_timeout = args.has("timeout") ? parse_seconds(*args.value("timeout"), "timeout")
                                               : std::chrono::milliseconds(5000);

  const JsonCodec codec;
  const auto [json, source] = read_payload(args);
  const auto payload = codec.json_to_payload(*type, json, source);
  if (!payload) {
    fmt::print(stderr, "error: invalid {} payload: {}\n", payload_type_name(*type),
               payload.error().reason);
    return kExitUsage;
  }

  const auto output = args.value("output").value_or("text");
  if (output != "text" && output != "json")
    throw UsageError("--output wants text or json, not '" + output + "'");
  const bool json_output = output == "json";

  auto client_opts = client_options(args, "pub");
  if (!client_opts) {
    print_error(client_opts.error());
    return kExitFailure;
  }
  ConnectionWatch watch;
  watch.attach(*client_opts);
  const std::string endpoint = client_opts->endpoint;
  const auto client = make_client(std::move(*client_opts));
  bool interrupted = false;
  if (const auto failed =
          await_session(*client, watch, endpoint, connect_timeout(args), -1, interrupted)) {
    print_error(*failed);
    return exit_status_for(*failed);
  }
  const SessionInfo session = client->session();

  EnvelopeEncoder builder;
  for (std::uint64_t i = 0; i < count; ++i) {
    builder.clear();
    const auto offset = codec.copy_payload(builder.fbb(), *type, *payload);
    const wire::Uuid id =
        builder.finish_any(topic, {session.nation, session.system}, *type, offset, options);
    const auto ack = client->publish_envelope(builder.bytes(), true, ack_timeout);
    if (!ack) {
      print_error(ack.error());
      return kExitFailure;
    }
    if (json_output) {
      fmt::print("{{\"sequence\":{},\"audience\":{},\"id\":\"{}\",\"topic\":{}}}\n", ack->sequence,
                 ack->audience_nations, format_uuid(id), json_quote(topic));
    } else {
      fmt::print("ok sequence={} audience={} id={}\n", ack->sequence, ack->audience_nations,
                 format_uuid(id));
    }
    std::fflush(stdout);
  }
  client->close();
  return kExitOk;
}

}  // namespace

const Command& pub_command() {
  static const Command command{"pub", "publish a message written as JSON and wait for the ack",
                               usage(), kOptions, run};
  return command;
}

}  // namespace enlace::cli
