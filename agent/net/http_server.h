#pragma once
// A small HTTP/1.1 server on a libuv loop (loop thread only), parsing with http_parser
// (libhttp-parser), never by hand: keep-alive and pipelining, header and body size limits
// (431/413), idle connections closed, malformed requests answered 400 and closed, a cap on
// connections. A handler turns each complete request into a response. Used by the metrics
// endpoint and the http source.

#include <http_parser.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "agent/util/result.h"

namespace flumen::net {

struct HttpRequest {
  http_method method = HTTP_GET;
  std::string url;
  std::string path;  // "/" when the URL has none
  std::string query;
  std::string body;
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

  HttpServer(uv_loop_t* loop, std::string log_name, size_t max_body, Handler handler);
  ~HttpServer();  // closes the listener and all connections (must run on the loop thread)

  // Binds and listens; port 0 picks a free port (bound_port() tells which).
  Status listen(const std::string& host, int port);
  int bound_port() const { return bound_port_; }
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int bound_port_ = 0;
};

}  // namespace flumen::net
