// The broker's message sequence across restarts. The broker numbers every message, durable
// or not, and only durable ones reach a journal, so the journals alone cannot say which
// numbers were used. A small file keeps a high-water mark instead: no sequence at or above
// it was ever handed out. Marks are reserved a block ahead, so the file is rewritten once per
// block (by default every million messages), not per message; a restart skips what was
// left of the block (a gap, which sequences allow).
//
// The file is replaced whole (temporary file, fdatasync, rename, fsync of the directory):
// after a crash it holds the old mark or the new one, never a mix (FORMAT.md, "Sequence
// file").
//
// Threads: owned and called by one thread (the broker's routing thread).
#pragma once

#include <cstdint>
#include <filesystem>

#include "enlace/result.hpp"

namespace enlace::journal {

class SequenceReservation {
 public:
  static constexpr std::uint64_t kDefaultBlock = 1'000'000;

  /// Reads the mark in `path` (none yet: sequences start at 1). The next sequence is the
  /// larger of the mark and `last_journaled` + 1, where `last_journaled` is the highest
  /// Journal::last_sequence() of the broker's journals. Errors: storage_unavailable when
  /// the file cannot be read or is damaged (then only an operator who knows the highest
  /// sequence used may remove it), invalid_argument for a block of 0.
  static Result<SequenceReservation> open(const std::filesystem::path& path,
                                          std::uint64_t last_journaled,
                                          std::uint64_t block = kDefaultBlock);

  /// The next sequence, strictly above every one handed out before, in this run or an
  /// earlier one. Writes the file first when the reserved block is used up; if that fails,
  /// returns storage_unavailable and hands out nothing (a later call tries again).
  Result<std::uint64_t> next();

  /// The mark on disk: every sequence handed out is below it.
  std::uint64_t reserved() const noexcept { return reserved_; }
  /// What next() will return.
  std::uint64_t peek() const noexcept { return next_; }

 private:
  SequenceReservation(std::filesystem::path path, std::uint64_t block, std::uint64_t next,
                      std::uint64_t reserved);

  std::filesystem::path path_;
  std::uint64_t block_;
  std::uint64_t next_;
  std::uint64_t reserved_;
};

}  // namespace enlace::journal
