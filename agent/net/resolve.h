#pragma once
// Addresses as users configure them: "localhost" (Flume's quick start), the host's own name, any
// resolvable name, IPv4 ("0.0.0.0", "10.0.0.1") or IPv6 ("::", "::1", "[::1]"). Listeners bind
// with it and sinks connect with it; `flumen check` calls it too, so a name that does not resolve
// fails the check exactly as it would fail the start.
//
// Resolution is synchronous (getaddrinfo): it runs at start, at check and when a sink
// (re)connects, never per event. A name with both families resolves to its IPv4 address first,
// as Java's InetAddress (and so Flume) does.
#include <sys/socket.h>

#include <string>

#include "agent/util/result.h"

namespace flumen::net {

// host:port as a socket address. An empty host is 0.0.0.0. Errors are kInvalidConfig with a
// message naming the host ("bind address 'nosuch.example' does not resolve: ...").
Result<sockaddr_storage> resolve_address(const std::string& host, int port);

// The same check for configuration validation: ok when resolve_address would succeed.
// `what` names the key in the message ("bind", "hostname").
Status check_address(const std::string& host, const std::string& what = "address");

// "ip:port" of an address ("[ip]:port" for IPv6 when `bracket_v6`), for logs.
std::string format_address(const sockaddr_storage& addr, bool bracket_v6 = false);

}  // namespace flumen::net
