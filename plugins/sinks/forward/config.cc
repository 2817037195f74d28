#include "plugins/sinks/forward/config.h"

#include "agent/net/resolve.h"

namespace flumen::plugins {

const config::PropertyTable<ForwardSinkOptions>& forward_sink_table() {
  using T = ForwardSinkOptions;
  static auto table =
      config::PropertyTable<T>()
          .string("hostname", &T::hostname, "", "Host of the next agent's forward source.")
          .required()
          .integer("port", &T::port, "", 1, 65535, "Its port.")
          .required()
          .integer("batch-size", &T::batch_size, "100", 1, 1'000'000,
                   "Events taken per channel transaction; sent as batches of at most 1000 "
                   "events / 1 MiB, all in flight at once.")
          .one_of("compression-type", &T::compression_type, "none",
                  {"none", "deflate", "zstd", "lz4"},
                  "Per-batch compression: zstd (smallest), lz4 (cheapest); Flume's deflate is "
                  "served by zstd between flumen agents, and is the zlib stream Flume expects "
                  "when speaking Avro RPC (zstd and lz4 are then none).")
          .integer("compression-level", &T::compression_level, "0", 0, 19,
                   "zstd level (0 = zstd's fast default of 1); ignored by lz4.")
          .integer("connect-timeout", &T::connect_timeout_ms, "20000", 100, 3'600'000,
                   "Milliseconds to connect and complete the handshake.")
          .integer("request-timeout", &T::request_timeout_ms, "20000", 100, 3'600'000,
                   "Milliseconds a transaction's batches may take to be acknowledged, retries "
                   "included; then it is rolled back and the sink group may move on.")
          .integer("reset-connection-interval", &T::reset_connection_interval_s, "0", 0, 86'400,
                   "Seconds after which the connection is rebuilt (lets a load balancer in front "
                   "rebalance); 0 = never.")
          .string("token", &T::token, "", "Shared secret presented to the receiving source.")
          .integer("keepalive", &T::keepalive_s, "10", 1, 3600,
                   "flumen: seconds of idleness after which a ping checks the connection.")
          .one_of("protocol", &T::protocol, "auto", {"auto", "flumen", "flume"},
                  "flumen: flumen = the forward protocol (another flumen agent); flume = Apache "
                  "Flume's Avro RPC (a Flume avro source; compression-type deflate or none); "
                  "auto = the forward protocol, or Avro RPC when the peer does not answer its "
                  "HELLO.");
  static const bool tls_rows = (net::add_tls_client_rows(table), true);  // TLS (tls_options.h)
  (void)tls_rows;
  return table;
}

void validate(const ForwardSinkOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  if (Status s = net::check_address(o.hostname, where.key_prefix + "hostname"); !s)
    diags.warning(where.where, where.description + ": " + s.message() +
                                   " (the sink will keep trying to connect)");
  net::check_tls_client(o, o.hostname, where, diags);
  net::warn_token_without_tls(!o.token.empty(), o.ssl, where, diags);
}

}  // namespace flumen::plugins
