#pragma once
#include <cstdint>
#include <string>

#include "agent/config/property_table.h"
#include "agent/net/listener_options.h"

namespace flumen::plugins {

struct NetcatSourceOptions : net::ListenerOptions {
  std::string bind;
  int64_t port = 0;
  int64_t max_line_length = 512;
  bool ack_every_event = true;
  int64_t batch_size = 100;
};
const config::PropertyTable<NetcatSourceOptions>& netcat_source_table();
void validate(const NetcatSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

struct NetcatUdpSourceOptions {
  std::string bind;
  int64_t port = 0;
  std::string remote_address_header;
  int64_t batch_size = 100;
  int64_t receive_buffer_bytes = 4 << 20;
};
const config::PropertyTable<NetcatUdpSourceOptions>& netcat_udp_source_table();
void validate(const NetcatUdpSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
