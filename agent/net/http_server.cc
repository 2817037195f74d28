#include "agent/net/http_server.h"

#include <arpa/inet.h>
#include <http_parser.h>
#include <netdb.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace flumen::net {

namespace {

constexpr size_t kMaxHeaderBytes = 8 * 1024;          // request line + headers
constexpr size_t kMaxBodyBytes = 64 * 1024;           // default body limit
constexpr size_t kMaxPendingWrite = 4 * 1024 * 1024;  // stop reading while this much is queued
constexpr size_t kMaxConnections = 256;
constexpr uint64_t kIdleTimeoutMs = 30'000;
constexpr uint64_t kLingerMs = 2'000;  // after our FIN, how long we discard the peer's input
constexpr size_t kReadBufferSize = 16 * 1024;

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

Response error_response(int status, bool close) {
  return HttpResponse::error(status, close);
}

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

struct HttpServer::Impl {
  struct Conn;

  struct WriteReq {
    uv_write_t req;
    std::string data;  // owned until the write completes
    Conn* conn;
  };

  struct Conn {
    enum class State { kOpen, kDraining, kClosing };

    Impl* owner;  // null once the connection is closing (the endpoint may be gone)
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown_req;
    http_parser parser;
    State state = State::kOpen;
    int refs = 0;  // open handles + outstanding requests; freed at zero
    bool eof = false;
    bool read_paused = false;
    bool shutdown_done = false;
    size_t pending_write = 0;
    std::string pending_input;  // unparsed bytes held back while the peer is not reading

    // Current request.
    std::string url;
    std::string body;
    size_t body_bytes = 0;
    bool in_body = false;
    bool too_large = false;  // 431 or 413 pending
    int too_large_status = 0;
    bool headers_paused = false;
    bool message_paused = false;
    bool keep_alive = true;
    bool upgrade = false;
    http_method method = HTTP_GET;

    char buf[kReadBufferSize];
  };

  uv_loop_t* loop;
  std::string log_name;
  size_t max_body;
  Handler handler;
  uv_tcp_t* listener = nullptr;
  std::unordered_set<Conn*> conns;
  http_parser_settings settings{};

  Impl(uv_loop_t* l, std::string name, size_t body_limit, Handler h)
      : loop(l), log_name(std::move(name)), max_body(body_limit), handler(std::move(h)) {
    http_parser_settings_init(&settings);
    settings.on_message_begin = &Impl::on_message_begin;
    settings.on_url = &Impl::on_url;
    settings.on_headers_complete = &Impl::on_headers_complete;
    settings.on_body = &Impl::on_body;
    settings.on_message_complete = &Impl::on_message_complete;
  }

  void close() {
    if (listener) {
      listener->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(listener),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      listener = nullptr;
    }
    auto copy = conns;
    for (Conn* c : copy)
      close_now(c);
    conns.clear();
  }

  // ---- listening ------------------------------------------------------------------------------

  Status listen(const std::string& host_in, int port, int* bound_port) {
    std::string host = host_in;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    const bool v6 = host.find(':') != std::string::npos;
    const std::string where = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    if (listener) {
      return make_error(ErrorCode::kInvalidConfig,
                        "metrics http: already listening, cannot listen on " + where);
    }
    if (port < 0 || port > 65535) {
      return make_error(ErrorCode::kInvalidConfig,
                        "metrics http: cannot listen on " + where + ": invalid port");
    }

    sockaddr_storage addr{};
    int rc = 0;
    if (host.empty() || host == "0.0.0.0") {
      rc = uv_ip4_addr("0.0.0.0", port, reinterpret_cast<sockaddr_in*>(&addr));
    } else if (host == "localhost") {
      rc = uv_ip4_addr("127.0.0.1", port, reinterpret_cast<sockaddr_in*>(&addr));
    } else if (v6) {
      rc = uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr));
    } else {
      rc = uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr));
      if (rc != 0) rc = resolve(host, port, &addr);
    }
    if (rc != 0) {
      return make_error(ErrorCode::kInvalidConfig,
                        "metrics http: cannot listen on " + where + ": " + uv_strerror(rc));
    }

    auto* tcp = new uv_tcp_t;
    rc = uv_tcp_init(loop, tcp);
    if (rc != 0) {
      delete tcp;
      return make_error(ErrorCode::kIo,
                        "metrics http: cannot listen on " + where + ": " + uv_strerror(rc));
    }
    tcp->data = this;
    rc = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp), 128, &Impl::on_connection);
    if (rc != 0) {
      tcp->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(tcp),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      return make_error(ErrorCode::kIo,
                        "metrics http: cannot listen on " + where + ": " + uv_strerror(rc));
    }
    sockaddr_storage bound{};
    int len = sizeof(bound);
    *bound_port = port;
    if (uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
      if (bound.ss_family == AF_INET) {
        *bound_port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      } else if (bound.ss_family == AF_INET6) {
        *bound_port = ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
      }
    }
    listener = tcp;
    return Status::ok();
  }

  // Host names are resolved synchronously: this runs once at startup.
  int resolve(const std::string& host, int port, sockaddr_storage* out) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    uv_getaddrinfo_t req;
    int rc = uv_getaddrinfo(loop, &req, nullptr, host.c_str(), nullptr, &hints);
    if (rc != 0) return rc;
    if (!req.addrinfo) return UV_EAI_NONAME;
    std::memcpy(out, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
    uv_freeaddrinfo(req.addrinfo);
    if (out->ss_family == AF_INET) {
      reinterpret_cast<sockaddr_in*>(out)->sin_port = htons(static_cast<uint16_t>(port));
    } else if (out->ss_family == AF_INET6) {
      reinterpret_cast<sockaddr_in6*>(out)->sin6_port = htons(static_cast<uint16_t>(port));
    } else {
      return UV_EAI_FAMILY;
    }
    return 0;
  }

  static void on_connection(uv_stream_t* server, int status) noexcept {
    auto* self = static_cast<Impl*>(server->data);
    if (!self) return;
    if (status < 0) {
      spdlog::warn("{}: accept failed: {}", self->log_name, uv_strerror(status));
      return;
    }
    try {
      self->accept(server);
    } catch (...) {
      spdlog::error("{}: failed to accept a connection", self->log_name);
    }
  }

  void accept(uv_stream_t* server) {
    auto conn = std::make_unique<Conn>();
    Conn* c = conn.get();
    c->owner = this;
    conns.insert(c);
    if (uv_tcp_init(loop, &c->tcp) != 0) {
      conns.erase(c);
      return;
    }
    conn.release();
    uv_timer_init(loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->shutdown_req.data = c;
    c->refs = 2;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    int rc = uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp));
    if (rc != 0) {
      close_now(c);
      return;
    }
    if (conns.size() > kMaxConnections) {
      spdlog::warn("{}: too many connections ({}), refusing one", log_name, conns.size() - 1);
      close_now(c);
      return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_timer_start(&c->timer, &Impl::on_timer, kIdleTimeoutMs, 0);
    rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::on_alloc, &Impl::on_read);
    if (rc != 0) close_now(c);
  }

  // ---- connection lifetime --------------------------------------------------------------------

  static void unref(Conn* c) {
    if (--c->refs == 0) delete c;
  }

  static void close_now(Conn* c) {
    if (c->state == Conn::State::kClosing) return;
    c->state = Conn::State::kClosing;
    if (c->owner) c->owner->conns.erase(c);
    c->owner = nullptr;
    c->pending_input.clear();
    auto on_close = [](uv_handle_t* h) { unref(static_cast<Conn*>(h->data)); };
    uv_close(reinterpret_cast<uv_handle_t*>(&c->timer), on_close);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_close);
  }

  // Send FIN once queued responses are written, discard whatever the peer still sends (so our
  // close does not turn into a reset that destroys the response), then close.
  static void close_gracefully(Conn* c) {
    if (c->state != Conn::State::kOpen) return;
    c->state = Conn::State::kDraining;
    c->pending_input.clear();
    uv_timer_start(&c->timer, &Impl::on_timer, kIdleTimeoutMs, 0);
    int rc =
        uv_shutdown(&c->shutdown_req, reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::on_shutdown);
    if (rc != 0) {
      close_now(c);
      return;
    }
    c->refs++;
    if (!c->eof && c->read_paused) {
      c->read_paused = false;
      if (uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::on_alloc, &Impl::on_read) !=
          0) {
        close_now(c);
      }
    }
  }

  static void on_shutdown(uv_shutdown_t* req, int status) noexcept {
    auto* c = static_cast<Conn*>(req->data);
    c->shutdown_done = true;
    if (c->state != Conn::State::kClosing) {
      if (status < 0 || c->eof) {
        close_now(c);
      } else {
        uv_timer_start(&c->timer, &Impl::on_timer, kLingerMs, 0);
      }
    }
    unref(c);
  }

  static void on_timer(uv_timer_t* t) noexcept { close_now(static_cast<Conn*>(t->data)); }

  // ---- reading --------------------------------------------------------------------------------

  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
    auto* c = static_cast<Conn*>(h->data);
    *buf = uv_buf_init(c->buf, sizeof(c->buf));
  }

  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) noexcept {
    auto* c = static_cast<Conn*>(s->data);
    if (c->state == Conn::State::kClosing) return;
    if (nread < 0) {
      uv_read_stop(s);
      if (nread != UV_EOF) {
        close_now(c);
        return;
      }
      // The peer half-closed: finish writing what was already answered, then close.
      c->eof = true;
      if (c->state == Conn::State::kOpen) {
        close_gracefully(c);
      } else if (c->shutdown_done) {
        close_now(c);
      }  // else on_shutdown closes
      return;
    }
    if (nread == 0) return;
    if (c->state == Conn::State::kDraining) return;  // discard
    // The idle timer is not pushed back by reads, only by answers: a request has to arrive
    // within kIdleTimeoutMs however slowly its bytes trickle in.
    try {
      process(c, c->buf, static_cast<size_t>(nread));
    } catch (...) {
      close_now(c);
    }
  }

  // Feeds bytes to the parser, answering each complete request.
  static void process(Conn* c, const char* data, size_t len) {
    while (len > 0 && c->state == Conn::State::kOpen) {
      if (c->pending_write > kMaxPendingWrite) {
        // The peer is pipelining faster than it reads: hold the rest until writes drain.
        c->pending_input.append(data, len);
        if (!c->read_paused) {
          uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
          c->read_paused = true;
        }
        return;
      }
      size_t n = http_parser_execute(&c->parser, &c->owner->settings, data, len);
      data += n;
      len -= n;
      http_errno err = HTTP_PARSER_ERRNO(&c->parser);
      if (err == HPE_PAUSED) {
        http_parser_pause(&c->parser, 0);
        if (c->headers_paused) {
          c->headers_paused = false;
          if (c->parser.nread > kMaxHeaderBytes) {
            respond(c, error_response(431, true), false);
            return;
          }
        }
        if (c->message_paused) {
          c->message_paused = false;
          handle_request(c);
        }
        continue;
      }
      if (err != HPE_OK) {
        if (c->too_large) {
          respond(c, error_response(c->too_large_status, true), false);
        } else if (err == HPE_HEADER_OVERFLOW) {
          respond(c, error_response(431, true), false);
        } else {
          respond(c, error_response(400, true), false);
        }
        return;
      }
      if (!c->in_body && c->parser.nread > kMaxHeaderBytes) {
        respond(c, error_response(431, true), false);
        return;
      }
    }
  }

  static Conn* conn_of(http_parser* p) { return static_cast<Conn*>(p->data); }

  static int on_message_begin(http_parser* p) {
    Conn* c = conn_of(p);
    c->url.clear();
    c->body_bytes = 0;
    c->body.clear();
    c->in_body = false;
    return 0;
  }

  static int on_url(http_parser* p, const char* at, size_t len) {
    Conn* c = conn_of(p);
    if (c->url.size() + len > kMaxHeaderBytes) {
      c->too_large = true;
      c->too_large_status = 431;
      return 1;
    }
    c->url.append(at, len);
    return 0;
  }

  static int on_headers_complete(http_parser* p) {
    Conn* c = conn_of(p);
    c->in_body = true;
    c->headers_paused = true;  // lets process() check the exact header size
    http_parser_pause(p, 1);
    return 0;
  }

  static int on_body(http_parser* p, const char* at, size_t len) {
    Conn* c = conn_of(p);
    c->body_bytes += len;
    if (c->owner && c->body_bytes <= c->owner->max_body) c->body.append(at, len);
    if (c->body_bytes > (c->owner ? c->owner->max_body : kMaxBodyBytes)) {
      c->too_large = true;
      c->too_large_status = 413;
      return 1;
    }
    return 0;
  }

  static int on_message_complete(http_parser* p) {
    Conn* c = conn_of(p);
    c->in_body = false;
    c->keep_alive = http_should_keep_alive(p) != 0;
    c->upgrade = p->upgrade != 0;  // CONNECT or Upgrade: what follows is not HTTP
    c->method = static_cast<http_method>(p->method);
    c->message_paused = true;
    http_parser_pause(p, 1);
    return 0;
  }

  // ---- responding -----------------------------------------------------------------------------

  static void handle_request(Conn* c) {
    Response r;
    try {
      HttpRequest req;
      req.method = c->method;
      req.url = c->url;
      req.body.swap(c->body);
      http_parser_url u;
      http_parser_url_init(&u);
      if (req.url.empty() || http_parser_parse_url(req.url.data(), req.url.size(), 0, &u) != 0) {
        r = error_response(400, true);
      } else {
        req.path = std::string(url_field(req.url, u, UF_PATH));
        if (req.path.empty()) req.path = "/";
        req.query = std::string(url_field(req.url, u, UF_QUERY));
        r = c->owner->handler(req);
      }
    } catch (const std::exception& e) {
      spdlog::error("{}: request failed: {}", c->owner->log_name, e.what());
      r = error_response(500, false);
    } catch (...) {
      r = error_response(500, false);
    }
    if (!c->keep_alive || c->upgrade) r.close = true;
    respond(c, r, c->method == HTTP_HEAD);
  }

  static void respond(Conn* c, const Response& r, bool head) {
    if (c->state != Conn::State::kOpen) return;
    auto* w = new WriteReq;
    w->data = serialize(r, head);
    w->conn = c;
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1, &Impl::on_write);
    if (rc != 0) {
      delete w;
      close_now(c);
      return;
    }
    c->refs++;
    c->pending_write += w->data.size();
    uv_timer_start(&c->timer, &Impl::on_timer, kIdleTimeoutMs, 0);
    if (r.close) close_gracefully(c);
  }

  static void on_write(uv_write_t* req, int status) noexcept {
    auto* w = reinterpret_cast<WriteReq*>(req);
    Conn* c = w->conn;
    c->pending_write -= w->data.size();
    delete w;
    if (c->state != Conn::State::kClosing) {
      if (status < 0) {
        close_now(c);
      } else if (!c->shutdown_done) {
        uv_timer_start(&c->timer, &Impl::on_timer, kIdleTimeoutMs, 0);
        if (c->state == Conn::State::kOpen && c->read_paused &&
            c->pending_write <= kMaxPendingWrite / 2) {
          resume(c);
        }
      }
    }
    unref(c);
  }

  static void resume(Conn* c) {
    std::string input = std::move(c->pending_input);
    c->pending_input.clear();
    try {
      process(c, input.data(), input.size());
    } catch (...) {
      close_now(c);
      return;
    }
    if (c->state == Conn::State::kOpen && c->pending_input.empty() && c->read_paused) {
      c->read_paused = false;
      if (uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::on_alloc, &Impl::on_read) !=
          0) {
        close_now(c);
      }
    }
  }
};

HttpServer::HttpServer(uv_loop_t* loop, std::string log_name, size_t max_body, Handler handler)
    : impl_(std::make_unique<Impl>(loop, std::move(log_name), max_body, std::move(handler))) {}

HttpServer::~HttpServer() {
  if (impl_) impl_->close();  // idempotent: safe after close()
}

Status HttpServer::listen(const std::string& host, int port) {
  try {
    int bound = 0;
    Status s = impl_->listen(host, port, &bound);
    if (s) bound_port_ = bound;
    return s;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, impl_->log_name + ": listen failed: " + e.what());
  }
}

void HttpServer::close() {
  impl_->close();
}

}  // namespace flumen::net
