// The commands of the enlace tool. Each lives in its own file and describes itself with a
// Command; main.cpp holds the table and dispatches to it.
#pragma once

#include <span>
#include <string_view>

#include "args.hpp"

namespace enlace::cli {

struct Command {
  std::string_view name;     // the words after `enlace`, e.g. "policy explain"
  std::string_view summary;  // one line for `enlace --help`
  std::string_view usage;    // full text for `enlace <command> --help`
  std::span<const OptionSpec> options;
  /// Runs the command with its parsed arguments and returns the exit status. Throws
  /// UsageError for command-line mistakes found after parsing.
  int (*run)(const Args& args);
};

const Command& keygen_command();
const Command& pub_command();
const Command& sub_command();
const Command& policy_check_command();
const Command& policy_explain_command();
const Command& broker_status_command();
const Command& broker_metrics_command();
const Command& broker_reload_command();
const Command& context_add_command();
const Command& context_use_command();
const Command& context_list_command();
const Command& context_show_command();
const Command& context_rm_command();

}  // namespace enlace::cli
