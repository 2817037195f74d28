#include "cli/http_get.h"

#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/net/resolve.h"

namespace flumen::cli {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

struct Parse {
  HttpReply reply;
  bool complete = false;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<std::pair<std::string, int>> parse_host_port(const std::string& address) {
  std::string host = "127.0.0.1";
  std::string port = address;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':')
      return make_error(ErrorCode::kInvalidConfig, "'" + address + "' is not [address]:port");
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else if (size_t colon = address.rfind(':'); colon != std::string::npos) {
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.empty()) host = "127.0.0.1";
  }
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 1 || p > 65535)
    return make_error(ErrorCode::kInvalidConfig, "'" + address + "' is not host:port");
  return std::make_pair(host, static_cast<int>(p));
}

Result<HttpReply> http_get(const std::string& host, int port, const std::string& target,
                           std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto addr = net::resolve_address(host, port);
  if (!addr) return addr.error();
  const sockaddr_storage& sa = addr.value();
  Fd fd(::socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return make_error(ErrorCode::kIo, std::strerror(errno));
  const socklen_t len = sa.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
    if (errno != EINPROGRESS) return make_error(ErrorCode::kUnavailable, std::strerror(errno));
    if (!wait_for(fd.get(), POLLOUT, deadline))
      return make_error(ErrorCode::kTimeout, "no connection within the timeout");
    int err = 0;
    socklen_t elen = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &elen);
    if (err != 0) return make_error(ErrorCode::kUnavailable, std::strerror(err));
  }

  const std::string host_header = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + host_header + ":" +
                              std::to_string(port) +
                              "\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return make_error(ErrorCode::kUnavailable, std::strerror(errno));
    if (!wait_for(fd.get(), POLLOUT, deadline))
      return make_error(ErrorCode::kTimeout, "request not sent within the timeout");
  }

  Parse parse;
  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = &parse;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_body = [](http_parser* p, const char* at, size_t n) {
    static_cast<Parse*>(p->data)->reply.body.append(at, n);
    return 0;
  };
  settings.on_message_complete = [](http_parser* p) {
    auto* st = static_cast<Parse*>(p->data);
    st->reply.status = static_cast<int>(p->status_code);
    st->complete = true;
    return 0;
  };
  char buf[16384];
  while (!parse.complete) {
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd.get(), POLLIN, deadline))
        return make_error(ErrorCode::kTimeout, "no answer within the timeout");
      continue;
    }
    if (n < 0) return make_error(ErrorCode::kUnavailable, std::strerror(errno));
    // n == 0 is the end of the stream: the parser completes a body read to the close.
    size_t used = http_parser_execute(&parser, &settings, buf, static_cast<size_t>(n));
    if (parser.http_errno != HPE_OK || used != static_cast<size_t>(n))
      return make_error(ErrorCode::kCorruption,
                        std::string("not an HTTP answer: ") +
                            http_errno_description(static_cast<http_errno>(parser.http_errno)));
    if (n == 0 && !parse.complete)
      return make_error(ErrorCode::kUnavailable, "connection closed before the answer ended");
  }
  return parse.reply;
}

}  // namespace flumen::cli
