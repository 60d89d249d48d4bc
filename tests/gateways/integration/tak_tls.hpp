// Test support for the TAK gateway: certificates made for the test (a CA, the gateway's
// server certificate, client certificates, and a CA the gateway does not trust), and a
// TAK client over TLS with a client certificate, reading what the gateway streams to it.
//
// Certificates are made with the `openssl` command line, as an operator provisions them;
// the client is OpenSSL's own API on a blocking socket, so it shares no code with the
// gateway (asio::ssl).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace enlace::gateway::test {

/// A certificate and its private key (PEM files).
struct Credentials {
  std::filesystem::path certificate;
  std::filesystem::path key;
};

/// A certificate authority in a folder of its own: EC P-256 keys, certificates valid for
/// two days. Throws std::runtime_error when openssl fails.
class TestCa {
 public:
  TestCa(std::filesystem::path folder, const std::string& name);

  const std::filesystem::path& certificate() const noexcept { return ca_.certificate; }
  /// A server certificate for 127.0.0.1 (subjectAltName IP and DNS localhost).
  Credentials issue_server(const std::string& name);
  /// A client certificate with the subject "/C=<country>/O=<org>/CN=<cn>".
  Credentials issue_client(const std::string& cn, const std::string& country = "EC");
  /// A client certificate that was valid for one day in 2020 and has expired.
  Credentials issue_expired_client(const std::string& cn);
  /// Revokes `client` (issued by this CA) and writes the CA's CRL; returns its path.
  std::filesystem::path revoke(const Credentials& client);

 private:
  Credentials issue(const std::string& name, const std::string& subject,
                    const std::string& extensions, const std::string& dates);
  void run(const std::string& command) const;

  std::filesystem::path folder_;
  Credentials ca_;
};

/// The bound of every wait of a TakTlsClient: generous, it ends as soon as the event does.
inline constexpr std::chrono::milliseconds kTlsWait{20'000};

/// A TAK client connected over TLS to 127.0.0.1:port. Every wait is bounded.
class TakTlsClient {
 public:
  /// Connects and runs the TLS handshake, trusting `ca` for the server and presenting
  /// `client` (when it has a certificate). nullptr when the TCP connection or the handshake
  /// (as the client sees it) failed.
  static std::unique_ptr<TakTlsClient> connect(std::uint16_t port, const std::filesystem::path& ca,
                                               const Credentials& client,
                                               std::chrono::milliseconds timeout = kTlsWait);
  ~TakTlsClient();
  TakTlsClient(const TakTlsClient&) = delete;
  TakTlsClient& operator=(const TakTlsClient&) = delete;

  bool send(std::string_view bytes);
  /// Reads until `done(everything received so far)` holds, the connection ends or
  /// `timeout` passes; whether `done` held.
  bool read_until(const std::function<bool(const std::string&)>& done,
                  std::chrono::milliseconds timeout = kTlsWait);
  /// Reads until `text` has been received (after `from`, a byte offset).
  bool wait_for(std::string_view text, std::size_t from = 0,
                std::chrono::milliseconds timeout = kTlsWait);
  /// Reads until the gateway ends the connection (an alert, a close); whether it did.
  bool wait_closed(std::chrono::milliseconds timeout = kTlsWait);

  const std::string& received() const noexcept { return received_; }
  bool closed() const noexcept { return closed_; }

 private:
  TakTlsClient() = default;
  void read_some();

  int fd_ = -1;
  void* context_ = nullptr;  // SSL_CTX
  void* ssl_ = nullptr;      // SSL
  std::string received_;
  bool closed_ = false;
};

/// The TAK Protocol v1 stream frames (0xbf, varint length, TakMessage) of `bytes`, from
/// `from` on; stops at the first incomplete or malformed frame.
std::vector<std::string> stream_frames(std::string_view bytes, std::size_t from = 0);
/// `payload` as a stream frame.
std::string stream_frame(std::string_view payload);

}  // namespace enlace::gateway::test
