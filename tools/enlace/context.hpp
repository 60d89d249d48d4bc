// Contexts, as `nats context` has them: a named set of the broker's endpoint, the broker's
// public key file and this system's key pair, so that `enlace sub 'track.>'` needs no
// other option once one is set up (docs/cli.md, "Contexts").
//
// Stored under $XDG_CONFIG_HOME/enlace (else ~/.config/enlace): contexts/NAME.json, one
// JSON object per context, and `context`, the name of the one in use. Files are written
// mode 0600 and the directories 0700: they name key files, and who may use them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace enlace::cli {

struct Context {
  std::string name;
  std::string broker;      // endpoint, e.g. tcp://10.0.0.5:7450
  std::string broker_key;  // the broker's public key file, absolute
  std::string keys;        // this system's key pair BASE, absolute
};

/// $XDG_CONFIG_HOME/enlace, else $HOME/.config/enlace. Throws std::runtime_error when
/// neither variable is set.
std::filesystem::path config_directory();

/// Whether `name` may name a context: letters, digits, '-', '_' and '.', not starting with '.'.
bool is_valid_context_name(std::string_view name);

/// The context called `name`; nullopt when there is none. Throws std::runtime_error for a
/// file that cannot be read or parsed.
std::optional<Context> load_context(const std::string& name);
/// Every context, sorted by name.
std::vector<Context> list_contexts();
/// Writes (or replaces) the context's file, mode 0600. Throws std::runtime_error.
void save_context(const Context& context);
/// Removes the context's file; false when there was none. Clears the selection if it was
/// the one in use.
bool remove_context(const std::string& name);

/// The name of the context in use (`enlace context use`); empty when none is.
std::string selected_context();
/// Makes `name` the context in use ("" clears the selection). Throws std::runtime_error.
void select_context(const std::string& name);

/// The context the connecting commands use: `explicit_name` (--context) if given, else
/// $ENLACE_CONTEXT, else the selected one; nullopt when none applies. Throws
/// std::runtime_error when a context is named that does not exist.
std::optional<Context> active_context(const std::optional<std::string>& explicit_name);

}  // namespace enlace::cli
