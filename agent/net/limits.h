#pragma once
// What one listener allows each peer: the limits net::Server enforces for every connection it
// accepts. Each listening plugin fills them from its property table (listener_rows.h), so they
// are documented and checked like any other key. The defaults keep a hostile peer's cost at its
// buffer: memory is allocated only for bytes that arrived, never for a length a peer announced.
#include <chrono>
#include <cstddef>

namespace flumen::net {

struct ListenerLimits {
  // Open connections at once. At the cap a new connection sheds the connection idle the
  // longest (idle at least shed_idle_after), else it is refused at once: a crowd of silent
  // connections never locks good clients out.
  size_t max_connections = 256;
  // Received bytes a connection may hold that its handler has not consumed yet: the largest
  // frame, line or request head. A connection whose buffer is full and whose handler still
  // wants more is closed as a protocol error.
  size_t max_buffer_bytes = 1 << 20;
  // Replies queued to a peer that does not read them: above this the connection stops reading
  // (TCP then slows the sender) until half of it has drained.
  size_t max_pending_write_bytes = 256 * 1024;
  // 0 disables a timeout.
  // No byte received for this long: the connection is closed (not counted as an error).
  std::chrono::milliseconds idle_timeout{0};
  // From accept until the handler calls Connection::established() (a HELLO that checked out).
  std::chrono::milliseconds handshake_timeout{0};
  // TLS listeners whose protocol has no handshake_timeout: the TLS handshake's own limit.
  std::chrono::milliseconds tls_handshake_timeout{std::chrono::seconds(10)};
  // A frame started (bytes buffered, handler waiting for the rest) must complete within this.
  std::chrono::milliseconds frame_timeout{0};
  // At the connection cap, how long a connection must have been silent to be shed for a new one.
  std::chrono::milliseconds shed_idle_after{std::chrono::seconds(1)};
  // A closing connection whose peer does not take its last replies is reset after this.
  std::chrono::milliseconds linger{std::chrono::seconds(2)};
};

}  // namespace flumen::net
