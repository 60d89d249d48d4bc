// enlace-zmq-proxy: the plainest ZeroMQ broker there is, zmq_proxy between an XSUB and an
// XPUB socket. bench/compare measures it as the limit of any ZeroMQ-based broker: whatever
// Enlace adds (verification, policy, routing) is paid on top of this.
//
//   enlace-zmq-proxy [--xsub ENDPOINT] [--xpub ENDPOINT] [--curve --key-file FILE]
//
// Endpoints default to tcp://127.0.0.1:* (the kernel picks free ports). Once bound, it prints
// one JSON line on stdout: {"xsub":"tcp://...","xpub":"tcp://..."}; with --curve it has written
// its public key (Z85) to FILE before printing. Runs until killed (SIGTERM).
//
// Flow control: XPUB_NODROP on the XPUB side, so a slow subscriber blocks the proxy, which
// stops reading the XSUB side, which fills the publisher's HWM: backpressure end to end, no
// silent drop, no unbounded queue (each hop is bounded by its HWM, 1000 messages by default).
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <zmq.hpp>

namespace {

[[noreturn]] void usage(int code) {
  std::fprintf(
      code ? stderr : stdout,
      "usage: enlace-zmq-proxy [--xsub ENDPOINT] [--xpub ENDPOINT] [--curve --key-file FILE]\n");
  std::exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  std::string xsub_endpoint = "tcp://127.0.0.1:*";
  std::string xpub_endpoint = "tcp://127.0.0.1:*";
  std::string key_file;
  bool curve = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    const auto value = [&] {
      if (i + 1 >= argc) usage(2);
      return std::string(argv[++i]);
    };
    if (flag == "--xsub")
      xsub_endpoint = value();
    else if (flag == "--xpub")
      xpub_endpoint = value();
    else if (flag == "--curve")
      curve = true;
    else if (flag == "--key-file")
      key_file = value();
    else if (flag == "--help")
      usage(0);
    else
      usage(2);
  }
  if (curve && key_file.empty()) usage(2);

  try {
    zmq::context_t context(1);
    zmq::socket_t xsub(context, zmq::socket_type::xsub);
    zmq::socket_t xpub(context, zmq::socket_type::xpub);
    xpub.set(zmq::sockopt::xpub_nodrop, 1);
    char public_key[41] = {};
    if (curve) {
      char secret_key[41] = {};
      if (zmq_curve_keypair(public_key, secret_key) != 0) {
        std::fprintf(stderr, "enlace-zmq-proxy: libzmq was built without CURVE\n");
        return 1;
      }
      for (auto* socket : {&xsub, &xpub}) {
        socket->set(zmq::sockopt::curve_server, 1);
        socket->set(zmq::sockopt::curve_secretkey, std::string_view(secret_key, 40));
      }
    }
    xsub.bind(xsub_endpoint);
    xpub.bind(xpub_endpoint);
    if (curve) {
      // Written to a temporary name and renamed, so a reader never sees half a key.
      const std::string partial = key_file + ".partial";
      std::ofstream(partial) << public_key << '\n';
      if (std::rename(partial.c_str(), key_file.c_str()) != 0) {
        std::fprintf(stderr, "enlace-zmq-proxy: cannot write %s\n", key_file.c_str());
        return 1;
      }
    }
    std::printf("{\"xsub\":\"%s\",\"xpub\":\"%s\",\"curve\":%s}\n",
                xsub.get(zmq::sockopt::last_endpoint).c_str(),
                xpub.get(zmq::sockopt::last_endpoint).c_str(), curve ? "true" : "false");
    std::fflush(stdout);
    zmq::proxy(xsub, xpub);
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "enlace-zmq-proxy: %s\n", e.what());
    return 1;
  }
  return 0;
}
