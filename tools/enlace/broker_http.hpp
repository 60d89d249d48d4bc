// How the enlace tool reaches a running broker for operators' questions: its HTTP endpoint
// (enlace-broker --http, docs/operations.md). The address comes from --http, else from
// ENLACE_BROKER_HTTP, else the broker's default 127.0.0.1:7451.
#pragma once

#include <string>

#include "args.hpp"

namespace enlace::cli {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

/// The HTTP address the command's options (or the environment) name.
std::string broker_http_address(const Args& args);

/// GET `path` from `address` ("HOST:PORT"), waiting at most five seconds. Throws
/// std::runtime_error saying what failed (connection refused, timed out...) and where.
HttpReply http_fetch(const std::string& address, const std::string& path);

}  // namespace enlace::cli
