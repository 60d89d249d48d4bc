// Cross-check with independent decoders: tests/gateways/crosscheck/sample.nmea (a sample
// of the golden inputs) decoded by two npm packages nobody on the project wrote
// (ais-stream-decoder, nmea-simple; crosscheck/decode.js prints what they decode) and by
// the gateway's decoders must agree field by field. scripts/setup.sh installs the npm
// packages (npm ci); without node or them the test fails rather than passing unchecked.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "nmea/decode/ais_messages.hpp"
#include "nmea/decode/ais_reassembly.hpp"
#include "nmea/decode/nmea_position.hpp"

namespace {

using namespace enlace::gateway;
using namespace enlace::gateway::nmea;

std::string number(double value) {
  std::string text = fmt::format("{:.6f}", value);
  return text;
}

std::string opt(const std::optional<double>& value) {
  return value ? number(*value) : "na";
}

std::string speed_kn(const std::optional<double>& mps) {
  return mps ? number(*mps / kKnotToMps) : "na";
}

std::string text(const std::optional<std::string>& t) {
  std::string out = t.value_or("");
  for (char& c : out) c = c == ' ' ? '_' : c;
  return out;
}

std::string dims(const AisDimensions& d) {
  return fmt::format("bow={} stern={} port={} starboard={}", d.to_bow_m.value_or(0),
                     d.to_stern_m.value_or(0), d.to_port_m.value_or(0),
                     d.to_starboard_m.value_or(0));
}

// Our decoding, in decode.js's vocabulary (absent ship type, dimensions and IMO are 0,
// absent navigational status is 15, as the npm decoder prints them).
std::string describe(const AisMessage& message, unsigned type) {
  if (const auto* p = std::get_if<AisPosition>(&message)) {
    std::string out =
        fmt::format("ais type={} mmsi={} lat={} lon={} sog_kn={} cog={} heading={}", type, p->mmsi,
                    opt(p->lat_deg), opt(p->lon_deg), speed_kn(p->speed_mps), opt(p->course_deg),
                    p->heading_deg ? number(*p->heading_deg) : "na");
    if (!p->class_b()) out += fmt::format(" status={}", p->nav_status.value_or(15));
    return out;
  }
  if (const auto* s = std::get_if<AisStatic>(&message)) {
    if (s->type == 5) {
      return fmt::format(
          "ais type=5 mmsi={} name={} callsign={} shiptype={} {} imo={} draught={} "
          "destination={}",
          s->mmsi, text(s->name), text(s->callsign), s->ship_type.value_or(0), dims(s->dimensions),
          s->imo.value_or(0), number(s->draught_m.value_or(0)), text(s->destination));
    }
    if (s->part == 0) return fmt::format("ais type=24 mmsi={} name={}", s->mmsi, text(s->name));
    std::string out = fmt::format("ais type=24 mmsi={} callsign={} shiptype={}", s->mmsi,
                                  text(s->callsign), s->ship_type.value_or(0));
    if (s->mmsi / 10'000'000 != 98) out += " " + dims(s->dimensions);
    return out;
  }
  if (const auto* b = std::get_if<AisBaseStation>(&message)) {
    return fmt::format("ais type=4 mmsi={} lat={} lon={}", b->mmsi, opt(b->lat_deg),
                       opt(b->lon_deg));
  }
  return "ais unsupported";
}

std::vector<std::string> ours(const std::string& path) {
  std::vector<std::string> out;
  AisReassembler reassembler({});
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto sentence = parse_sentence(line);
    REQUIRE(sentence);
    if (sentence->start == '!') {
      auto fragment = parse_ais_fragment(*sentence);
      REQUIRE(fragment);
      fragment->address = std::string_view(line).substr(1, 5);
      auto bits = reassembler.feed(*fragment, 0);
      REQUIRE(bits);
      if (!*bits) continue;
      const auto message = decode_ais(**bits);
      REQUIRE(message);
      out.push_back(describe(*message, ais_type(**bits)));
      continue;
    }
    const auto decoded = decode_radio(*sentence);
    REQUIRE(decoded);
    const Fix& fix = std::get<Fix>(*decoded);
    std::string d =
        fmt::format("nmea id={} lat={} lon={}", fix.type, number(fix.lat_deg), number(fix.lon_deg));
    if (fix.type == "GGA") {
      d += fmt::format(" alt={} sep={}", opt(fix.altitude_msl_m), opt(fix.geoid_separation_m));
    }
    if (fix.type == "RMC")
      d += fmt::format(" sog_kn={} cog={}", speed_kn(fix.speed_mps), opt(fix.course_deg));
    out.push_back(d);
  }
  return out;
}

std::map<std::string, std::string> fields(const std::string& line) {
  std::map<std::string, std::string> out;
  std::istringstream in(line);
  std::string word;
  in >> out["kind"];
  while (in >> word) {
    const auto eq = word.find('=');
    out[word.substr(0, eq)] = eq == std::string::npos ? "" : word.substr(eq + 1);
  }
  return out;
}

bool same(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a);
  const double y = std::strtod(b.c_str(), &end_b);
  if (a.empty() || b.empty() || *end_a != '\0' || *end_b != '\0') return false;
  return std::fabs(x - y) < 1e-5;
}

}  // namespace

TEST_CASE("AIS and NMEA decoding agrees with independent npm decoders", "[crosscheck][nmea]") {
  const std::string dir = ENLACE_CROSSCHECK_DIR;
  const std::string sample = dir + "/sample.nmea";
  const std::string command = "node " + dir + "/decode.js " + sample + " 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe);
  std::string output;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  INFO("node decode.js said:\n" << output << "(run scripts/setup.sh to install the packages)");
  REQUIRE(status == 0);

  std::vector<std::string> theirs;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) theirs.push_back(line);
  }
  const std::vector<std::string> mine = ours(sample);
  REQUIRE(theirs.size() == mine.size());
  REQUIRE(mine.size() >= 18);
  for (std::size_t i = 0; i < mine.size(); ++i) {
    INFO("line " << i << "\n ours:   " << mine[i] << "\n theirs: " << theirs[i]);
    const auto a = fields(mine[i]);
    const auto b = fields(theirs[i]);
    CHECK(a.size() == b.size());
    for (const auto& [key, value] : a) {
      INFO("field " << key);
      REQUIRE(b.count(key) == 1);
      CHECK(same(value, b.at(key)));
    }
  }
}
