#include "process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

namespace enlace::broker {

ProcessStats read_process_stats() noexcept {
  ProcessStats stats;
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) {
    const auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    stats.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
    long long size = 0, resident = 0;
    if (std::fscanf(statm, "%lld %lld", &size, &resident) == 2) {
      const long page = ::sysconf(_SC_PAGESIZE);
      stats.virtual_bytes = size * page;
      stats.resident_bytes = resident * page;
    }
    std::fclose(statm);
  }
  if (DIR* fds = ::opendir("/proc/self/fd")) {
    std::int64_t n = 0;
    while (const dirent* entry = ::readdir(fds)) {
      if (entry->d_name[0] != '.') ++n;
    }
    ::closedir(fds);
    stats.open_fds = n - 1;  // not the descriptor opendir() itself holds
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    stats.max_fds = static_cast<std::int64_t>(limit.rlim_cur);
  return stats;
}

}  // namespace enlace::broker
