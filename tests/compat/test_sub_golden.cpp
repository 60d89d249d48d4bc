// `enlace sub` output against golden files: each golden/sub/NAME.bin holds a deliver frame,
// NAME.json the line the tool prints for it (JsonCodec::delivery_to_json and a newline),
// compared byte for byte. Everything in a line, times included, comes from the frame.
//
// On a mismatch the test prints where the lines part and writes what the codec produced to
// ENLACE_GOLDEN_ACTUAL_DIR/NAME.json; if the change is intended, review it and copy that file
// over the golden one (golden/sub/README.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "enlace/delivery.hpp"
#include "enlace/protocol/frame.hpp"
#include "json_codec.hpp"

using namespace enlace;

namespace {

std::vector<char> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The delivery of a golden input, verified as the SDK verifies what it receives.
Delivery delivery_from(const std::filesystem::path& path) {
  const std::vector<char> bytes = read_file(path);
  INFO("golden input " << path.string());
  REQUIRE(!bytes.empty());
  auto storage = std::make_shared<std::vector<std::uint64_t>>(bytes.size() / 8 + 1);
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(storage->data()));
  const wire::Bytes frame_bytes(reinterpret_cast<const std::uint8_t*>(storage->data()),
                                bytes.size());
  wire::FrameView frame;
  REQUIRE(wire::parse_frame(frame_bytes, frame) == Errc::ok);
  REQUIRE(frame.command == wire::Command::deliver);
  REQUIRE(wire::verify_body(frame) == Errc::ok);
  auto delivery = Delivery::from_bytes(storage, frame.body);
  REQUIRE(delivery.ok());
  return *delivery;
}

// Where two texts part, shown as a diff of the line around that place with a marker.
std::string describe_difference(const std::string& expected, const std::string& actual) {
  const auto mismatch =
      std::mismatch(expected.begin(), expected.end(), actual.begin(), actual.end());
  const auto at = static_cast<std::size_t>(mismatch.first - expected.begin());
  const std::size_t from = at > 60 ? at - 60 : 0;
  std::ostringstream out;
  out << "first difference at byte " << at << " (golden " << expected.size() << " bytes, actual "
      << actual.size() << "; - golden, + actual)\n"
      << "- " << expected.substr(from, 120) << "\n"
      << "+ " << actual.substr(from, 120) << "\n"
      << "  " << std::string(at - from, ' ') << "^";
  return out.str();
}

// Renders golden/sub/NAME.bin as `enlace sub` prints it and compares with NAME.json.
void check_golden(const std::string& name) {
  static const cli::JsonCodec codec;
  const std::filesystem::path golden_dir(ENLACE_GOLDEN_DIR);
  const std::filesystem::path actual_dir(ENLACE_GOLDEN_ACTUAL_DIR);

  const std::string actual =
      codec.delivery_to_json(delivery_from(golden_dir / (name + ".bin"))) + "\n";
  const std::vector<char> golden = read_file(golden_dir / (name + ".json"));
  const std::string expected(golden.begin(), golden.end());
  const auto actual_path = actual_dir / (name + ".json");
  if (actual == expected) {
    std::filesystem::remove(actual_path);  // a stale file from an earlier failure
    SUCCEED(name << ".json matches");
    return;
  }
  std::filesystem::create_directories(actual_dir);
  std::ofstream(actual_path, std::ios::binary) << actual;
  FAIL_CHECK(name << ".json differs from the codec's output.\n"
                  << (golden.empty() ? "(the golden file is missing or empty)\n"
                                     : describe_difference(expected, actual) + "\n")
                  << "actual output written to " << actual_path.string() << "\n"
                  << "if the change is intended, review it and copy it over:\n"
                  << "  cp " << actual_path.string() << " \\\n"
                  << "     " << (golden_dir / (name + ".json")).string());
}

// Every golden input in the folder, by name; each has a TEST_CASE below.
const std::set<std::string> kGoldens = {"alert",
                                        "detection",
                                        "opaque",
                                        "position-report",
                                        "sealed",
                                        "spot-report",
                                        "tasking",
                                        "text-invalid-utf8",
                                        "text-unlabelled",
                                        "track-labelled",
                                        "unknown-payload-type"};

}  // namespace

TEST_CASE("sub golden: every input in golden/sub has a test and a .json", "[compat][golden]") {
  std::set<std::string> inputs;
  for (const auto& entry : std::filesystem::directory_iterator(ENLACE_GOLDEN_DIR)) {
    if (entry.path().extension() == ".bin") inputs.insert(entry.path().stem().string());
  }
  CHECK(inputs == kGoldens);
  for (const std::string& name : inputs) {
    INFO(name);
    CHECK(std::filesystem::exists(std::filesystem::path(ENLACE_GOLDEN_DIR) / (name + ".json")));
  }
}

TEST_CASE("sub golden: a Track with a releasable-to label", "[compat][golden]") {
  check_golden("track-labelled");
}

TEST_CASE("sub golden: a PositionReport, NaN fields left out", "[compat][golden]") {
  check_golden("position-report");
}

TEST_CASE("sub golden: a Detection with a media digest", "[compat][golden]") {
  check_golden("detection");
}

TEST_CASE("sub golden: an Alert with an area and related tracks", "[compat][golden]") {
  check_golden("alert");
}

TEST_CASE("sub golden: a SpotReport with text that is not ASCII", "[compat][golden]") {
  check_golden("spot-report");
}

TEST_CASE("sub golden: a Tasking that never goes stale", "[compat][golden]") {
  check_golden("tasking");
}

TEST_CASE("sub golden: a Text without a label table", "[compat][golden]") {
  check_golden("text-unlabelled");
}

TEST_CASE("sub golden: a Sealed payload, shown but not opened", "[compat][golden]") {
  check_golden("sealed");
}

TEST_CASE("sub golden: an Opaque vendor payload", "[compat][golden]") {
  check_golden("opaque");
}

TEST_CASE("sub golden: a payload type newer than the tool", "[compat][golden]") {
  check_golden("unknown-payload-type");
}

TEST_CASE("sub golden: a Text that is not valid UTF-8", "[compat][golden]") {
  check_golden("text-invalid-utf8");
}
