#pragma once
#include <cstdint>
#include <string>

#include "agent/config/property_table.h"
#include "agent/net/tls_options.h"

namespace flumen::plugins {

struct ForwardSinkOptions : net::TlsClientOptions {
  std::string hostname;
  int64_t port = 0;
  int64_t batch_size = 100;
  std::string compression_type = "none";
  int64_t compression_level = 0;
  int64_t connect_timeout_ms = 20000;
  int64_t request_timeout_ms = 20000;
  int64_t reset_connection_interval_s = 0;
  std::string token;
  int64_t keepalive_s = 10;
  std::string protocol = "auto";
};
const config::PropertyTable<ForwardSinkOptions>& forward_sink_table();
// A hostname that does not resolve now is a warning, not an error: the sink starts and keeps
// retrying (the next agent's name may be registered later), as Flume's avro sink does.
void validate(const ForwardSinkOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
