// fuzz_replay_origin: the reader of a journaled record's origin (broker/src/journal_origin.hpp,
// read_origin), which replay and the COP rebuild at start run on every record's header
// before the audience check, then the lookups the broker makes with what it read
// (Broker::admit_journaled, broker/src/replay.cpp). Properties:
//   - the input lives in an allocation of exactly its size, so AddressSanitizer sees any
//     read past it;
//   - read_origin accepts exactly the headers a reference decoder, written from the
//     format, accepts: a length byte and that many nation bytes, a length byte and that
//     many system bytes, nothing after;
//   - an accepted header's views lie inside it, nation first and system right after its
//     length byte, and writing them again as Broker::journal_message does gives back the
//     input byte for byte;
//   - the policy (putumayo.toml) finds a system by the id read only when that is its id,
//     and the nation check admit_journaled makes agrees with the system's own nation.
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "journal_origin.hpp"

namespace {

using namespace enlace;

struct Origin {
  std::size_t nation_at = 0, nation_size = 0;
  std::size_t system_at = 0, system_size = 0;
};

/// The format, read the plain way: two length-prefixed parts filling the header.
bool reference_origin(const std::uint8_t* data, std::size_t size, Origin& out) {
  if (size < 1) return false;
  out.nation_at = 1;
  out.nation_size = data[0];
  const std::size_t second = 1 + out.nation_size;  // where the system's length byte is
  if (second + 1 > size) return false;
  out.system_at = second + 1;
  out.system_size = data[second];
  return out.system_at + out.system_size == size;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Exactly the input's size: a read one byte past the end is an ASan report.
  const std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[size == 0 ? 1 : size]);
  if (size > 0) std::memcpy(copy.get(), data, size);
  const std::span<const std::uint8_t> header(copy.get(), size);

  std::string_view nation, system;
  const bool read = broker::read_origin(header, nation, system);
  Origin expected;
  FUZZ_CHECK(read == reference_origin(copy.get(), size, expected));
  if (!read) return 0;

  const char* first = reinterpret_cast<const char*>(copy.get());
  FUZZ_CHECK(nation.data() == first + expected.nation_at);
  FUZZ_CHECK(nation.size() == expected.nation_size);
  FUZZ_CHECK(system.data() == first + expected.system_at);
  FUZZ_CHECK(system.size() == expected.system_size);
  FUZZ_CHECK(system.data() + system.size() == first + size);

  // Written again as the broker writes a header: the same bytes.
  std::vector<std::uint8_t> written;
  for (std::string_view part : {nation, system}) {
    written.push_back(static_cast<std::uint8_t>(part.size()));
    written.insert(written.end(), part.begin(), part.end());
  }
  FUZZ_CHECK(written.size() == size && std::memcmp(written.data(), copy.get(), size) == 0);

  // What admit_journaled asks next: is the system still in the coalition, and of that nation.
  const policy::Policy& policy = fuzz::startup_policy();
  fuzz::Sink sink;
  if (const policy::System* found = policy.find_system(system)) {
    FUZZ_CHECK(found->id == system);
    const std::string& code = policy.nations()[found->nation].code;
    sink.string_view(code);
    sink.scalar(code == nation);
    sink.scalar(found->revoked);
  }
  return 0;
}
