// Command-line parsing shared by every enlace command.
//
// Options are GNU-style long options: `--name VALUE` or `--name=VALUE` for options that
// take a value, `--name` for flags; `--` ends the options. The common ones also have a
// short form, `-t VALUE` (or `-tVALUE`) and `-q`. Anything else that does not start with
// `-` is a positional argument. Problems are reported by throwing UsageError, which
// the dispatcher turns into exit status 2 and the command's usage text.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace enlace::cli {

/// Exit statuses shared by every command (docs/cli.md, "Exit statuses").
enum ExitStatus : int {
  kExitOk = 0,
  kExitFailure = 1,      // refused by the broker or the policy, connection or key problem
  kExitUsage = 2,        // bad command line or bad input (e.g. a payload that is not valid JSON)
  kExitTimeout = 3,      // `sub --count N --timeout S`: fewer than N deliveries in S seconds
  kExitUnreachable = 4,  // no connection to the broker: refused, unreachable, no answer
};

/// A mistake on the command line or in the input.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string_view name;  // without the leading "--"
  bool takes_value = false;
  char short_name = 0;  // `-x`; 0: none
};

class Args {
 public:
  /// Parses `argv` (the arguments after the command words) against `options`. `--help`
  /// and `-h` are always accepted. Throws UsageError for unknown options, a missing value,
  /// or an option given twice.
  Args(std::span<char* const> argv, std::span<const OptionSpec> options);

  bool help() const noexcept { return help_; }
  bool has(std::string_view name) const;
  std::optional<std::string> value(std::string_view name) const;
  /// The option's value; throws UsageError naming it when absent.
  std::string required(std::string_view name) const;
  const std::vector<std::string>& positional() const noexcept { return positional_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

/// A non-negative integer option, e.g. --count; throws UsageError naming `option`.
std::uint64_t parse_count(std::string_view text, std::string_view option);
/// Seconds as a decimal number, e.g. "2.5"; throws UsageError naming `option`.
std::chrono::milliseconds parse_seconds(std::string_view text, std::string_view option);
/// "COL,ECU" -> {"COL", "ECU"}; empty items are refused.
std::vector<std::string> split_list(std::string_view text, std::string_view option);

}  // namespace enlace::cli
