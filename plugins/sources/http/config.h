#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "agent/config/property_table.h"
#include "agent/net/listener_options.h"
#include "agent/net/tls_options.h"

namespace flumen::plugins {

struct HttpSourceOptions : net::ListenerOptions, net::TlsListenerOptions {
  std::string bind = "0.0.0.0";
  int64_t port = 0;
  std::string handler = "json";
  std::map<std::string, std::string> handler_keys;  // handler.*
  int64_t max_request_bytes = 16 << 20;
  std::map<std::string, std::string> jetty;  // Jetty pass-through keys, accepted and unused
};

const config::PropertyTable<HttpSourceOptions>& http_source_table();
void validate(const HttpSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
