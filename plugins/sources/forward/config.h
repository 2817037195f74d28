#pragma once
#include <cstdint>
#include <string>

#include "agent/config/property_table.h"
#include "agent/net/listener_options.h"
#include "agent/net/tls_options.h"

namespace flumen::plugins {

struct ForwardSourceOptions : net::ListenerOptions, net::TlsListenerOptions {
  std::string bind;
  int64_t port = 0;
  int64_t threads = 1;
  std::string token;
  int64_t max_frame_size = 16 << 20;
  std::string compression_type = "none";
  int64_t handshake_timeout_s = 10;
};
const config::PropertyTable<ForwardSourceOptions>& forward_source_table();
void validate(const ForwardSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
