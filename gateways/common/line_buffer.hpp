// LineBuffer: cuts a byte stream (TCP, serial) into lines, holding at most `max_line`
// bytes of an unfinished line. A longer line is not kept: its bytes up to the next line
// end are skipped and reported once as too long, so a peer that never sends a newline
// costs a bounded buffer, not memory without end.
//
// Lines end at LF; a CR before it is dropped (NMEA and SBS end lines with CR LF). Empty
// lines (dump1090's heartbeat) are not reported. Not thread-safe: one per connection,
// used by the thread that reads it.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace enlace::gateway {

class LineBuffer {
 public:
  explicit LineBuffer(std::size_t max_line) : max_line_(max_line) { partial_.reserve(max_line); }

  /// Feeds `bytes`; calls `on_line(line)` for every complete line and `on_too_long()` once
  /// for every line that exceeded the bound.
  template <class OnLine, class OnTooLong>
  void feed(std::string_view bytes, OnLine&& on_line, OnTooLong&& on_too_long) {
    while (!bytes.empty()) {
      const std::size_t end = bytes.find('\n');
      const std::string_view piece = bytes.substr(0, end);
      if (!skipping_) {
        if (partial_.size() + piece.size() > max_line_) {
          skipping_ = true;
          partial_.clear();
          on_too_long();
        } else if (end != std::string_view::npos && partial_.empty()) {
          emit(piece, on_line);  // the common case: the whole line is in this read
        } else {
          partial_.append(piece);
          if (end != std::string_view::npos) {
            emit(partial_, on_line);
            partial_.clear();
          }
        }
      }
      if (end == std::string_view::npos) return;
      skipping_ = false;
      bytes.remove_prefix(end + 1);
    }
  }

  /// Bytes of the unfinished line held now (never more than max_line).
  std::size_t pending() const noexcept { return partial_.size(); }

 private:
  template <class OnLine>
  static void emit(std::string_view line, OnLine& on_line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) on_line(line);
  }

  std::size_t max_line_;
  std::string partial_;
  bool skipping_ = false;
};

}  // namespace enlace::gateway
