// enlace-nmea-gateway's configuration: [bus], [[sources]], [gateway], [radio],
// [[radios]], [ais] and [[ais.watch]]. docs/gateways/nmea.md documents every key.
#pragma once

#include <string>

#include "common/config.hpp"
#include "nmea/pipeline.hpp"

namespace enlace::gateway::nmea {

struct NmeaConfig {
  BusConfig bus;
  std::vector<SourceConfig> sources;
  std::chrono::nanoseconds stats_interval = std::chrono::seconds(60);
  NmeaSettings settings;  // without the nation, which the broker tells at connection
  std::vector<SourceInfo> source_infos;
};

/// Reads and checks `path`. Throws ConfigError naming the file, line and key of the
/// first defect.
NmeaConfig load_nmea_config(const std::string& path);

/// A summary of what the configuration sets up, for --check-config.
std::string describe(const NmeaConfig& config);

}  // namespace enlace::gateway::nmea
