#include "plugins/sources/netcat/config.h"

namespace flumen::plugins {

const config::PropertyTable<NetcatSourceOptions>& netcat_source_table() {
  using T = NetcatSourceOptions;
  static const auto table = [] {
    config::PropertyTable<T> t;
    t.string("bind", &T::bind, "", "Address to listen on: a host name, IPv4 or IPv6 address.")
        .required()
        .integer("port", &T::port, "", 0, 65535, "TCP port (0 = any free port).")
        .required()
        .integer("max-line-length", &T::max_line_length, "512", 1, 64 << 20,
                 "Longest line in bytes (newline included); longer lines are refused and "
                 "counted.")
        .boolean("ack-every-event", &T::ack_every_event, "true",
                 "Answer \"OK\" to each line once it is committed to the channel.")
        .integer("batchSize", &T::batch_size, "100", 1, 1'000'000,
                 "flumen: most lines put in one channel transaction.");
    net::add_listener_rows(t, {});
    return t;
  }();
  return table;
}

const config::PropertyTable<NetcatUdpSourceOptions>& netcat_udp_source_table() {
  using T = NetcatUdpSourceOptions;
  static const auto table = [] {
    config::PropertyTable<T> t;
    t.string("bind", &T::bind, "", "Address to listen on: a host name, IPv4 or IPv6 address.")
        .required()
        .integer("port", &T::port, "", 0, 65535, "UDP port (0 = any free port).")
        .required()
        .string("remoteAddressHeader", &T::remote_address_header, "",
                "If set, the sender's address is put in this header.")
        .integer("batchSize", &T::batch_size, "100", 1, 1'000'000,
                 "flumen: most datagrams put in one channel transaction.");
    net::add_datagram_rows(t, &T::receive_buffer_bytes);
    return t;
  }();
  return table;
}

void validate(const NetcatSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  net::check_address_key("bind", o.bind, where, diags);
}

void validate(const NetcatUdpSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  net::check_address_key("bind", o.bind, where, diags);
}

}  // namespace flumen::plugins
