#include "plugins/sources/syslog/config.h"

namespace flumen::plugins {

namespace {
using T = SyslogOptions;
config::PropertyTable<T>& common(config::PropertyTable<T>& t) {
  return t
      .string("host", &T::host, "0.0.0.0",
              "Address to listen on: a host name, IPv4 or IPv6 address (0.0.0.0: every interface).")
      .string("keepFields", &T::keep_fields, "none",
              "none: the body is the message; all: the whole line; or a list of priority, "
              "version, timestamp, hostname to keep in the body.");
}
}  // namespace

const config::PropertyTable<SyslogOptions>& syslog_tcp_table() {
  static const auto table = [] {
    config::PropertyTable<T> t;
    common(t)
        .integer("port", &T::port, "", 0, 65535, "TCP port (0 = any free port).")
        .required()
        .integer("eventSize", &T::event_size, "2500", 1, 64 << 20,
                 "Largest message in bytes; longer ones are cut and marked Incomplete.")
        .string("clientIPHeader", &T::client_ip_header, "", "Header for the sender's IP.")
        .string("clientHostnameHeader", &T::client_hostname_header, "",
                "Header for the sender's address (no reverse lookup: the IP).")
        .integer("batchSize", &T::batch_size, "100", 1, 1'000'000,
                 "flumen: most messages per channel transaction.");
    net::add_listener_rows(t, {});
    return t;
  }();
  return table;
}

const config::PropertyTable<SyslogOptions>& syslog_multiport_table() {
  static const auto table = [] {
    config::PropertyTable<T> t;
    common(t)
        .list("ports", &T::ports, "", "TCP ports to listen on.")
        .required()
        .integer("eventSize", &T::event_size, "2500", 1, 64 << 20,
                 "Largest message in bytes; longer ones are cut and marked Incomplete.")
        .string("portHeader", &T::port_header, "", "Header for the port a message came in on.")
        .string("charset.default", &T::charset_default, "UTF-8",
                "Accepted; bodies are passed through as bytes.")
        .map("charset.port.", &T::charset_ports, "Accepted; bodies are passed through as bytes.")
        .integer("batchSize", &T::batch_size, "100", 1, 1'000'000,
                 "Most messages per channel transaction.")
        .integer("readBufferSize", &T::read_buffer_size, "1024", 1, INT64_MAX,
                 "Accepted for Flume compatibility.")
        .integer("numProcessors", &T::num_processors, "0", 0, INT64_MAX,
                 "Accepted for Flume compatibility (one loop thread serves all ports).");
    net::add_listener_rows(t, {});
    return t;
  }();
  return table;
}

const config::PropertyTable<SyslogOptions>& syslog_udp_table() {
  static const auto table = [] {
    config::PropertyTable<T> t;
    common(t)
        .integer("port", &T::port, "", 0, 65535, "UDP port (0 = any free port).")
        .required()
        .string("clientIPHeader", &T::client_ip_header, "", "Header for the sender's IP.")
        .string("clientHostnameHeader", &T::client_hostname_header, "",
                "Header for the sender's address (no reverse lookup: the IP).");
    net::add_datagram_rows(t, &T::receive_buffer_bytes);
    return t;
  }();
  return table;
}

void validate(const SyslogOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  net::check_address_key("host", o.host, where, diags);
  net::warn_every_interface_default("host", where, diags);
  for (const auto& p : o.ports) {
    auto n = config::parse_int(p);
    if (!n || *n < 0 || *n > 65535)
      diags.error(where.where, where.description + ": port '" + p + "' is not a port number");
  }
  std::string k = config::to_lower(config::trim(o.keep_fields));
  if (k != "none" && k != "false" && k != "all" && k != "true") {
    for (const auto& w : config::split_words(k))
      if (w != "priority" && w != "version" && w != "timestamp" && w != "hostname")
        diags.error(where.where, where.description + ": keepFields word '" + w +
                                     "' is not one of priority, version, timestamp, hostname");
  }
}

}  // namespace flumen::plugins
