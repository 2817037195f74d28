#pragma once
// What a socket-owning source still needs outside net::Server (the UDP sources): the local port
// of a bound handle, for the log line after binding to port 0.
#include <uv.h>

namespace flumen::net {

// The local port of a bound TCP or UDP handle (0 if unknown).
int local_port(const uv_handle_t* handle);

}  // namespace flumen::net
