#include "common/sources.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <fstream>
#include <map>

#include "common/line_buffer.hpp"
#include "common/log.hpp"

namespace enlace::gateway {
namespace {

using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;

std::string peer_name(const asio::ip::address& address, std::uint16_t port) {
  return fmt::format("{}:{}", address.to_string(), port);
}

// Where a source reads from, as its configuration says, for error messages.
std::string where(const SourceConfig& c) {
  switch (c.kind) {
    case SourceKind::udp:
    case SourceKind::tcp_server:
      return fmt::format("{}:{}", c.listen.host, c.listen.port);
    case SourceKind::tcp_client:
    case SourceKind::gpsd:
      return fmt::format("{}:{}", c.connect.host, c.connect.port);
    case SourceKind::serial:
      return c.device;
    case SourceKind::file:
      return c.path;
  }
  return {};
}

asio::ip::address resolve_address(const std::string& host) {
  if (host == "localhost") return asio::ip::address_v4::loopback();
  return asio::ip::make_address(host);
}

class UdpSource final : public Source, public std::enable_shared_from_this<UdpSource> {
 public:
  UdpSource(asio::io_context& io, std::size_t index, const SourceConfig& config,
            std::shared_ptr<SourceCallbacks> callbacks)
      : index_(index), config_(config), callbacks_(std::move(callbacks)), socket_(io) {
    const udp::endpoint local(resolve_address(config.listen.host), config.listen.port);
    socket_.open(local.protocol());
    // No SO_REUSEADDR: on a unicast UDP port it would let a second process bind the same
    // port without an error and take the datagrams meant for this one.
    socket_.bind(local);
  }
  void start() override { receive(); }
  void stop() override {
    asio::error_code ignored;
    socket_.close(ignored);
  }

 private:
  void receive() {
    socket_.async_receive_from(
        asio::buffer(buffer_), sender_,
        [self = shared_from_this()](const asio::error_code& error, std::size_t n) {
          if (error == asio::error::operation_aborted) return;
          if (!error) self->datagram(n);
          self->receive();
        });
  }
  void datagram(std::size_t n) {
    const std::string peer = peer_name(sender_.address(), sender_.port());
    // A datagram holds whole lines; a last line without its line end counts too.
    LineBuffer lines(config_.max_line_bytes);
    std::string_view bytes(buffer_.data(), n);
    auto on_line = [&](std::string_view line) { callbacks_->on_line(index_, peer, line); };
    auto on_too_long = [&] { callbacks_->on_too_long(index_); };
    lines.feed(bytes, on_line, on_too_long);
    if (!bytes.empty() && bytes.back() != '\n') lines.feed("\n", on_line, on_too_long);
  }

  std::size_t index_;
  SourceConfig config_;
  std::shared_ptr<SourceCallbacks> callbacks_;
  udp::socket socket_;
  udp::endpoint sender_;
  std::array<char, 65536> buffer_{};
};

// Reads one stream (a TCP connection or a serial port) into lines.
template <class Stream>
class StreamReader : public std::enable_shared_from_this<StreamReader<Stream>> {
 public:
  StreamReader(Stream stream, std::size_t index, std::string peer, std::size_t max_line,
               std::shared_ptr<SourceCallbacks> callbacks, std::function<void()> on_closed)
      : stream_(std::move(stream)),
        index_(index),
        peer_(std::move(peer)),
        lines_(max_line),
        callbacks_(std::move(callbacks)),
        on_closed_(std::move(on_closed)) {}

  Stream& stream() { return stream_; }
  void start() { read(); }
  void close() {
    asio::error_code ignored;
    stream_.close(ignored);
  }

 private:
  void read() {
    stream_.async_read_some(
        asio::buffer(buffer_),
        [self = this->shared_from_this()](const asio::error_code& error, std::size_t n) {
          if (error) {
            if (error != asio::error::operation_aborted && self->on_closed_) self->on_closed_();
            return;
          }
          self->lines_.feed(
              std::string_view(self->buffer_.data(), n),
              [&](std::string_view line) {
                self->callbacks_->on_line(self->index_, self->peer_, line);
              },
              [&] { self->callbacks_->on_too_long(self->index_); });
          self->read();
        });
  }

  Stream stream_;
  std::size_t index_;
  std::string peer_;
  LineBuffer lines_;
  std::shared_ptr<SourceCallbacks> callbacks_;
  std::function<void()> on_closed_;
  std::array<char, 4096> buffer_{};
};

// A TCP client (tcp-client, gpsd): connects, reads, and reconnects after a loss with a
// back-off that doubles from 1 s to 30 s and starts over after a good connection.
class TcpClientSource final : public Source, public std::enable_shared_from_this<TcpClientSource> {
 public:
  TcpClientSource(asio::io_context& io, std::size_t index, const SourceConfig& config,
                  std::shared_ptr<SourceCallbacks> callbacks)
      : io_(io), index_(index), config_(config), callbacks_(std::move(callbacks)), timer_(io) {}

  void start() override { connect(); }
  void stop() override {
    stopped_ = true;
    timer_.cancel();
    if (reader_) reader_->close();
  }

 private:
  void connect() {
    if (stopped_) return;
    auto socket = std::make_shared<tcp::socket>(io_);
    const tcp::endpoint remote(resolve_address(config_.connect.host), config_.connect.port);
    socket->async_connect(
        remote, [self = shared_from_this(), socket](const asio::error_code& error) {
          if (self->stopped_) return;
          if (error) return self->retry(fmt::format("cannot connect: {}", error.message()));
          self->connected(std::move(*socket));
        });
  }
  void connected(tcp::socket socket) {
    backoff_ = 1s;
    const std::string peer = fmt::format("{}:{}", config_.connect.host, config_.connect.port);
    log::info("source {}: connected to {}", config_.name, peer);
    reader_ = std::make_shared<StreamReader<tcp::socket>>(std::move(socket), index_, peer,
                                                          config_.max_line_bytes, callbacks_,
                                                          [weak = weak_from_this()] {
                                                            if (auto self = weak.lock())
                                                              self->retry("connection lost");
                                                          });
    if (config_.kind == SourceKind::gpsd) {
      // gpsd streams nothing until asked; JSON reports, one object per line.
      static constexpr std::string_view kWatch = "?WATCH={\"enable\":true,\"json\":true};\n";
      asio::async_write(reader_->stream(), asio::buffer(kWatch),
                        [](const asio::error_code&, std::size_t) {});
    }
    reader_->start();
  }
  void retry(const std::string& why) {
    if (stopped_) return;
    log::warn("source {}: {}; retrying in {} s", config_.name, why, backoff_.count());
    timer_.expires_after(backoff_);
    backoff_ = std::min<std::chrono::seconds>(backoff_ * 2, 30s);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (!error) self->connect();
    });
  }

  asio::io_context& io_;
  std::size_t index_;
  SourceConfig config_;
  std::shared_ptr<SourceCallbacks> callbacks_;
  asio::steady_timer timer_;
  std::chrono::seconds backoff_ = 1s;
  std::shared_ptr<StreamReader<tcp::socket>> reader_;
  bool stopped_ = false;
};

class TcpServerSource final : public Source, public std::enable_shared_from_this<TcpServerSource> {
 public:
  TcpServerSource(asio::io_context& io, std::size_t index, const SourceConfig& config,
                  std::shared_ptr<SourceCallbacks> callbacks)
      : index_(index), config_(config), callbacks_(std::move(callbacks)), acceptor_(io) {
    const tcp::endpoint local(resolve_address(config.listen.host), config.listen.port);
    acceptor_.open(local.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(local);
    acceptor_.listen();
  }
  void start() override { accept(); }
  void stop() override {
    asio::error_code ignored;
    acceptor_.close(ignored);
    for (auto& [id, reader] : readers_) reader->close();
    readers_.clear();
  }

 private:
  void accept() {
    acceptor_.async_accept(
        [self = shared_from_this()](const asio::error_code& error, tcp::socket socket) {
          if (error == asio::error::operation_aborted) return;
          if (!error) self->accepted(std::move(socket));
          self->accept();
        });
  }
  void accepted(tcp::socket socket) {
    asio::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) return;
    const std::string peer = peer_name(remote.address(), remote.port());
    if (readers_.size() >= config_.max_connections) {
      log::warn("source {}: refused {}: {} connections already", config_.name, peer,
                readers_.size());
      return;  // the socket closes as it goes out of scope
    }
    const std::uint64_t id = next_id_++;
    auto reader = std::make_shared<StreamReader<tcp::socket>>(std::move(socket), index_, peer,
                                                              config_.max_line_bytes, callbacks_,
                                                              [weak = weak_from_this(), id] {
                                                                if (auto self = weak.lock())
                                                                  self->readers_.erase(id);
                                                              });
    readers_.emplace(id, reader);
    reader->start();
  }

  std::size_t index_;
  SourceConfig config_;
  std::shared_ptr<SourceCallbacks> callbacks_;
  tcp::acceptor acceptor_;
  std::map<std::uint64_t, std::shared_ptr<StreamReader<tcp::socket>>> readers_;
  std::uint64_t next_id_ = 0;
};

class SerialSource final : public Source, public std::enable_shared_from_this<SerialSource> {
 public:
  SerialSource(asio::io_context& io, std::size_t index, const SourceConfig& config,
               std::shared_ptr<SourceCallbacks> callbacks)
      : io_(io), index_(index), config_(config), callbacks_(std::move(callbacks)), timer_(io) {}

  void start() override { open(); }
  void stop() override {
    stopped_ = true;
    timer_.cancel();
    if (reader_) reader_->close();
  }

 private:
  void open() {
    if (stopped_) return;
    asio::serial_port port(io_);
    asio::error_code error;
    port.open(config_.device, error);
    if (!error) port.set_option(asio::serial_port::baud_rate(config_.baud), error);
    if (!error) port.set_option(asio::serial_port::character_size(8), error);
    if (!error) {
      port.set_option(asio::serial_port::parity(asio::serial_port::parity::none), error);
    }
    if (!error) {
      port.set_option(asio::serial_port::stop_bits(asio::serial_port::stop_bits::one), error);
    }
    if (error) return retry(fmt::format("cannot open {}: {}", config_.device, error.message()));
    log::info("source {}: opened {} at {} baud", config_.name, config_.device, config_.baud);
    reader_ = std::make_shared<StreamReader<asio::serial_port>>(
        std::move(port), index_, config_.device, config_.max_line_bytes, callbacks_,
        [weak = weak_from_this()] {
          if (auto self = weak.lock()) self->retry("device closed or failed");
        });
    reader_->start();
  }
  void retry(const std::string& why) {
    if (stopped_) return;
    log::warn("source {}: {}; retrying in 2 s", config_.name, why);
    timer_.expires_after(2s);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (!error) self->open();
    });
  }

  asio::io_context& io_;
  std::size_t index_;
  SourceConfig config_;
  std::shared_ptr<SourceCallbacks> callbacks_;
  asio::steady_timer timer_;
  std::shared_ptr<StreamReader<asio::serial_port>> reader_;
  bool stopped_ = false;
};

// A capture file. As fast as possible, it hands over lines in slices of kSlice per
// handler, so that the other sources and the stats timer still run in between. With its
// own timing, a line is held until as long after the first timestamped line as its
// timestamp says.
class FileSource final : public Source, public std::enable_shared_from_this<FileSource> {
 public:
  static constexpr int kSlice = 256;

  FileSource(asio::io_context& io, std::size_t index, const SourceConfig& config,
             std::shared_ptr<SourceCallbacks> callbacks, std::function<void()> on_done)
      : io_(io),
        index_(index),
        config_(config),
        callbacks_(std::move(callbacks)),
        on_done_(std::move(on_done)),
        timer_(io),
        file_(config.path, std::ios::binary),
        lines_(config.max_line_bytes) {
    if (!file_) {
      throw std::system_error(std::make_error_code(std::errc::no_such_file_or_directory),
                              "cannot open " + config.path);
    }
  }
  void start() override {
    asio::post(io_, [self = shared_from_this()] { self->next(); });
  }
  void stop() override {
    stopped_ = true;
    timer_.cancel();
  }

 private:
  // Reads the next line into line_; false at the end of the file.
  bool read_line() {
    bool got = false;
    while (!got) {
      if (buffered_.empty()) {
        if (!file_) return false;
        file_.read(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
        const auto n = static_cast<std::size_t>(file_.gcount());
        if (n == 0) {
          if (!tail_done_) {
            tail_done_ = true;
            buffered_ = "\n";  // a last line without its line end
          } else {
            return false;
          }
        } else {
          buffered_.assign(chunk_.data(), n);
        }
        view_ = buffered_;
      }
      const std::size_t end = view_.find('\n');
      const std::string_view piece =
          end == std::string_view::npos ? view_ : view_.substr(0, end + 1);
      lines_.feed(
          piece,
          [&](std::string_view line) {
            line_.assign(line);
            got = true;
          },
          [&] { callbacks_->on_too_long(index_); });
      view_.remove_prefix(piece.size());
      if (view_.empty()) buffered_.clear();
    }
    return true;
  }

  void next() {
    if (stopped_) return;
    for (int i = 0; i < kSlice; ++i) {
      if (!pending_) {
        if (!read_line()) return finish();
        pending_ = true;
      }
      if (!config_.fast && callbacks_->timestamp_of) {
        if (const auto t = callbacks_->timestamp_of(line_)) {
          const auto now = std::chrono::steady_clock::now();
          if (!first_ts_) {
            first_ts_ = *t;
            first_wall_ = now;
          }
          const auto due = first_wall_ + std::chrono::nanoseconds(*t - *first_ts_);
          if (due > now) {
            timer_.expires_at(due);
            timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
              if (!error) self->next();
            });
            return;
          }
        }
      }
      pending_ = false;
      callbacks_->on_line(index_, config_.path, line_);
    }
    asio::post(io_, [self = shared_from_this()] { self->next(); });
  }

  void finish() {
    log::info("source {}: end of {}", config_.name, config_.path);
    if (on_done_) on_done_();
  }

  asio::io_context& io_;
  std::size_t index_;
  SourceConfig config_;
  std::shared_ptr<SourceCallbacks> callbacks_;
  std::function<void()> on_done_;
  asio::steady_timer timer_;
  std::ifstream file_;
  LineBuffer lines_;
  std::array<char, 65536> chunk_{};
  std::string buffered_;
  std::string_view view_;
  std::string line_;
  bool pending_ = false;
  bool tail_done_ = false;
  bool stopped_ = false;
  std::optional<std::int64_t> first_ts_;
  std::chrono::steady_clock::time_point first_wall_;
};

}  // namespace

Sources::Sources(asio::io_context& io, const std::vector<SourceConfig>& configs,
                 SourceCallbacks callbacks)
    : callbacks_(std::make_shared<SourceCallbacks>(std::move(callbacks))) {
  std::size_t files = 0;
  for (const SourceConfig& c : configs) files += c.kind == SourceKind::file ? 1 : 0;
  auto files_left = std::make_shared<std::size_t>(files);
  auto file_done = [callbacks = callbacks_, files_left] {
    if (--*files_left == 0 && callbacks->on_files_done) callbacks->on_files_done();
  };
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const SourceConfig& c = configs[i];
    try {
      add(io, i, c, file_done);
    } catch (const std::exception& e) {
      // asio says only "bind: Address already in use": name the source and its address.
      throw std::runtime_error(fmt::format("source '{}' ({} {}): {}", log::escaped(c.name),
                                           to_string(c.kind), log::escaped(where(c)), e.what()));
    }
  }
  for (auto& s : sources_) s->start();
}

void Sources::add(asio::io_context& io, std::size_t i, const SourceConfig& c,
                  const std::function<void()>& file_done) {
  switch (c.kind) {
    case SourceKind::udp:
      sources_.push_back(std::make_shared<UdpSource>(io, i, c, callbacks_));
      break;
    case SourceKind::tcp_client:
    case SourceKind::gpsd:
      sources_.push_back(std::make_shared<TcpClientSource>(io, i, c, callbacks_));
      break;
    case SourceKind::tcp_server:
      sources_.push_back(std::make_shared<TcpServerSource>(io, i, c, callbacks_));
      break;
    case SourceKind::serial:
      sources_.push_back(std::make_shared<SerialSource>(io, i, c, callbacks_));
      break;
    case SourceKind::file:
      sources_.push_back(std::make_shared<FileSource>(io, i, c, callbacks_, file_done));
      break;
  }
}

Sources::~Sources() {
  stop();
}

void Sources::stop() {
  for (auto& s : sources_) s->stop();
}

}  // namespace enlace::gateway
