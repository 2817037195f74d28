#include "plugins/sources/http/config.h"

#include <algorithm>

namespace flumen::plugins {

const config::PropertyTable<HttpSourceOptions>& http_source_table() {
  using T = HttpSourceOptions;
  static const auto table = [] {
    config::PropertyTable<T> t;
    t.string("bind", &T::bind, "0.0.0.0",
             "Address to listen on: a host name, IPv4 or IPv6 address. The default, as in "
             "Flume, is every interface.")
        .integer("port", &T::port, "", 0, 65535, "TCP port (0 = any free port).")
        .required()
        .string("handler", &T::handler, "org.apache.flume.source.http.JSONHandler",
                "JSONHandler ([{\"headers\":{...},\"body\":\"...\"}]) or BlobHandler (the "
                "request body is one event, query parameters its headers); short names json "
                "and blob work too.")
        .map("handler.", &T::handler_keys,
             "Handler options: handler.maxBlobLength (BlobHandler, bytes).")
        .integer("maxRequestBytes", &T::max_request_bytes, "16777216", 1024, 1LL << 31,
                 "flumen: largest request body; larger requests get 413.")
        .map("QueuedThreadPool.", &T::jetty, "Jetty tuning: accepted, no effect.")
        .map("HttpConfiguration.", &T::jetty, "Jetty tuning: accepted, no effect.")
        .map("SslContextFactory.", &T::jetty, "Jetty tuning: accepted, no effect.")
        .map("ServerConnector.", &T::jetty, "Jetty tuning: accepted, no effect.");
    net::add_tls_listener_rows(t);
    net::add_listener_rows(
        t, {.max_connections = "256", .idle_timeout_s = "30", .frame_timeout_s = "30"});
    return t;
  }();
  return table;
}

void validate(const HttpSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  net::check_address_key("bind", o.bind, where, diags);
  net::warn_every_interface_default("bind", where, diags);
  std::string h = config::to_lower(o.handler);
  if (h != "json" && h != "blob" && h != "org.apache.flume.source.http.jsonhandler" &&
      h != "org.apache.flume.sink.solr.morphline.blobhandler")
    diags.error(where.where, where.description + ": handler '" + o.handler +
                                 "' is not supported (JSONHandler or BlobHandler)");
  net::check_tls_listener(o, where, diags);
  for (const auto& [k, v] : o.handler_keys)
    if (k != "maxBlobLength")
      diags.error(where.where, where.description + ": unknown handler key 'handler." + k + "'");
}

}  // namespace flumen::plugins
