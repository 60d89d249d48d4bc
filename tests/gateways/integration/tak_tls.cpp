#include "tak_tls.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace enlace::gateway::test {
namespace {

std::string quoted(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The openssl configuration of a test CA: `openssl req` makes the CA itself, `openssl ca`
// issues (with a database, so that it can also revoke and write a CRL).
constexpr const char* kOpensslConfig = R"([req]
distinguished_name = dn
prompt = no
x509_extensions = ca_ext

[dn]
CN = unused

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ca]
default_ca = test_ca

[test_ca]
database = index.txt
new_certs_dir = issued
certificate = ca.pem
private_key = ca.key
serial = serial
default_md = sha256
default_days = 2
default_crl_days = 2
policy = any_subject
unique_subject = no
copy_extensions = none

[any_subject]
countryName = optional
organizationName = optional
commonName = supplied

[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth

[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
)";

constexpr int kSliceMs = 100;  // one blocking read's bound, so that a wait can end on time

}  // namespace

// ---- TestCa ---------------------------------------------------------------------------

TestCa::TestCa(std::filesystem::path folder, const std::string& name) : folder_(std::move(folder)) {
  std::filesystem::create_directories(folder_ / "issued");
  std::ofstream(folder_ / "openssl.cnf") << kOpensslConfig;
  std::ofstream(folder_ / "index.txt").flush();
  std::ofstream(folder_ / "serial") << "1000\n";
  ca_ = {folder_ / "ca.pem", folder_ / "ca.key"};
  run("openssl req -config openssl.cnf -x509 -new -newkey ec -pkeyopt "
      "ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/O=" +
      name + "/CN=" + name + "'");
}

void TestCa::run(const std::string& command) const {
  const std::string line =
      "cd " + quoted(folder_) + " && " + command + " >>openssl.log 2>&1 </dev/null";
  if (std::system(line.c_str()) != 0) {
    throw std::runtime_error("openssl failed: " + command + "\n" +
                             read_text(folder_ / "openssl.log"));
  }
}

Credentials TestCa::issue(const std::string& name, const std::string& subject,
                          const std::string& extensions, const std::string& dates) {
  const Credentials out{folder_ / (name + ".pem"), folder_ / (name + ".key")};
  run("openssl req -config openssl.cnf -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -keyout " +
      quoted(out.key) + " -out " + quoted(folder_ / (name + ".csr")) + " -subj '" + subject + "'");
  run("openssl ca -config openssl.cnf -batch -notext -extensions " + extensions + " " + dates +
      " -in " + quoted(folder_ / (name + ".csr")) + " -out " + quoted(out.certificate));
  return out;
}

Credentials TestCa::issue_server(const std::string& name) {
  return issue(name, "/O=Enlace/CN=" + name, "server_ext", "-days 2");
}

Credentials TestCa::issue_client(const std::string& cn, const std::string& country) {
  return issue(cn, "/C=" + country + "/O=Nation " + country + "/CN=" + cn, "client_ext", "-days 2");
}

Credentials TestCa::issue_expired_client(const std::string& cn) {
  return issue(cn, "/C=EC/O=Nation EC/CN=" + cn, "client_ext",
               "-startdate 20200101000000Z -enddate 20200102000000Z");
}

std::filesystem::path TestCa::revoke(const Credentials& client) {
  run("openssl ca -config openssl.cnf -revoke " + quoted(client.certificate));
  run("openssl ca -config openssl.cnf -gencrl -out crl.pem");
  return folder_ / "crl.pem";
}

// ---- TakClient ------------------------------------------------------------------------

bool TakClient::open_socket(std::uint16_t port, std::chrono::milliseconds timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return false;
  }
  const int yes = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  // Every blocking read and write is bounded, so that no wait outlives its timeout.
  const timeval bound{static_cast<time_t>(timeout.count() / 1000),
                      static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  return true;
}

std::unique_ptr<TakClient> TakClient::over_tls(std::uint16_t port, const std::filesystem::path& ca,
                                               const Credentials& client,
                                               std::chrono::milliseconds timeout) {
  std::unique_ptr<TakClient> out(new TakClient());
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  out->context_ = context;
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(context, ca.c_str(), nullptr) != 1) return nullptr;
  if (!client.certificate.empty() &&
      (SSL_CTX_use_certificate_chain_file(context, client.certificate.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(context, client.key.c_str(), SSL_FILETYPE_PEM) != 1)) {
    return nullptr;
  }
  if (!out->open_socket(port, timeout)) return nullptr;
  SSL* ssl = SSL_new(context);
  out->ssl_ = ssl;
  SSL_set_fd(ssl, out->fd_);
  SSL_set1_host(ssl, "127.0.0.1");  // the server certificate must name the address
  if (SSL_connect(ssl) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  const timeval slice{0, kSliceMs * 1000};
  ::setsockopt(out->fd_, SOL_SOCKET, SO_RCVTIMEO, &slice, sizeof slice);
  return out;
}

std::unique_ptr<TakClient> TakClient::over_tcp(std::uint16_t port) {
  std::unique_ptr<TakClient> out(new TakClient());
  if (!out->open_socket(port, kTlsWait)) return nullptr;
  const timeval slice{0, kSliceMs * 1000};
  ::setsockopt(out->fd_, SOL_SOCKET, SO_RCVTIMEO, &slice, sizeof slice);
  return out;
}

TakClient::~TakClient() {
  if (ssl_ != nullptr) SSL_free(static_cast<SSL*>(ssl_));
  if (context_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(context_));
  if (fd_ >= 0) ::close(fd_);
}

bool TakClient::send(std::string_view bytes) {
  if (closed_) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const long n = ssl_ != nullptr
                       ? SSL_write(static_cast<SSL*>(ssl_), bytes.data() + done,
                                   static_cast<int>(bytes.size() - done))
                       : ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool TakClient::read_some() {
  char buffer[16 * 1024];
  if (ssl_ == nullptr) {
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      received_.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      closed_ = true;
    }
    return !closed_;
  }
  SSL* ssl = static_cast<SSL*>(ssl_);
  const int n = SSL_read(ssl, buffer, sizeof buffer);
  if (n > 0) {
    received_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }
  const int error = SSL_get_error(ssl, n);
  ERR_clear_error();
  // A read slice that ended without data is not the end of the connection.
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return true;
  if (error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  closed_ = true;
  return false;
}

bool TakClient::read_until(const std::function<bool(const std::string&)>& done,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(received_)) {
    if (closed_ || std::chrono::steady_clock::now() >= deadline) return false;
    read_some();
  }
  return true;
}

bool TakClient::wait_for(std::string_view text, std::size_t from,
                         std::chrono::milliseconds timeout) {
  return read_until(
      [&](const std::string& all) {
        return all.size() > from && all.find(text, from) != std::string::npos;
      },
      timeout);
}

bool TakClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_ && std::chrono::steady_clock::now() < deadline) read_some();
  return closed_;
}

// ---- TAK Protocol v1 stream framing -------------------------------------------------

std::vector<std::string> stream_frames(std::string_view bytes, std::size_t from) {
  std::vector<std::string> frames;
  std::size_t at = from;
  while (at < bytes.size() && static_cast<unsigned char>(bytes[at]) == 0xbf) {
    std::uint64_t length = 0;
    std::size_t i = at + 1;
    int shift = 0;
    bool complete = false;
    while (i < bytes.size() && shift < 64) {
      const auto byte = static_cast<unsigned char>(bytes[i++]);
      length |= std::uint64_t{byte & 0x7fu} << shift;
      shift += 7;
      if ((byte & 0x80) == 0) {
        complete = true;
        break;
      }
    }
    if (!complete || bytes.size() - i < length) break;
    frames.emplace_back(bytes.substr(i, length));
    at = i + length;
  }
  return frames;
}

std::string stream_frame(std::string_view payload) {
  std::string out(1, static_cast<char>(0xbf));
  std::uint64_t length = payload.size();
  do {
    auto byte = static_cast<unsigned char>(length & 0x7f);
    length >>= 7;
    if (length != 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (length != 0);
  out.append(payload);
  return out;
}

}  // namespace enlace::gateway::test
