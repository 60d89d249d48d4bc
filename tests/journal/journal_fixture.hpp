// What the journal tests share: a fresh temporary directory per test, messages that own
// their bytes, and readers that copy what a cursor returns.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "enlace/journal/journal.hpp"

namespace enlace::journal::test {

/// A directory of its own under the system's temporary directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "enlace-journal-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// The reason of a failed result, empty for a good one: what INFO() shows.
template <class R>
std::string reason_of(const R& result) {
  return result.ok() ? std::string() : result.error().reason;
}

/// A record with its own bytes; record() views them.
struct Message {
  std::uint64_t sequence = 0;
  std::int64_t time_ns = 0;
  std::string topic;
  std::vector<std::uint8_t> header;
  std::vector<std::uint8_t> envelope;

  Record record() const { return {sequence, time_ns, topic, header, envelope}; }
  bool operator==(const Message&) const = default;

  static Message from(const Record& r) {
    return {r.sequence, r.time_ns, std::string(r.topic),
            std::vector<std::uint8_t>(r.header.begin(), r.header.end()),
            std::vector<std::uint8_t>(r.envelope.begin(), r.envelope.end())};
  }
};

inline constexpr std::int64_t kBaseTime = 1764316800000000000;  // 2025-11-28T08:00:00Z

/// `count` messages from `first`, sequences `step` apart, times 1 ms apart, envelopes of
/// `envelope_bytes` whose content depends on the sequence.
inline std::vector<Message> make_messages(std::uint64_t first, std::size_t count,
                                          std::uint64_t step = 1,
                                          std::size_t envelope_bytes = 200) {
  std::vector<Message> out;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t seq = first + i * step;
    Message m;
    m.sequence = seq;
    m.time_ns = kBaseTime + static_cast<std::int64_t>(seq) * 1'000'000;
    m.topic = "track.col.radar-" + std::to_string(seq % 7);
    m.header = {'C', 'O', 'L', static_cast<std::uint8_t>(seq)};
    m.envelope.resize(envelope_bytes);
    for (std::size_t b = 0; b < envelope_bytes; ++b) {
      m.envelope[b] = static_cast<std::uint8_t>(seq * 31 + b);
    }
    out.push_back(std::move(m));
  }
  return out;
}

inline std::vector<Record> records_of(const std::vector<Message>& messages) {
  std::vector<Record> out;
  for (const Message& m : messages) out.push_back(m.record());
  return out;
}

inline void append_all(Journal& journal, const std::vector<Message>& messages) {
  const std::vector<Record> records = records_of(messages);
  const Status appended = journal.append(records);
  INFO(reason_of(appended));
  REQUIRE(appended.ok());
}

/// Everything the cursor returns until it returns nothing, in slices of `buffer_bytes`.
inline std::vector<Message> drain(Cursor& cursor, std::size_t buffer_bytes = 64 * 1024,
                                  std::size_t max_records = 1000) {
  std::vector<std::uint8_t> buffer(buffer_bytes);
  std::vector<Message> out;
  for (;;) {
    auto slice = cursor.read(buffer, max_records);
    INFO(reason_of(slice));
    REQUIRE(slice.ok());
    if (slice->empty()) return out;
    for (const Record& r : *slice) out.push_back(Message::from(r));
  }
}

inline std::unique_ptr<Journal> open_journal(const std::filesystem::path& dir,
                                             const Options& options = {}) {
  auto opened = Journal::open(dir, options);
  INFO(reason_of(opened));
  REQUIRE(opened.ok());
  return std::move(*opened);
}

inline std::vector<std::filesystem::path> files_with(const std::filesystem::path& dir,
                                                     const std::string& extension) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == extension) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

/// Small segments, so that tests roll over with a few records.
inline Options small_segments(std::uint64_t segment_bytes = 4096) {
  Options options;
  options.segment_bytes = segment_bytes;
  options.index_interval_bytes = 512;
  return options;
}

}  // namespace enlace::journal::test
