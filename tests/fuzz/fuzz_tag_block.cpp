// fuzz_tag_block: NMEA 4.10 tag blocks (gateways/nmea/decode/tag_block.hpp).
//
// Properties: the sentence after an accepted tag block is the rest of the input, at most
// kMaxTagBlockBytes + 2 bytes in; a line without a leading backslash is returned whole
// with no tags; the station name lies inside the input.
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "nmea/decode/tag_block.hpp"

using namespace enlace::gateway::nmea;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto tagged = split_tag_block(line);
  if (!tagged) {
    FUZZ_CHECK(!line.empty() && line[0] == '\\');
    return 0;
  }
  if (line.empty() || line[0] != '\\') {
    FUZZ_CHECK(!tagged->tags && tagged->sentence == line);
    return 0;
  }
  FUZZ_CHECK(tagged->tags.has_value());
  const std::size_t consumed = line.size() - tagged->sentence.size();
  FUZZ_CHECK(consumed <= kMaxTagBlockBytes + 2);
  FUZZ_CHECK(line.substr(consumed) == tagged->sentence);
  const std::string_view station = tagged->tags->source;
  FUZZ_CHECK(station.empty() || (station.data() >= line.data() &&
                                 station.data() + station.size() <= line.data() + consumed));
  return 0;
}
