#pragma once
// The few steps every TCP-listening source repeats on its libuv loop: parse the bind address,
// bind and listen (with a message that names the address on failure), learn the port the kernel
// chose for port 0, and name a connection's peer for logs.
#include <uv.h>

#include <string>

#include "agent/util/result.h"

namespace flumen::net {

// A numeric IPv4 or IPv6 address (no name resolution: sources bind to addresses).
Status ip_address(const std::string& host, int port, sockaddr_storage& out);

// Creates `*server` on `loop` (server->data = data), binds it to host:port and listens. On
// failure nothing is left open and *server is null. Returns the bound port.
Result<int> listen_tcp(uv_loop_t* loop, uv_tcp_t** server, const std::string& host, int port,
                       void* data, uv_connection_cb on_connection, int backlog = 256);

// Closes and frees a server created by listen_tcp; null is fine.
void close_server(uv_tcp_t** server);

// The local port of a bound TCP or UDP handle (0 if unknown).
int local_port(const uv_handle_t* handle);

// "ip:port" of a connected TCP handle's peer, for logs.
std::string peer_address(const uv_tcp_t* tcp);

}  // namespace flumen::net
