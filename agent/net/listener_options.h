#pragma once
// The limit keys every TCP listener shares, in one place: a plugin's options struct derives
// from ListenerOptions and its property table adds the rows with add_listener_rows(), so the
// keys, ranges and docs are the same everywhere (in the plugin's key style: Flume's camelCase
// for netcat, syslog and http, dashed for forward). to_limits() turns them into what net::Server
// enforces.
#include <cstdint>

#include "agent/config/property_table.h"
#include "agent/net/limits.h"
#include "agent/net/resolve.h"

namespace flumen::net {

struct ListenerOptions {
  int64_t max_connections = 256;
  int64_t max_pending_reply_bytes = 256 * 1024;
  int64_t idle_timeout_s = 0;
  int64_t frame_timeout_s = 0;
};

// Defaults differ per listener (a forward connection pings, a syslog sender may stay silent for
// hours): given as the user would write them.
struct ListenerDefaults {
  const char* max_connections = "256";
  const char* idle_timeout_s = "0";
  const char* frame_timeout_s = "0";
};

enum class KeyStyle { kCamel, kDashed };

template <typename T>
config::PropertyTable<T>& add_listener_rows(config::PropertyTable<T>& t, ListenerDefaults d,
                                            KeyStyle style = KeyStyle::kCamel) {
  const bool dashed = style == KeyStyle::kDashed;
  return t
      .integer(dashed ? "max-connections" : "maxConnections", &T::max_connections,
               d.max_connections, 1, 1'000'000,
               "flumen: most connections open at once. At the limit a new connection replaces "
               "the one idle the longest (silent for 1 s or more), else it is refused at once "
               "(ConnectionShedCount, ConnectionRefusedCount).")
      .integer(dashed ? "max-pending-reply-bytes" : "maxPendingReplyBytes",
               &T::max_pending_reply_bytes, "262144", 1024, 1LL << 30,
               "flumen: replies queued to a peer that does not read them; above this the "
               "connection stops reading until half has drained (TCP slows the sender).")
      .integer(dashed ? "idle-timeout" : "idleTimeout", &T::idle_timeout_s, d.idle_timeout_s, 0,
               86400 * 7,
               "flumen: seconds without a byte received after which a connection is closed "
               "(0 = never; ConnectionTimeoutCount).")
      .integer(dashed ? "frame-timeout" : "frameTimeout", &T::frame_timeout_s, d.frame_timeout_s, 0,
               86400,
               "flumen: seconds a started message may take to arrive completely; a slower "
               "one closes the connection as a protocol error (0 = no limit).");
}

// The datagram listeners' (netcatudp, syslogudp) one limit key: the kernel receive buffer that
// holds a burst while the channel is full (net::UdpReceiver).
template <typename T>
config::PropertyTable<T>& add_datagram_rows(config::PropertyTable<T>& t,
                                            int64_t T::*receive_buffer_bytes) {
  return t.integer("receiveBufferBytes", receive_buffer_bytes, "4194304", 0, 1LL << 30,
                   "flumen: the socket's kernel receive buffer, where datagrams wait while the "
                   "channel is full (UDP cannot slow its sender); what does not fit is dropped "
                   "by the kernel and counted (DatagramDropCount). 0 = the system default "
                   "(212992 bytes on Linux); above net.core.rmem_max only for root.");
}

// `max_buffer`: the largest frame, line or request head the listener accepts (its own key).
inline ListenerLimits to_limits(const ListenerOptions& o, size_t max_buffer) {
  ListenerLimits l;
  l.max_connections = static_cast<size_t>(o.max_connections);
  l.max_pending_write_bytes = static_cast<size_t>(o.max_pending_reply_bytes);
  l.max_buffer_bytes = max_buffer;
  l.idle_timeout = std::chrono::seconds(o.idle_timeout_s);
  l.frame_timeout = std::chrono::seconds(o.frame_timeout_s);
  return l;
}

// Config validation of an address key (bind, host, hostname): it must resolve now, so that
// `flumen check` fails exactly when the start would. The error points at the key's line.
inline void check_address_key(const std::string& key, const std::string& host,
                              const config::ComponentEntries& where, config::Diagnostics& diags) {
  Status s = check_address(host, where.key_prefix + key);
  if (s) return;
  config::Location at = where.where;
  for (const auto& e : where.entries)
    if (e.key == key) at = e.where;
  diags.error(at, where.description + ": " + s.message());
}

// A listener whose address key was left at Flume's default of every interface (the http and
// syslog sources): kept, as Flume does, but said, since such a port is open to the network.
inline void warn_every_interface_default(const std::string& key,
                                         const config::ComponentEntries& where,
                                         config::Diagnostics& diags) {
  for (const auto& e : where.entries)
    if (e.key == key) return;
  diags.warning(where.where, where.description + ": " + key +
                                 " is not set: listening on every interface (0.0.0.0, Flume's "
                                 "default); set " +
                                 key +
                                 " = 127.0.0.1 unless the port is meant to be reachable from the "
                                 "network");
}

}  // namespace flumen::net
