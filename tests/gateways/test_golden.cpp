// Golden files: sentences in, bus payloads (as JSON) out, for every sentence and message
// type the gateways decode, and the counters of each source at the end.
//
// Input (tests/gateways/golden/<gateway>/<case>.in): one line per line fed, except
//   # ...            a comment
//   @source NAME     the lines that follow come from that source
//   @advance S       both clocks move on S seconds
// Expected output: <case>.out next to it. ENLACE_UPDATE_GOLDEN=1 rewrites the .out files
// from what the gateway produces; review the diff before committing it.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "golden_sink.hpp"
#include "nmea/pipeline.hpp"
#include "sbs/pipeline.hpp"

namespace {

namespace fs = std::filesystem;
using namespace enlace;
using namespace enlace::gateway;

// 2026-12-02T07:30:00Z
constexpr std::int64_t kStartUtc = 1796196600LL * 1'000'000'000;
constexpr std::int64_t kStartSteady = 1000LL * 1'000'000'000;

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Feeds `input` line by line; `feed(source, line, utc, steady)`.
template <class Feed>
void replay(const std::vector<std::string>& input, const std::vector<std::string>& sources,
            Feed&& feed) {
  std::size_t source = 0;
  std::int64_t utc = kStartUtc, steady = kStartSteady;
  for (const std::string& line : input) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("@source ", 0) == 0) {
      const auto it = std::find(sources.begin(), sources.end(), line.substr(8));
      REQUIRE(it != sources.end());
      source = static_cast<std::size_t>(it - sources.begin());
      continue;
    }
    if (line.rfind("@advance ", 0) == 0) {
      const auto ns = static_cast<std::int64_t>(std::stod(line.substr(9)) * 1e9);
      utc += ns;
      steady += ns;
      continue;
    }
    feed(source, line, utc, steady);
  }
}

void compare(const fs::path& expected_path, const std::vector<std::string>& actual) {
  std::string text;
  for (const auto& line : actual) text += line + "\n";
  if (const char* update = std::getenv("ENLACE_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(expected_path) << text;
  }
  std::ifstream in(expected_path);
  INFO("golden file " << expected_path.string() << " (ENLACE_UPDATE_GOLDEN=1 rewrites it)");
  REQUIRE(in);
  std::stringstream expected;
  expected << in.rdbuf();
  const std::string want = expected.str();
  if (want != text) {
    // Show the first line that differs.
    std::istringstream a(want), b(text);
    std::string la, lb;
    int n = 1;
    while (std::getline(a, la) && std::getline(b, lb) && la == lb) ++n;
    INFO("first difference at line " << n << "\nexpected: " << la << "\nactual:   " << lb);
    CHECK(want == text);
  }
}

nmea::NmeaSettings nmea_settings() {
  nmea::NmeaSettings s;
  s.nation = "COL";
  s.radio_interval = std::chrono::nanoseconds(0);
  s.ais_interval = std::chrono::nanoseconds(0);
  s.log_rejects = false;
  s.radios = {
      {"C12", "CONDOR 12", "radio", "", "r12"},
      {"P21", "PIRANA 21", "radio", "", ""},
      {"J03", "JAGUAR 3", "gpsd", "", "/dev/ttyACM0"},
  };
  s.watch = {{730000666, wire::StandardIdentity::Suspect},
             {760000666, wire::StandardIdentity::Hostile}};
  return s;
}

std::vector<std::string> run_nmea(const fs::path& input) {
  const std::vector<nmea::SourceInfo> sources = {
      {"radio", "radio", nmea::SourceFormat::nmea},
      {"gpsd", "gpsd", nmea::SourceFormat::gpsd},
      {"ais", "rx1", nmea::SourceFormat::nmea},
  };
  test::GoldenSink sink;
  nmea::NmeaPipeline pipeline(nmea_settings(), sources, sink);
  replay(read_lines(input), {"radio", "gpsd", "ais"},
         [&](std::size_t source, const std::string& line, std::int64_t utc, std::int64_t steady) {
           pipeline.on_line(source, "127.0.0.1:40001", line, {utc, steady});
         });
  std::vector<std::string> out = sink.lines;
  for (const SourceCounters& c : pipeline.counters()) {
    if (c.lines > 0) out.push_back("{\"counters\":" + c.to_json() + "}");
  }
  return out;
}

std::vector<std::string> run_sbs(const fs::path& input) {
  sbs::SbsSettings settings;
  settings.nation = "COL";
  settings.interval = std::chrono::nanoseconds(0);
  settings.receiver_clock = true;
  settings.receiver_zone = sbs::ReceiverClock(-std::chrono::hours(5));
  settings.log_rejects = false;
  test::GoldenSink sink;
  sbs::SbsPipeline pipeline(settings, {{"dump1090", "rx-leticia"}}, sink);
  replay(read_lines(input), {"dump1090"},
         [&](std::size_t source, const std::string& line, std::int64_t utc, std::int64_t steady) {
           pipeline.on_line(source, line, {utc, steady});
         });
  std::vector<std::string> out = sink.lines;
  for (const SourceCounters& c : pipeline.counters()) {
    out.push_back("{\"counters\":" + c.to_json() + "}");
  }
  return out;
}

std::vector<fs::path> cases(const std::string& gateway) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(fs::path(ENLACE_GOLDEN_DIR) / gateway)) {
    if (entry.path().extension() == ".in") found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

TEST_CASE("NMEA gateway golden files: radio positions, gpsd, AIS", "[golden][nmea]") {
  const auto inputs = cases("nmea");
  REQUIRE(inputs.size() >= 5);
  for (const fs::path& input : inputs) {
    SECTION(input.filename().string()) {
      compare(fs::path(input).replace_extension(".out"), run_nmea(input));
    }
  }
}

TEST_CASE("SBS gateway golden files: MSG 1-8, squawk alerts, missing fields", "[golden][sbs]") {
  const auto inputs = cases("sbs");
  REQUIRE(!inputs.empty());
  for (const fs::path& input : inputs) {
    SECTION(input.filename().string()) {
      compare(fs::path(input).replace_extension(".out"), run_sbs(input));
    }
  }
}
