#include "plugins/sources/forward/config.h"

namespace flumen::plugins {

const config::PropertyTable<ForwardSourceOptions>& forward_source_table() {
  using T = ForwardSourceOptions;
  static const auto table = [] {
    config::PropertyTable<T> t;
    t.string("bind", &T::bind, "", "Address to listen on: a host name, IPv4 or IPv6 address.")
        .required()
        .integer("port", &T::port, "", 0, 65535, "TCP port (0 = any free port).")
        .required()
        .integer("threads", &T::threads, "1", 1, 64,
                 "Flume's worker thread count; accepted for compatibility: one event loop "
                 "serves every connection (decoding is not the bottleneck, the channel is).")
        .string("token", &T::token, "",
                "Shared secret the sending sink must present; empty accepts any sender.")
        .integer("max-frame-size", &T::max_frame_size, "16777216", 65536, 256 << 20,
                 "flumen: largest frame accepted, in bytes; a bigger one (or a length prefix "
                 "announcing one) closes the connection. A frame's memory is taken as its bytes "
                 "arrive.")
        .one_of("compression-type", &T::compression_type, "none",
                {"none", "deflate", "zstd", "lz4"},
                "Accepted for Flume compatibility: forward batches name their own codec (none, "
                "zstd, lz4), and Apache Flume's Avro RPC with deflate is detected from the "
                "stream, whatever this says.")
        .integer("handshake-timeout", &T::handshake_timeout_s, "10", 1, 3600,
                 "flumen: seconds a new connection has to send a valid HELLO (or its first "
                 "Avro RPC request).");
    net::add_listener_rows(
        t, {.max_connections = "256", .idle_timeout_s = "60", .frame_timeout_s = "30"},
        net::KeyStyle::kDashed);
    net::add_tls_listener_rows(t);
    return t;
  }();
  return table;
}

void validate(const ForwardSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  net::check_address_key("bind", o.bind, where, diags);
  net::check_tls_listener(o, where, diags);
  net::warn_token_without_tls(!o.token.empty(), o.ssl, where, diags);
}

}  // namespace flumen::plugins
