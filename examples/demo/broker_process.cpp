#include "broker_process.hpp"

#include <fstream>
#include <string_view>

namespace demo {
namespace {

ChildSpec broker_spec(const std::filesystem::path& program, const StateDir& state) {
  ChildSpec spec;
  spec.name = "enlace-broker";
  spec.args = {program.string(),
               "--policy",
               state.policy_file.string(),
               "--keys",
               state.broker_key_base.string(),
               "--endpoint",
               "tcp://127.0.0.1:*",
               "--ready-file",
               state.ready_file.string(),
               "--metrics-file",
               state.metrics_file.string(),
               "--metrics-interval",
               "1",
               "--broker-id",
               "enlace-demo",
               "--http",
               "127.0.0.1:0"};
  spec.log_file = state.log_file;
  spec.append_log = true;
  spec.ready_file = state.ready_file;
  return spec;
}

}  // namespace

std::filesystem::path find_broker(const std::string& explicit_path) {
#ifdef ENLACE_DEMO_BROKER_PATH
  const char* built = ENLACE_DEMO_BROKER_PATH;
#else
  const char* built = nullptr;
#endif
  return find_program("enlace-broker", explicit_path, built, "--broker");
}

BrokerProcess::BrokerProcess(const std::filesystem::path& program, const StateDir& state,
                             std::chrono::milliseconds timeout)
    : child_(broker_spec(program, state), timeout) {
  // The ready file's second line: "http://ADDRESS" (docs/operations.md).
  std::ifstream ready(state.ready_file);
  std::string line;
  std::getline(ready, line);
  std::getline(ready, line);
  constexpr std::string_view kScheme = "http://";
  if (line.starts_with(kScheme)) http_address_ = line.substr(kScheme.size());
}

}  // namespace demo
