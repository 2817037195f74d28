#include "agent/net/http_server.h"

#include <algorithm>
#include <cctype>

#include <http_parser.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <string_view>
#include <utility>

namespace flumen::net {

namespace {

constexpr size_t kMaxHeaderBytes = 8 * 1024;  // request line + headers

using Response = HttpResponse;

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    default:
      return "Error";
  }
}

}  // namespace

HttpResponse HttpResponse::error(int status, bool close) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(reason(status)) + "\n";
  r.close = close;
  return r;
}

namespace {

std::string serialize(const Response& r, bool head) {
  std::string out;
  out.reserve(256 + (head ? 0 : r.body.size()));
  out += "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += "Cache-Control: no-cache\r\n";
  out += r.extra_headers;
  out += r.close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!head) out += r.body;
  return out;
}

std::string_view url_field(const std::string& url, const http_parser_url& u, int field) {
  if (!(u.field_set & (1u << field))) return {};
  return std::string_view(url).substr(u.field_data[field].off, u.field_data[field].len);
}

}  // namespace

// One connection's parser state. http_parser copies the URL and body into the request as they
// arrive, so the layer's buffer holds nothing: the request under way is this session's memory
// (at most the header limit plus max_body), and it tells the layer a request is started so that
// frame_timeout applies to it.
class HttpServer::Session : public ConnectionHandler {
 public:
  explicit Session(HttpServer* owner) : owner_(owner) {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
  }

  size_t on_data(Connection& c, std::string_view data, bool eof) override {
    conn_ = &c;
    size_t used = 0;
    // A client pipelining faster than it reads: the rest waits (the layer stops reading) until
    // the answers drained.
    while (used < data.size() && !c.closing() && !upgraded_ && !c.write_backlogged()) {
      size_t n =
          http_parser_execute(&parser_, &owner_->settings_, data.data() + used, data.size() - used);
      used += n;
      http_errno err = HTTP_PARSER_ERRNO(&parser_);
      if (err == HPE_PAUSED) {
        http_parser_pause(&parser_, 0);
        if (headers_paused_) {
          headers_paused_ = false;
          if (parser_.nread > kMaxHeaderBytes) {
            respond(HttpResponse::error(431, true), false);
            break;
          }
        }
        if (message_paused_) {
          message_paused_ = false;
          handle_request();
        }
        continue;
      }
      if (err != HPE_OK) {
        respond(HttpResponse::error(too_large_                   ? too_large_status_
                                    : err == HPE_HEADER_OVERFLOW ? 431
                                                                 : 400,
                                    true),
                false);
        break;
      }
      if (!in_body_ && parser_.nread > kMaxHeaderBytes) {
        respond(HttpResponse::error(431, true), false);
        break;
      }
    }
    if (upgraded_) used = data.size();  // what follows CONNECT/Upgrade is not HTTP: dropped
    c.in_frame(started_);
    (void)eof;  // the layer closes after the answers are out
    return used;
  }

 private:
  static Session* of(http_parser* p) { return static_cast<Session*>(p->data); }

  static int on_message_begin(http_parser* p) {
    Session* s = of(p);
    s->url_.clear();
    s->headers_.clear();
    s->in_value_ = false;
    s->body_.clear();
    s->body_bytes_ = 0;
    s->in_body_ = false;
    s->started_ = true;
    return 0;
  }
  static int on_url(http_parser* p, const char* at, size_t len) {
    Session* s = of(p);
    if (s->url_.size() + len > kMaxHeaderBytes) {
      s->too_large_ = true;
      s->too_large_status_ = 431;
      return 1;
    }
    s->url_.append(at, len);
    return 0;
  }
  // A header's name and value may come in several pieces; a name after a value starts the
  // next header. Their total is bounded by the header limit (the parser's nread).
  static int on_header_field(http_parser* p, const char* at, size_t len) {
    Session* s = of(p);
    if (s->headers_.empty() || s->in_value_) s->headers_.emplace_back();
    s->in_value_ = false;
    s->headers_.back().first.append(at, len);
    return 0;
  }
  static int on_header_value(http_parser* p, const char* at, size_t len) {
    Session* s = of(p);
    if (s->headers_.empty()) return 0;
    s->in_value_ = true;
    s->headers_.back().second.append(at, len);
    return 0;
  }
  static int on_headers_complete(http_parser* p) {
    Session* s = of(p);
    s->in_body_ = true;
    s->headers_paused_ = true;  // lets on_data check the exact header size
    http_parser_pause(p, 1);
    return 0;
  }
  static int on_body(http_parser* p, const char* at, size_t len) {
    Session* s = of(p);
    s->body_bytes_ += len;
    if (s->body_bytes_ > s->owner_->max_body_) {
      s->too_large_ = true;
      s->too_large_status_ = 413;
      return 1;
    }
    s->body_.append(at, len);
    return 0;
  }
  static int on_message_complete(http_parser* p) {
    Session* s = of(p);
    s->in_body_ = false;
    s->started_ = false;
    s->keep_alive_ = http_should_keep_alive(p) != 0;
    s->upgrade_ = p->upgrade != 0;  // CONNECT or Upgrade: what follows is not HTTP
    s->method_ = static_cast<http_method>(p->method);
    s->message_paused_ = true;
    http_parser_pause(p, 1);
    return 0;
  }

  void handle_request() {
    HttpResponse r;
    try {
      HttpRequest req;
      req.method = method_;
      req.url = url_;
      req.body.swap(body_);
      req.headers.swap(headers_);
      http_parser_url u;
      http_parser_url_init(&u);
      if (req.url.empty() || http_parser_parse_url(req.url.data(), req.url.size(), 0, &u) != 0) {
        r = HttpResponse::error(400, true);
      } else {
        req.path = std::string(url_field(req.url, u, UF_PATH));
        if (req.path.empty()) req.path = "/";
        req.query = std::string(url_field(req.url, u, UF_QUERY));
        r = owner_->handler_(req);
      }
    } catch (const std::exception& e) {
      owner_->error_log_.error("{}: request failed: {}", owner_->log_name_, e.what());
      r = HttpResponse::error(500, false);
    } catch (...) {
      r = HttpResponse::error(500, false);
    }
    if (!keep_alive_ || upgrade_) r.close = true;
    if (upgrade_) upgraded_ = true;
    respond(r, method_ == HTTP_HEAD);
  }

  void respond(const HttpResponse& r, bool head) {
    conn_->write(serialize(r, head));
    started_ = false;
    if (r.close) conn_->close(CloseReason::kDone);
  }

  friend class HttpServer;
  HttpServer* owner_;
  Connection* conn_ = nullptr;
  http_parser parser_;
  std::string url_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool in_value_ = false;
  std::string body_;
  size_t body_bytes_ = 0;
  bool in_body_ = false;
  bool started_ = false;  // a request's first byte arrived and it is not answered yet
  bool too_large_ = false;
  int too_large_status_ = 0;
  bool headers_paused_ = false;
  bool message_paused_ = false;
  bool keep_alive_ = true;
  bool upgrade_ = false;
  bool upgraded_ = false;
  http_method method_ = HTTP_GET;
};

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  return {};
}

HttpServer::HttpServer(uv_loop_t* loop, std::string log_name, size_t max_body, Handler handler,
                       ListenerLimits limits, ServerCounters counters)
    : log_name_(std::move(log_name)), max_body_(max_body), handler_(std::move(handler)) {
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &Session::on_message_begin;
  settings_.on_url = &Session::on_url;
  settings_.on_header_field = &Session::on_header_field;
  settings_.on_header_value = &Session::on_header_value;
  settings_.on_headers_complete = &Session::on_headers_complete;
  settings_.on_body = &Session::on_body;
  settings_.on_message_complete = &Session::on_message_complete;
  // The server reads the request head in the layer's buffer only transiently (the parser
  // copies it): the buffer limit is the header limit.
  limits.max_buffer_bytes = std::max<size_t>(limits.max_buffer_bytes, kMaxHeaderBytes);
  server_ = std::make_unique<Server>(loop, log_name_, limits, counters, [this](Connection&) {
    return std::make_unique<Session>(this);
  });
}

HttpServer::~HttpServer() = default;

ListenerLimits HttpServer::default_limits() {
  ListenerLimits l;
  l.max_connections = 256;
  l.idle_timeout = std::chrono::seconds(30);
  l.frame_timeout = std::chrono::seconds(30);
  l.max_pending_write_bytes = 4 << 20;
  return l;
}

Status HttpServer::listen(const std::string& host_in, int port,
                          std::shared_ptr<const TlsContext> tls) {
  std::string host = host_in;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const bool v6 = host.find(':') != std::string::npos;
  const std::string where = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  if (listening_)
    return make_error(ErrorCode::kInvalidConfig,
                      log_name_ + ": already listening, cannot listen on " + where);
  if (port < 0 || port > 65535)
    return make_error(ErrorCode::kInvalidConfig,
                      log_name_ + ": cannot listen on " + where + ": invalid port");
  auto bound = server_->listen_tls(host.empty() ? "0.0.0.0" : host, port, std::move(tls));
  if (!bound) {
    // The layer's message names the address and the cause; keep it as is.
    return make_error(bound.status().code(), log_name_ + ": " + bound.status().message());
  }
  listening_ = true;
  bound_port_ = bound.value();
  return Status::ok();
}

void HttpServer::close() {
  server_->close();
}

}  // namespace flumen::net
