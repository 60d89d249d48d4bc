#include "tls_context.hpp"

#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace enlace::tak {
namespace {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "unknown error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  ERR_clear_error();
  return buffer;
}

// Adds every CRL of a PEM file to the context's store and turns CRL checking on for the
// client certificate (its issuer's CRL must then be present: a CA without one fails
// closed, which is why the CRL is optional in the configuration rather than empty).
bool add_crls(SSL_CTX* context, const std::filesystem::path& file, std::string& error) {
  std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(file.c_str(), "r"), &std::fclose);
  if (!in) {
    error = "cannot open";
    return false;
  }
  X509_STORE* store = SSL_CTX_get_cert_store(context);
  int added = 0;
  while (X509_CRL* crl = PEM_read_X509_CRL(in.get(), nullptr, nullptr, nullptr)) {
    const int ok = X509_STORE_add_crl(store, crl);
    X509_CRL_free(crl);
    if (ok != 1) {
      error = openssl_error();
      return false;
    }
    ++added;
  }
  ERR_clear_error();  // the end of the file reads as a PEM error
  if (added == 0) {
    error = "no CRL in the file";
    return false;
  }
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  return true;
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsListener& config) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  asio::error_code error;
  auto fail = [&](const std::filesystem::path& file, std::string_view what) {
    return ErrorInfo{Errc::invalid_argument, fmt::format("TLS: {}: {}", file.string(), what)};
  };
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1,
                       error);
  // Mobile clients often drop the TCP connection without close_notify; that is an
  // ordinary disconnect, not an error.
  SSL_CTX_set_options(context->native_handle(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  context->use_certificate_chain_file(config.certificate.string(), error);
  if (error) {
    return fail(config.certificate, error.message());
  }
  context->use_private_key_file(config.private_key.string(), asio::ssl::context::pem, error);
  if (error) {
    return fail(config.private_key, error.message());
  }
  context->load_verify_file(config.ca.string(), error);
  if (error) return fail(config.ca, error.message());
  context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, error);
  if (config.crl) {
    std::string why;
    if (!add_crls(context->native_handle(), *config.crl, why)) return fail(*config.crl, why);
  }
  return context;
}

}  // namespace enlace::tak
