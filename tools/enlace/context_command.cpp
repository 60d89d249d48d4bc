// enlace context add/use/list/show/rm: the named connection settings of context.hpp.
#include <array>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "context.hpp"
#include "enlace/keys.hpp"
#include "json_codec.hpp"
#include "session.hpp"

namespace enlace::cli {
namespace {

constexpr std::array<OptionSpec, 4> kAddOptions = {
    {kBrokerOption, kBrokerKeyOption, kKeysOption, {"use", false}}};
constexpr std::array<OptionSpec, 1> kJsonOption = {{{"json", false}}};

constexpr std::string_view kAddUsage =
    R"usage(usage: enlace context add NAME --broker ENDPOINT --broker-key FILE --keys BASE [--use]

Saves the broker's endpoint, the broker's public key file and this system's key pair as
context NAME, for pub and sub to use instead of those options. The key files are checked
now (they must load) and stored as absolute paths; the keys themselves stay where they
are. Adding a context that exists replaces it. The first context added, or any with
--use, becomes the one in use.

  -b, --broker ENDPOINT    the broker, e.g. tcp://10.0.0.5:7450
  --broker-key FILE        the broker's public key file
  -k, --keys BASE          this system's key pair: BASE.pub and BASE.key
  --use                    make it the context in use

Contexts live in $XDG_CONFIG_HOME/enlace (else ~/.config/enlace), mode 0600. For pub and
sub, --broker, --broker-key and --keys win over ENLACE_BROKER, ENLACE_BROKER_KEY and
ENLACE_KEYS, which win over the context.

Exit status: 0 saved, 1 a key file does not load or the file cannot be written,
2 usage error.
)usage";

constexpr std::string_view kUseUsage = R"usage(usage: enlace context use NAME

Makes context NAME the one pub and sub use (ENLACE_CONTEXT or --context still choose
another for one command).

Exit status: 0 done, 1 no such context, 2 usage error.
)usage";

constexpr std::string_view kListUsage = R"usage(usage: enlace context list [--json]

Lists the contexts, the one in use marked with '*'.

  --json   one JSON object per context: {"name":...,"broker":...,"broker_key":...,
           "keys":...,"selected":true|false}

Exit status: 0.
)usage";

constexpr std::string_view kShowUsage = R"usage(usage: enlace context show [NAME] [--json]

Shows context NAME, by default the one in use, and whether its key files load.

Exit status: 0 shown, 1 no such context (or none in use), 2 usage error.
)usage";

constexpr std::string_view kRmUsage = R"usage(usage: enlace context rm NAME

Removes context NAME (the key files it names are left alone).

Exit status: 0 removed, 1 no such context, 2 usage error.
)usage";

std::string one_name(const Args& args, std::string_view command) {
  if (args.positional().size() != 1)
    throw UsageError(fmt::format("context {} wants exactly one NAME", command));
  const std::string& name = args.positional()[0];
  if (!is_valid_context_name(name))
    throw UsageError("'" + name + "' is not a context name: letters, digits, '-', '_' and '.'");
  return name;
}

std::string absolute(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

std::string context_json(const Context& context, bool selected) {
  return fmt::format(R"({{"name":{},"broker":{},"broker_key":{},"keys":{},"selected":{}}})",
                     json_quote(context.name), json_quote(context.broker),
                     json_quote(context.broker_key), json_quote(context.keys), selected);
}

int no_such_context(const std::string& name) {
  print_error({Errc::invalid_argument,
               "no context '" + name + "'; `enlace context list` shows those there are"});
  return kExitFailure;
}

int run_add(const Args& args) {
  const std::string name = one_name(args, "add");
  Context context{name, args.required("broker"), absolute(args.required("broker-key")),
                  absolute(args.required("keys"))};
  if (context.broker.find("://") == std::string::npos) context.broker = "tcp://" + context.broker;
  // A context that cannot connect is better refused now than at the first pub.
  if (auto key = load_public_key(context.broker_key); !key) {
    print_error(key.error());
    return kExitFailure;
  }
  if (auto keys = load_keypair(context.keys); !keys) {
    print_error(keys.error());
    return kExitFailure;
  }
  const bool first = list_contexts().empty();
  save_context(context);
  if (first || args.has("use")) select_context(name);
  std::printf("context '%s' saved%s\n", name.c_str(),
              first || args.has("use") ? " and in use" : "");
  return kExitOk;
}

int run_use(const Args& args) {
  const std::string name = one_name(args, "use");
  if (!load_context(name)) return no_such_context(name);
  select_context(name);
  std::printf("context '%s' in use\n", name.c_str());
  return kExitOk;
}

int run_list(const Args& args) {
  if (!args.positional().empty())
    throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  const std::string selected = selected_context();
  const auto contexts = list_contexts();
  for (const Context& context : contexts) {
    if (args.has("json")) {
      std::printf("%s\n", context_json(context, context.name == selected).c_str());
    } else {
      std::printf("%c %-20s %s\n", context.name == selected ? '*' : ' ', context.name.c_str(),
                  context.broker.c_str());
    }
  }
  if (contexts.empty() && !args.has("json"))
    std::fputs("no contexts: `enlace context add NAME ...` makes one\n", stderr);
  return kExitOk;
}

int run_show(const Args& args) {
  if (args.positional().size() > 1)
    throw UsageError("unexpected argument '" + args.positional()[1] + "'");
  const std::string selected = selected_context();
  const std::string name = args.positional().empty() ? selected : args.positional()[0];
  if (name.empty()) {
    print_error({Errc::invalid_argument, "no context in use (enlace context use NAME)"});
    return kExitFailure;
  }
  const auto context = load_context(name);
  if (!context) return no_such_context(name);
  if (args.has("json")) {
    std::printf("%s\n", context_json(*context, name == selected).c_str());
    return kExitOk;
  }
  const auto broker_key = load_public_key(context->broker_key);
  const auto keys = load_keypair(context->keys);
  std::printf("context:    %s%s\nbroker:     %s\nbroker key: %s (%s)\nkeys:       %s (%s)\n",
              name.c_str(), name == selected ? " (in use)" : "", context->broker.c_str(),
              context->broker_key.c_str(), broker_key ? "loads" : broker_key.error().reason.c_str(),
              context->keys.c_str(), keys ? "loads" : keys.error().reason.c_str());
  return kExitOk;
}

int run_rm(const Args& args) {
  const std::string name = one_name(args, "rm");
  if (!remove_context(name)) return no_such_context(name);
  std::printf("context '%s' removed\n", name.c_str());
  return kExitOk;
}

}  // namespace

const Command& context_add_command() {
  static const Command command{"context add", "save broker, broker key and keys as a context",
                               kAddUsage, kAddOptions, run_add};
  return command;
}
const Command& context_use_command() {
  static const Command command{
      "context use", "choose the context pub and sub use", kUseUsage, {}, run_use};
  return command;
}
const Command& context_list_command() {
  static const Command command{"context list", "list the contexts", kListUsage, kJsonOption,
                               run_list};
  return command;
}
const Command& context_show_command() {
  static const Command command{"context show", "show a context and whether its keys load",
                               kShowUsage, kJsonOption, run_show};
  return command;
}
const Command& context_rm_command() {
  static const Command command{"context rm", "remove a context", kRmUsage, {}, run_rm};
  return command;
}

}  // namespace enlace::cli
