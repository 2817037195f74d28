// libFuzzer target for a listener end to end: the input is sent over a real loopback connection
// to net::Server running the HTTP server (the http source's and the metrics endpoint's request
// decoder on the connection layer), in pieces whose sizes the input's first bytes choose, then
// the client half-closes and the loop runs until the server closed the connection. Bad requests,
// pipelining, split heads and bodies, oversized heads: any crash, overflow or undefined
// behaviour shows up under AddressSanitizer and UBSan. Build and run: scripts/fuzz.sh.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "agent/net/http_server.h"

using namespace flumen;

namespace {

struct World {
  uv_loop_t loop;
  std::unique_ptr<net::HttpServer> server;
  int port = 0;
  World() {
    uv_loop_init(&loop);
    net::ListenerLimits limits = net::HttpServer::default_limits();
    limits.max_pending_write_bytes = 64 * 1024;
    server = std::make_unique<net::HttpServer>(
        &loop, "fuzz", 4096,
        [](const net::HttpRequest& r) {
          net::HttpResponse out;
          out.content_type = "text/plain";
          out.body = r.path + "?" + r.query + " " + std::to_string(r.body.size());
          return out;
        },
        limits);
    (void)server->listen("127.0.0.1", 0);
    port = server->bound_port();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* w = new World;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(w->port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return 0;
  }
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  // The first byte picks the piece size (1..256 bytes) so reads split requests anywhere.
  const size_t piece = size > 0 ? 1 + data[0] : 1;
  size_t off = size > 0 ? 1 : 0;
  char sink[65536];
  while (off < size) {
    uv_run(&w->loop, UV_RUN_NOWAIT);  // accept, read what came so far
    ssize_t n = ::send(fd, data + off, std::min(piece, size - off), MSG_NOSIGNAL);
    if (n > 0)
      off += static_cast<size_t>(n);
    else if (n < 0 && errno != EAGAIN)
      break;
    while (::recv(fd, sink, sizeof sink, 0) > 0) {
    }
  }
  ::shutdown(fd, SHUT_WR);
  // Until the server closed its side (EOF or reset) or gave up on us.
  for (int turns = 0; turns < 20000; ++turns) {
    uv_run(&w->loop, UV_RUN_NOWAIT);
    ssize_t n = ::recv(fd, sink, sizeof sink, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN)) break;
  }
  ::close(fd);
  uv_run(&w->loop, UV_RUN_NOWAIT);
  return 0;
}
