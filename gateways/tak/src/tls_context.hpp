// The TLS server context for TAK clients (port 8089): TLS 1.2 or 1.3 only, the gateway's
// certificate and key, client certificates required and verified against the configured
// CA, and against the CRL when one is configured (a revoked certificate fails the
// handshake). Unknown, expired, revoked and missing certificates are all refused by
// OpenSSL during the handshake; the session counts them as certificate_refused.
//
// Built once on the main thread, then used read-only by the Asio thread.
#pragma once

#include <asio/ssl.hpp>

#include "config.hpp"
#include "enlace/result.hpp"

namespace enlace::tak {

/// Fails with invalid_argument naming the file OpenSSL could not load.
Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsListener& config);

}  // namespace enlace::tak
