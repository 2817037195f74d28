#include "agent/net/resolve.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <uv.h>

#include <cstring>

namespace flumen::net {

namespace {

std::string strip_brackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  return host;
}

void set_port(sockaddr_storage& a, int port) {
  if (a.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&a)->sin_port = htons(static_cast<uint16_t>(port));
  else if (a.ss_family == AF_INET6)
    reinterpret_cast<sockaddr_in6*>(&a)->sin6_port = htons(static_cast<uint16_t>(port));
}

}  // namespace

Result<sockaddr_storage> resolve_address(const std::string& configured, int port) {
  sockaddr_storage out{};
  const std::string host = configured.empty() ? "0.0.0.0" : strip_brackets(configured);
  if (port < 0 || port > 65535)
    return make_error(ErrorCode::kInvalidConfig, "port " + std::to_string(port) + " is not valid");
  // Numeric addresses need no lookup.
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return out;
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0) return out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr)
    return make_error(ErrorCode::kInvalidConfig, "address '" + configured + "' does not resolve: " +
                                                     (rc != 0 ? gai_strerror(rc) : "no address"));
  const addrinfo* pick = nullptr;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
    if (a->ai_family == AF_INET6 && pick == nullptr) pick = a;
  }
  if (pick != nullptr) std::memcpy(&out, pick->ai_addr, pick->ai_addrlen);
  ::freeaddrinfo(found);
  if (pick == nullptr)
    return make_error(ErrorCode::kInvalidConfig,
                      "address '" + configured + "' has no IPv4 or IPv6 address");
  set_port(out, port);
  return out;
}

Status check_address(const std::string& host, const std::string& what) {
  auto r = resolve_address(host, 0);
  if (!r) return make_error(ErrorCode::kInvalidConfig, what + ": " + r.status().message());
  return Status::ok();
}

std::string format_address(const sockaddr_storage& addr, bool bracket_v6) {
  char ip[INET6_ADDRSTRLEN] = "";
  int port = 0;
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    uv_ip6_name(a, ip, sizeof ip);
    port = ntohs(a->sin6_port);
    if (bracket_v6) return "[" + std::string(ip) + "]:" + std::to_string(port);
  } else if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    uv_ip4_name(a, ip, sizeof ip);
    port = ntohs(a->sin_port);
  } else {
    return "?";
  }
  return std::string(ip) + ":" + std::to_string(port);
}

}  // namespace flumen::net
