// enlace keygen BASE [--force]: a fresh CURVE key pair for a system or a broker.
#include <array>
#include <cstdio>
#include <filesystem>

#include "commands.hpp"
#include "enlace/keys.hpp"
#include "json_codec.hpp"
#include "session.hpp"

namespace enlace::cli {
namespace {

constexpr std::array<OptionSpec, 2> kOptions = {{{"force", false}, {"json", false}}};

constexpr std::string_view kUsage = R"usage(usage: enlace keygen BASE [--force] [--json]

Generates a CURVE key pair and writes it as BASE.pub (the public key, mode 0644) and
BASE.key (the secret key, mode 0600, never readable by others). Prints the public key,
which goes into the coalition policy (systems) or to clients (broker).

  --force   replace existing key files (the old secret key is lost)
  --json    print {"public_key": ..., "public_file": ..., "secret_file": ...} instead

Exit status: 0 written, 1 the files exist (without --force) or cannot be written,
2 usage error.
)usage";

int run(const Args& args) {
  if (args.positional().size() != 1) throw UsageError("keygen wants exactly one BASE path");
  const std::filesystem::path base = args.positional()[0];
  if (!args.has("force")) {
    // save_keypair refuses too (it creates with O_EXCL), but only after writing the secret
    // key when just the public file exists; checking both first leaves no mismatched pair.
    for (const char* suffix : {".key", ".pub"}) {
      std::filesystem::path file = base;
      file += suffix;
      std::error_code ignored;
      if (std::filesystem::exists(file, ignored)) {
        print_error({Errc::key_error, file.string() + ": exists; not replaced"});
        std::fputs("hint: --force replaces existing key files\n", stderr);
        return kExitFailure;
      }
    }
  }
  const KeyPair keys = generate_keypair();
  const Status saved = save_keypair(keys, base, args.has("force"));
  if (!saved) {
    print_error(saved.error());
    return kExitFailure;
  }
  if (args.has("json")) {
    std::printf("{\"public_key\":%s,\"public_file\":%s,\"secret_file\":%s}\n",
                json_quote(keys.public_key).c_str(), json_quote(base.string() + ".pub").c_str(),
                json_quote(base.string() + ".key").c_str());
  } else {
    std::printf("%s\n", keys.public_key.c_str());
  }
  return kExitOk;
}

}  // namespace

const Command& keygen_command() {
  static const Command command{"keygen", "generate a CURVE key pair (BASE.pub, BASE.key)", kUsage,
                               kOptions, run};
  return command;
}

}  // namespace enlace::cli
