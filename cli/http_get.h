#pragma once
// A blocking HTTP/1.1 GET for the operator commands (top, tap) that read an agent's metrics
// endpoint: one request per connection (Connection: close), the answer parsed with http_parser
// (Content-Length or chunked), the whole exchange bounded by a deadline so an agent that stopped
// answering never freezes the terminal.

#include <chrono>
#include <string>

#include "agent/util/result.h"

namespace flumen::cli {

struct HttpReply {
  int status = 0;
  std::string body;
};

// "host:port" (or "[v6]:port"); a bare port means 127.0.0.1. kInvalidConfig when unparsable.
Result<std::pair<std::string, int>> parse_host_port(const std::string& address);

// GET http://host:port<target>. kUnavailable when the connection fails, kTimeout at the deadline,
// kCorruption when the answer is not HTTP.
Result<HttpReply> http_get(const std::string& host, int port, const std::string& target,
                           std::chrono::milliseconds timeout);

}  // namespace flumen::cli
