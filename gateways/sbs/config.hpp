// enlace-sbs-gateway's configuration: [bus], [[sources]], [gateway] and [adsb].
// docs/gateways/sbs.md documents every key.
#pragma once

#include <string>

#include "common/config.hpp"
#include "sbs/pipeline.hpp"

namespace enlace::gateway::sbs {

struct SbsConfig {
  BusConfig bus;
  std::vector<SourceConfig> sources;
  std::chrono::nanoseconds stats_interval = std::chrono::seconds(60);
  SbsSettings settings;  // without the nation, which the broker tells at connection
  std::vector<SbsSource> source_infos;
};

/// Reads and checks `path`. Throws ConfigError naming the file, line and key of the
/// first defect.
SbsConfig load_sbs_config(const std::string& path);

/// "+05:30", "-05:00", "UTC" -> the offset of local time from UTC.
std::optional<std::chrono::nanoseconds> parse_utc_offset(std::string_view text);

}  // namespace enlace::gateway::sbs
