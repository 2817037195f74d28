#pragma once
// A small HTTP/1.1 server on a libuv loop (loop thread only), parsing with http_parser
// (libhttp-parser), never by hand: keep-alive and pipelining, header and body size limits
// (431/413), malformed requests answered 400 and closed. Connections run on net::Server: a cap
// on connections that sheds idle ones first (a crowd of idle clients never locks the others
// out), idle and slow-request timeouts, and a client that pipelines without reading stops
// being read. A handler turns each complete request into a response. Used by the metrics
// endpoint and the http source.

#include <http_parser.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/net/server.h"
#include "agent/util/log_throttle.h"
#include "agent/util/result.h"

namespace flumen::net {

struct HttpRequest {
  http_method method = HTTP_GET;
  std::string url;
  std::string path;  // "/" when the URL has none
  std::string query;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, names as spelled
  // The value of the first header of that name (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string extra_headers;  // "Name: value\r\n" lines
  bool close = false;
  static HttpResponse error(int status, bool close);
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // 256 connections, 30 s idle, 30 s for a request to arrive whole, 4 MiB of queued answers.
  static ListenerLimits default_limits();

  HttpServer(uv_loop_t* loop, std::string log_name, size_t max_body, Handler handler,
             ListenerLimits limits = default_limits(), ServerCounters counters = {});
  ~HttpServer();  // closes the listener and all connections (must run on the loop thread)

  // Binds and listens (a host name, IPv4 or IPv6 address); port 0 picks a free port
  // (bound_port() tells which). Once only.
  // With `tls` (a server context) every connection is HTTPS.
  Status listen(const std::string& host, int port, std::shared_ptr<const TlsContext> tls = nullptr);
  int bound_port() const { return bound_port_; }
  void close();

 private:
  class Session;
  std::string log_name_;
  size_t max_body_;
  Handler handler_;
  http_parser_settings settings_{};
  util::LogThrottle error_log_;
  std::unique_ptr<Server> server_;
  bool listening_ = false;
  int bound_port_ = 0;
};

}  // namespace flumen::net
