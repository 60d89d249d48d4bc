// enlace: the command-line tool. This file only finds the command and runs it; each
// command lives in its own file (see commands.hpp).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "enlace/enlace.h"

namespace {

using enlace::cli::Command;

const std::vector<const Command*>& command_table() {
  static const std::vector<const Command*> table = {
      &enlace::cli::keygen_command(),
      &enlace::cli::pub_command(),
      &enlace::cli::sub_command(),
      &enlace::cli::policy_check_command(),
      &enlace::cli::policy_explain_command(),
      &enlace::cli::broker_status_command(),
      &enlace::cli::broker_metrics_command(),
      &enlace::cli::broker_reload_command(),
      &enlace::cli::context_add_command(),
      &enlace::cli::context_use_command(),
      &enlace::cli::context_list_command(),
      &enlace::cli::context_show_command(),
      &enlace::cli::context_rm_command(),
  };
  return table;
}

void print_overview(std::FILE* out) {
  std::fputs(
      "usage: enlace <command> [options]\n"
      "\n"
      "Keys, publishing, subscribing and policy questions for an Enlace bus.\n"
      "\n"
      "commands:\n",
      out);
  for (const Command* command : command_table()) {
    std::fprintf(out, "  %-16.*s %.*s\n", static_cast<int>(command->name.size()),
                 command->name.data(), static_cast<int>(command->summary.size()),
                 command->summary.data());
  }
  std::fputs(
      "\n"
      "`enlace <command> --help` describes a command's options; `enlace --version` prints\n"
      "the version. Exit statuses: 0 success, 1 refused or failed, 2 usage or input error,\n"
      "3 timed out, 4 broker unreachable (see docs/cli.md).\n",
      out);
}

// The command named by the first one or two words of argv, and how many words it used.
const Command* find_command(int argc, char** argv, int& words) {
  if (argc >= 3) {
    const std::string two = std::string(argv[1]) + " " + argv[2];
    for (const Command* command : command_table()) {
      if (command->name == two) {
        words = 2;
        return command;
      }
    }
  }
  for (const Command* command : command_table()) {
    if (command->name == argv[1]) {
      words = 1;
      return command;
    }
  }
  return nullptr;
}

// `enlace policy` alone, or with an unknown sub-command: list what the group offers.
bool print_group(std::string_view group, std::FILE* out) {
  bool any = false;
  for (const Command* command : command_table()) {
    if (command->name.starts_with(std::string(group) + " ")) {
      if (!any)
        std::fprintf(out, "usage: enlace %.*s <command> [options]\n\ncommands:\n",
                     static_cast<int>(group.size()), group.data());
      any = true;
      std::fprintf(out, "  %-16.*s %.*s\n", static_cast<int>(command->name.size()),
                   command->name.data(), static_cast<int>(command->summary.size()),
                   command->summary.data());
    }
  }
  return any;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace enlace::cli;
  if (argc < 2) {
    print_overview(stderr);
    return kExitUsage;
  }
  const std::string_view first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    print_overview(stdout);
    return kExitOk;
  }
  if (first == "--version" || first == "-V" || first == "version") {
    // The tool's version and that of the libenlace it runs with, which may be newer.
    std::printf("enlace %s (libenlace %s)\n", ENLACE_TOOL_VERSION, enlace_version());
    return kExitOk;
  }
  int words = 0;
  const Command* command = find_command(argc, argv, words);
  if (command == nullptr) {
    const bool help =
        argc >= 3 && (std::string_view(argv[2]) == "--help" || std::string_view(argv[2]) == "-h");
    if (print_group(first, help ? stdout : stderr)) return help ? kExitOk : kExitUsage;
    std::fprintf(stderr, "enlace: unknown command '%s'\n\n", argv[1]);
    print_overview(stderr);
    return kExitUsage;
  }

  const auto print_usage = [&](std::FILE* out) {
    std::fwrite(command->usage.data(), 1, command->usage.size(), out);
  };
  try {
    const Args args(
        std::span<char* const>(argv + 1 + words, static_cast<std::size_t>(argc - 1 - words)),
        command->options);
    if (args.help()) {
      print_usage(stdout);
      return kExitOk;
    }
    return command->run(args);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "enlace %.*s: %s\n\n", static_cast<int>(command->name.size()),
                 command->name.data(), e.what());
    print_usage(stderr);
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "enlace %.*s: %s\n", static_cast<int>(command->name.size()),
                 command->name.data(), e.what());
    return kExitFailure;
  }
}
