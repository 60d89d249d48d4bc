// enlace-journal-bench: the journal's own figures, without a broker (journal/).
//
//   enlace-journal-bench [--dir DIR] [--records N] [--size B] [--recovery-mib M]
//
//   --dir DIR          where the journals are written (default: the system's temporary
//                      directory); each run uses a fresh subdirectory and removes it
//   --records N        records per append figure (default 200000)
//   --size B           envelope bytes per record (default 200)
//   --recovery-mib M   size of the journal reopened for the recovery figures (default 256)
//
// Prints, one line each: appends in `write` mode (append only) and `fsync` mode (append,
// then sync, per batch) in batches of 64 and 256 records; replay (seek to the start, read
// everything in 256 KiB slices); and the time to open a journal of M MiB after a clean close
// (index files used) and without index files (every segment scanned, as after a crash).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "enlace/journal/journal.hpp"

namespace {

using namespace enlace::journal;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct Settings {
  fs::path dir = fs::temp_directory_path();
  std::uint64_t records = 200000;
  std::size_t size = 200;
  std::uint64_t recovery_mib = 256;
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "enlace-journal-bench: %s\n", what.c_str());
  std::exit(1);
}

template <class R>
void check(const R& result, std::string_view what) {
  if (!result.ok()) fail(std::string(what) + ": " + result.error().reason);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// A fresh directory under the bench's, removed when done.
class Scratch {
 public:
  explicit Scratch(const fs::path& parent) {
    std::string pattern = (parent / "enlace-journal-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      fail("cannot create a directory in " + parent.string());
    path_ = pattern;
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

/// Appends `count` records of `size` envelope bytes in batches of `batch`, from sequence
/// `first`; with `sync`, one fdatasync per batch. The records differ only in sequence and
/// time: the journal copies and checksums every byte whatever it holds.
void fill(Journal& journal, std::uint64_t first, std::uint64_t count, std::size_t size,
          std::size_t batch, bool sync) {
  const std::vector<std::uint8_t> envelope(size, 0xa5);
  const std::vector<std::uint8_t> header = {'C', 'O', 'L', '/', 'r', 'a', 'd', 'a', 'r'};
  std::vector<Record> records(batch);
  for (std::uint64_t done = 0; done < count;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, count - done));
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t sequence = first + done + i;
      records[i] = {sequence, static_cast<std::int64_t>(sequence), "track.col.radar-1", header,
                    envelope};
    }
    check(journal.append({records.data(), n}), "append");
    if (sync) check(journal.sync(), "sync");
    done += n;
  }
}

void append_figure(const Settings& s, std::size_t batch, bool sync) {
  Scratch scratch(s.dir);
  auto journal = Journal::open(scratch.path());
  check(journal, "open");
  // fsync mode is bounded by the disk's flush latency: a tenth of the records is enough.
  const std::uint64_t count = sync ? std::max<std::uint64_t>(s.records / 10, batch) : s.records;
  const auto start = Clock::now();
  fill(**journal, 1, count, s.size, batch, sync);
  const double took = seconds_since(start);
  const double bytes = static_cast<double>((*journal)->bytes());
  std::printf("append %-5s batch %3zu: %9.0f records/s %8.1f MB/s  (%llu records, %.2f s)\n",
              sync ? "fsync" : "write", batch, static_cast<double>(count) / took,
              bytes / took / 1e6, static_cast<unsigned long long>(count), took);
}

void replay_figure(const Settings& s) {
  Scratch scratch(s.dir);
  auto journal = Journal::open(scratch.path());
  check(journal, "open");
  fill(**journal, 1, s.records, s.size, 256, false);
  Cursor cursor = (*journal)->cursor();
  std::vector<std::uint8_t> buffer(256 * 1024);
  const auto start = Clock::now();
  cursor.seek_sequence(1);
  std::uint64_t read = 0;
  for (;;) {
    auto slice = cursor.read(buffer, 4096);
    check(slice, "read");
    if (slice->empty()) break;
    read += slice->size();
  }
  const double took = seconds_since(start);
  if (read != s.records) fail("replay read " + std::to_string(read) + " records");
  std::printf(
      "replay (seek + read, 256 KiB slices): %9.0f records/s %8.1f MB/s  (%.2f s, page cache "
      "warm)\n",
      static_cast<double>(read) / took, static_cast<double>((*journal)->bytes()) / took / 1e6,
      took);
}

void recovery_figures(const Settings& s) {
  Scratch scratch(s.dir);
  const std::uint64_t record_bytes = s.size + 60;
  const std::uint64_t count = s.recovery_mib * 1024 * 1024 / record_bytes;
  {
    auto journal = Journal::open(scratch.path());
    check(journal, "open");
    fill(**journal, 1, count, s.size, 256, false);
    check((*journal)->close(), "close");
  }
  const auto reopen = [&](const char* what) {
    const auto start = Clock::now();
    auto journal = Journal::open(scratch.path());
    check(journal, "open");
    const double took = seconds_since(start);
    const RecoveryReport& r = (*journal)->recovery();
    std::printf(
        "open %s: %8.1f ms  (%llu MiB, %llu segments, %llu scanned, %llu records; report %.1f "
        "ms)\n",
        what, took * 1e3, static_cast<unsigned long long>(r.bytes >> 20),
        static_cast<unsigned long long>(r.segments),
        static_cast<unsigned long long>(r.segments_scanned),
        static_cast<unsigned long long>(r.records),
        std::chrono::duration<double, std::milli>(r.duration).count());
  };
  reopen("after a clean close (index files)");
  for (const auto& entry : fs::directory_iterator(scratch.path())) {
    if (entry.path().extension() == ".idx") fs::remove(entry.path());
  }
  reopen("without index files (all scanned)");
}

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--dir") {
      s.dir = value();
    } else if (arg == "--records") {
      s.records = std::stoull(value());
    } else if (arg == "--size") {
      s.size = std::stoull(value());
    } else if (arg == "--recovery-mib") {
      s.recovery_mib = std::stoull(value());
    } else {
      fail("unknown argument " + std::string(arg) +
           " (--dir DIR --records N --size B --recovery-mib M)");
    }
  }
  if (s.records == 0) fail("--records must be above 0");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const Settings s = parse(argc, argv);
  std::printf("enlace-journal-bench: %llu records of %zu envelope bytes in %s\n",
              static_cast<unsigned long long>(s.records), s.size, s.dir.c_str());
  for (const bool sync : {false, true}) {
    for (const std::size_t batch : {64, 256}) append_figure(s, batch, sync);
  }
  replay_figure(s);
  recovery_figures(s);
  return 0;
}
