// Test support for the TAK gateway: certificates made for the test (a CA, the gateway's
// server certificate, client certificates, and a CA the gateway does not trust), and a
// streaming TAK client, over TLS with a client certificate or over plain TCP, reading what
// the gateway streams to it.
//
// Certificates are made with the `openssl` command line, as an operator provisions them;
// the TLS client is OpenSSL's own API on a blocking socket, so it shares no code with the
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

/// The bound of every wait of a TakClient: generous, it ends as soon as the event does.
inline constexpr std::chrono::milliseconds kTlsWait{20'000};

/// A streaming TAK client connected to 127.0.0.1:port, over TLS (8089-style) or plain TCP
/// (8087-style). Every wait is bounded.
class TakClient {
 public:
  /// Connects and runs the TLS handshake, trusting `ca` for the server and presenting
  /// `client` (when it has a certificate). nullptr when the TCP connection or the handshake
  /// (as the client sees it) failed.
  static std::unique_ptr<TakClient> over_tls(std::uint16_t port, const std::filesystem::path& ca,
                                             const Credentials& client,
                                             std::chrono::milliseconds timeout = kTlsWait);
  /// Connects over plain TCP; nullptr when the connection was refused.
  static std::unique_ptr<TakClient> over_tcp(std::uint16_t port);
  ~TakClient();
  TakClient(const TakClient&) = delete;
  TakClient& operator=(const TakClient&) = delete;

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
  /// The socket, for a caller that polls many clients (the bench).
  int fd() const noexcept { return fd_; }
  /// One read of what has arrived (at most one read slice of waiting); false once the
  /// connection has ended.
  bool read_some();
  /// Forgets the first `bytes` received (a caller that counts events as they arrive).
  void consume(std::size_t bytes) { received_.erase(0, bytes); }

 private:
  TakClient() = default;
  bool open_socket(std::uint16_t port, std::chrono::milliseconds timeout);

  int fd_ = -1;
  void* context_ = nullptr;  // SSL_CTX; nullptr over plain TCP
  void* ssl_ = nullptr;      // SSL; nullptr over plain TCP
  std::string received_;
  bool closed_ = false;
};

/// The TAK Protocol v1 stream frames (0xbf, varint length, TakMessage) of `bytes`, from
/// `from` on; stops at the first incomplete or malformed frame.
std::vector<std::string> stream_frames(std::string_view bytes, std::size_t from = 0);
/// `payload` as a stream frame.
std::string stream_frame(std::string_view payload);

}  // namespace enlace::gateway::test
