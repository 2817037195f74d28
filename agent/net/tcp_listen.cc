#include "agent/net/tcp_listen.h"

namespace flumen::net {

int local_port(const uv_handle_t* h) {
  sockaddr_storage addr{};
  int len = sizeof addr;
  int rc = h->type == UV_UDP ? uv_udp_getsockname(reinterpret_cast<const uv_udp_t*>(h),
                                                  reinterpret_cast<sockaddr*>(&addr), &len)
                             : uv_tcp_getsockname(reinterpret_cast<const uv_tcp_t*>(h),
                                                  reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return 0;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return 0;
}

}  // namespace flumen::net
