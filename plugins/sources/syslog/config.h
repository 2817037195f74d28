#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/config/property_table.h"
#include "agent/net/listener_options.h"

namespace flumen::plugins {

// One options struct for syslogtcp, multiport_syslogtcp and syslogudp; each type's table
// exposes only its own keys.
struct SyslogOptions : net::ListenerOptions {
  std::string host = "0.0.0.0";
  int64_t port = -1;
  std::vector<std::string> ports;
  int64_t event_size = 2500;
  std::string keep_fields = "none";
  std::string client_ip_header;
  std::string client_hostname_header;
  std::string port_header;
  std::string charset_default = "utf-8";
  std::map<std::string, std::string> charset_ports;
  int64_t batch_size = 100;
  int64_t read_buffer_size = 1024;
  int64_t num_processors = 0;
  int64_t receive_buffer_bytes = 4 << 20;  // syslogudp
};

const config::PropertyTable<SyslogOptions>& syslog_tcp_table();
const config::PropertyTable<SyslogOptions>& syslog_multiport_table();
const config::PropertyTable<SyslogOptions>& syslog_udp_table();
void validate(const SyslogOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
