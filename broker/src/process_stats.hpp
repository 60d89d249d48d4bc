// The broker process's own resource use, read from the kernel when /metrics is scraped
// (HTTP thread). Each field is -1 when the kernel would not tell.
#pragma once

#include <cstdint>

namespace enlace::broker {

struct ProcessStats {
  double cpu_seconds = -1;           // user + system, all threads (getrusage)
  std::int64_t resident_bytes = -1;  // /proc/self/statm
  std::int64_t virtual_bytes = -1;
  std::int64_t open_fds = -1;  // entries of /proc/self/fd
  std::int64_t max_fds = -1;   // RLIMIT_NOFILE, soft
};

ProcessStats read_process_stats() noexcept;

}  // namespace enlace::broker
