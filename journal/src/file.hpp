// POSIX file operations of the journal, with errors as enlace::ErrorInfo: the operation,
// errno's text and the path, under Errc::storage_unavailable (a durable publish could not be
// stored; retry), the path as enlace/journal/error.hpp says. Used by the writer thread, and
// by readers for pread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enlace/result.hpp"

namespace enlace::journal::detail {

/// An owned file descriptor, closed on destruction.
class File {
 public:
  File() = default;
  explicit File(int fd) noexcept : fd_(fd) {}
  ~File();
  File(File&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  int fd() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// `reason` followed by the file it concerns: "<reason> [file <path>]" (error.hpp).
std::string with_path(std::string_view reason, const std::filesystem::path& path);
/// storage_unavailable: "<what>: <strerror(error)> [file <path>]".
ErrorInfo os_error(std::string_view what, const std::filesystem::path& path, int error);

/// Opens `path` with open(2) `flags` (O_CLOEXEC added) and mode 0644.
Result<File> open_file(const std::filesystem::path& path, int flags);
/// The file's size (fstat).
Result<std::uint64_t> file_size(const File& file, const std::filesystem::path& path);
/// Reads until `into` is full or the file ends; returns the bytes read.
Result<std::size_t> read_at(const File& file, const std::filesystem::path& path,
                            std::uint64_t offset, std::span<std::uint8_t> into);
/// Writes all of `bytes` at `offset`: one pwrite(2), more only after a short write.
Status write_at(const File& file, const std::filesystem::path& path, std::uint64_t offset,
                std::span<const std::uint8_t> bytes);
Status truncate_to(const File& file, const std::filesystem::path& path, std::uint64_t size);
Status sync_data(const File& file, const std::filesystem::path& path);
/// fsync of the directory itself, so that names created or renamed in it survive a crash.
Status sync_directory(const std::filesystem::path& dir);

/// Replaces `path` by a file holding `bytes`, whole or not at all: writes `path`.tmp, renames
/// it over `path`. With `durable`, fdatasync before the rename and fsync of the directory
/// after it, so that after a crash the file is the new one or the old one, never a mix.
Status replace_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                    bool durable);
/// The whole file (a small one: an index, a reservation).
Result<std::vector<std::uint8_t>> read_whole_file(const std::filesystem::path& path);

}  // namespace enlace::journal::detail
