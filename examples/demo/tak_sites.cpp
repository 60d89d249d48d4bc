#include "tak_sites.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "toml_text.hpp"

namespace demo {
namespace {

namespace fs = std::filesystem;

// Single-quoted for /bin/sh: the state directory may hold spaces.
std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs one openssl command in `dir`; its output goes to dir/openssl.log, shown on failure.
void openssl(const fs::path& dir, const std::string& arguments) {
  const std::string line = fmt::format("cd {} && openssl {} >>openssl.log 2>&1 </dev/null",
                                       shell_quoted(dir.string()), arguments);
  if (std::system(line.c_str()) != 0) {
    throw std::runtime_error(fmt::format("openssl {} failed in {}:\n{}", arguments, dir.string(),
                                         read_text(dir / "openssl.log")));
  }
}

// Issues `name`.pem (and its key) from the site's CA, with `extensions`.
void issue(const fs::path& dir, const std::string& name, const std::string& subject,
           const std::string& extensions) {
  std::ofstream(dir / (name + ".ext"), std::ios::trunc) << extensions;
  openssl(dir, fmt::format("req -newkey rsa:2048 -sha256 -nodes -keyout {0}.key -out {0}.csr "
                           "-subj {1}",
                           name, shell_quoted(subject)));
  openssl(dir, fmt::format("x509 -req -sha256 -days 825 -in {0}.csr -CA ca.pem -CAkey ca.key "
                           "-CAcreateserial -extfile {0}.ext -out {0}.pem",
                           name));
}

// The site's CA and one phone's certificate, unless an earlier run made them, and the
// gateway's certificate for the address it listens on (made again when that changes).
// RSA 2048 and SHA-256, which every ATAK and WinTAK release accepts.
void make_certificates(const fs::path& dir, const SystemSpec& system, const std::string& listen,
                       const std::string& client_cn) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  const std::string nation(system.nation);
  if (!fs::exists(dir / "truststore.p12")) {  // the last step of these: all are there
    openssl(
        dir,
        fmt::format("req -x509 -newkey rsa:2048 -sha256 -nodes -days 825 -keyout ca.key "
                    "-out ca.pem -subj {} -addext {} -addext {}",
                    shell_quoted(fmt::format("/O=Enlace demo {}/CN={} site CA", nation, system.id)),
                    shell_quoted("basicConstraints=critical,CA:TRUE"),
                    shell_quoted("keyUsage=critical,keyCertSign,cRLSign")));
    issue(dir, client_cn, fmt::format("/O=Enlace demo {}/CN={}", nation, client_cn),
          "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
          "extendedKeyUsage=clientAuth\n");
    const std::string password = shell_quoted(fmt::format("pass:{}", kTakP12Password));
    openssl(dir, fmt::format("pkcs12 -export -in {0}.pem -inkey {0}.key -certfile ca.pem "
                             "-name {0} -out {0}.p12 -passout {1}",
                             client_cn, password));
    openssl(dir, fmt::format("pkcs12 -export -nokeys -in ca.pem -name {} -out truststore.p12 "
                             "-passout {}",
                             shell_quoted(fmt::format("{} site CA", system.id)), password));
    fs::remove(dir / "server.ext");  // a new CA: issue the gateway's certificate again
  }
  // The listen address in the certificate, so that a client that checks the name agrees.
  const bool loopback_or_any = listen == "0.0.0.0" || listen == "127.0.0.1";
  const std::string server_extensions = fmt::format(
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
      "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1{}\n",
      loopback_or_any ? "" : ",IP:" + listen);
  if (read_text(dir / "server.ext") != server_extensions || !fs::exists(dir / "server.pem")) {
    issue(dir, "server", fmt::format("/O=Enlace demo {}/CN={}", nation, system.id),
          server_extensions);
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace

fs::path find_tak_gateway(const std::string& explicit_path) {
#ifdef ENLACE_DEMO_TAK_GATEWAY_PATH
  const char* built = ENLACE_DEMO_TAK_GATEWAY_PATH;
#else
  const char* built = nullptr;
#endif
  return find_program("enlace-tak-gateway", explicit_path, built, "--tak-gateway");
}

TakSiteAddress tak_site_address(const std::string& listen, std::uint16_t port_base,
                                std::size_t nation_index) {
  const auto base = static_cast<std::uint16_t>(port_base + 10 * nation_index);
  return {listen, static_cast<std::uint16_t>(base + 9), static_cast<std::uint16_t>(base + 7)};
}

TakSite::TakSite(const fs::path& program, const SystemSpec& system, const StateDir& state,
                 const BusAccess& bus, TakSiteAddress address)
    : spec_(system),
      address_(std::move(address)),
      dir_(state.dir / "tak" / std::string(system.id)),
      metrics_(state.dir / "gateways" / fmt::format("{}.metrics.json", system.id)),
      client_cn_(fmt::format("ANDROID-{}-001", lower(system.nation))),
      unit_(fmt::format("{}-TAK-01", system.nation)) {
  make_certificates(dir_, system, address_.listen, client_cn_);
  const fs::path gateways = state.dir / "gateways";
  fs::create_directories(gateways);
  const fs::path config = gateways / fmt::format("{}.toml", system.id);
  const fs::path keys = fs::absolute(state.broker_key_base.parent_path()) / std::string(system.id);
  const fs::path dir = fs::absolute(dir_);
  std::ofstream out(config, std::ios::trunc);
  out << fmt::format(
      "# {}: generated by enlace-demo --tak on every run, for\n# {}.\n\n"
      "[broker]\nendpoint = {}\npublic_key = {}\nkeys = {}\n\n"
      "[gateway]\nuid = {}\nsource = \"tak\"\n"
      "subscribe = [\"position.>\", \"track.>\", \"alert.>\", \"spot.>\", \"text.>\", "
      "\"tasking.{}.>\"]\nmetrics_file = {}\n\n"
      "[tcp]\nlisten = {}\n\n"
      "[tls]\nlisten = {}\ncertificate = {}\nprivate_key = {}\nca = {}\n\n"
      "[[units]]\ncertificate_cn = {}\nunit = {}\ncallsign = {}\n",
      config.filename().string(), system.description, toml_quoted(bus.endpoint),
      toml_quoted(bus.broker_public_key), toml_quoted(keys.string()),
      toml_quoted(std::string(system.id)), system.nation,
      toml_quoted(fs::absolute(metrics_).string()),
      toml_quoted(fmt::format("{}:{}", address_.listen, address_.tcp_port)),
      toml_quoted(fmt::format("{}:{}", address_.listen, address_.tls_port)),
      toml_quoted((dir / "server.pem").string()), toml_quoted((dir / "server.key").string()),
      toml_quoted((dir / "ca.pem").string()), toml_quoted(client_cn_), toml_quoted(unit_),
      toml_quoted(fmt::format("{} TAK 01", system.nation)));
  if (!out.flush()) throw std::runtime_error(fmt::format("cannot write {}", config.string()));
  out.close();

  ChildSpec spec;
  spec.name = fmt::format("{} for {}", program.filename().string(), system.id);
  spec.ready_file = gateways / fmt::format("{}.ready", system.id);
  spec.log_file = gateways / fmt::format("{}.log", system.id);
  spec.append_log = false;
  spec.args = {program.string(), "--config", config.string(), "--ready-file",
               spec.ready_file.string()};
  child_ = std::make_unique<ChildProcess>(std::move(spec), std::chrono::seconds(20));
}

fs::path TakSite::client_p12() const {
  return dir_ / (client_cn_ + ".p12");
}

fs::path TakSite::truststore_p12() const {
  return dir_ / "truststore.p12";
}

std::string TakSite::counters() const {
  std::string text = read_text(metrics_);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? "(no counters written yet)" : text;
}

std::string tak_instructions(const std::vector<std::unique_ptr<TakSite>>& sites) {
  std::string text =
      "TAK clients: each nation's site is a TAK Server to its ATAK, iTAK and WinTAK clients "
      "(streaming TLS with a client certificate, or plain TCP on a trusted network).\n"
      "  ATAK: copy the two .p12 files to the phone; Settings > Network Preferences > Server "
      "Connections > Add: the address and TLS port below, protocol SSL, untick 'Use "
      "default SSL/TLS certificates', import the truststore as CA certificate and the "
      "client .p12 as client certificate, password " +
      std::string(kTakP12Password) +
      ".\n"
      "  WinTAK: Settings > Network > Manage Server Connections > Add: the same address, "
      "port and files.\n"
      "  Plain TCP (no certificate; the client is known by its uid): the TCP port, "
      "protocol TCP.\n";
  for (const auto& site : sites) {
    const TakSiteAddress& a = site->address();
    text += fmt::format(
        "  {} ({}): {}:{} SSL, {}:{} TCP; client certificate {} (unit {}), truststore {}\n",
        site->spec().nation, site->spec().id, a.listen, a.tls_port, a.listen, a.tcp_port,
        site->client_p12().string(), site->unit(), site->truststore_p12().string());
  }
  if (!sites.empty() && sites.front()->address().listen == "127.0.0.1") {
    text +=
        "  The sites listen on 127.0.0.1 only: for a phone on this network, run with "
        "--tak-listen and this machine's address (or 0.0.0.0).\n";
  }
  return text;
}

}  // namespace demo
