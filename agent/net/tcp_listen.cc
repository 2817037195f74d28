#include "agent/net/tcp_listen.h"

namespace flumen::net {

namespace {

int port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
  return 0;
}

}  // namespace

Status ip_address(const std::string& host, int port, sockaddr_storage& out) {
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0)
    return Status::ok();
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0)
    return Status::ok();
  return make_error(ErrorCode::kInvalidConfig, "bind address '" + host + "' is not an IP address");
}

Result<int> listen_tcp(uv_loop_t* loop, uv_tcp_t** server, const std::string& host, int port,
                       void* data, uv_connection_cb on_connection, int backlog) {
  *server = nullptr;
  sockaddr_storage addr{};
  if (Status s = ip_address(host, port, addr); !s) return s.error();
  auto* tcp = new uv_tcp_t;
  uv_tcp_init(loop, tcp);
  tcp->data = data;
  int rc = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp), backlog, on_connection);
  if (rc != 0) {
    close_server(&tcp);
    return make_error(ErrorCode::kIo, "cannot listen on " + host + ":" + std::to_string(port) +
                                          ": " + uv_strerror(rc));
  }
  *server = tcp;
  return local_port(reinterpret_cast<uv_handle_t*>(tcp));
}

void close_server(uv_tcp_t** server) {
  if (*server == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(*server),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  *server = nullptr;
}

int local_port(const uv_handle_t* h) {
  sockaddr_storage addr{};
  int len = sizeof addr;
  int rc = h->type == UV_UDP ? uv_udp_getsockname(reinterpret_cast<const uv_udp_t*>(h),
                                                  reinterpret_cast<sockaddr*>(&addr), &len)
                             : uv_tcp_getsockname(reinterpret_cast<const uv_tcp_t*>(h),
                                                  reinterpret_cast<sockaddr*>(&addr), &len);
  return rc == 0 ? port_of(addr) : 0;
}

std::string peer_address(const uv_tcp_t* tcp) {
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char ip[64] = "";
  if (addr.ss_family == AF_INET6)
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&addr), ip, sizeof ip);
  else
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&addr), ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(port_of(addr));
}

}  // namespace flumen::net
