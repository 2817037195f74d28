#include "plugins/sources/syslog/syslog_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

namespace {

Status resolve(const std::string& host, int port, sockaddr_storage& out) {
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0)
    return Status::ok();
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0)
    return Status::ok();
  return make_error(ErrorCode::kInvalidConfig, "host '" + host + "' is not an IP address");
}

std::string peer_ip(const sockaddr* a) {
  char ip[64] = "";
  if (a->sa_family == AF_INET6)
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(a), ip, sizeof ip);
  else
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(a), ip, sizeof ip);
  return ip;
}

}  // namespace

struct SyslogTcpSource::Conn {
  SyslogTcpSource* src = nullptr;
  uv_tcp_t tcp{};
  uv_timer_t retry{};
  int port = 0;
  std::string peer;
  std::string inbuf;
  bool reading = false, eof = false, closing = false;
  int handles = 2;
  int backoff_ms = 10;

  void start_reading() {
    if (reading || closing || eof) return;
    reading = true;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&tcp),
        [](uv_handle_t*, size_t, uv_buf_t* b) {
          static thread_local char storage[65536];
          b->base = storage;
          b->len = sizeof storage;
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
          auto* c = static_cast<Conn*>(s->data);
          if (n > 0) c->inbuf.append(b->base, static_cast<size_t>(n));
          if (n < 0) {
            c->eof = true;
            c->stop_reading();
          }
          if (n != 0) c->src->process(c);
        });
  }
  void stop_reading() {
    if (reading) uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
    reading = false;
  }
  void close() {
    if (closing) return;
    closing = true;
    stop_reading();
    auto done = [](uv_handle_t* h) {
      auto* c = static_cast<Conn*>(h->data);
      if (--c->handles == 0) delete c;
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), done);
    uv_close(reinterpret_cast<uv_handle_t*>(&retry), done);
    auto& v = src->conns_;
    v.erase(std::remove(v.begin(), v.end(), this), v.end());
    src->counters().open_connection->dec();
  }
};

SyslogTcpSource::SyslogTcpSource(std::string name, SyslogOptions options)
    : Source(std::move(name)),
      options_(std::move(options)),
      keep_(KeepFields::parse(options_.keep_fields)),
      loop_("syslogtcp") {}

SyslogTcpSource::~SyslogTcpSource() {
  do_stop();
}

Status SyslogTcpSource::do_start() {
  incomplete_ = &metrics().counter("IncompleteEventCount");
  return loop_.start([this] { return listen_all(); });
}

Status SyslogTcpSource::listen_all() {
  std::vector<int> ports;
  if (options_.port >= 0) ports.push_back(static_cast<int>(options_.port));
  for (const auto& p : options_.ports)
    ports.push_back(std::stoi(p));
  for (int port : ports) {
    sockaddr_storage addr{};
    if (Status s = resolve(options_.host, port, addr); !s) return s;
    auto* l = new Listener{this, {}, port};
    uv_tcp_init(loop_.loop(), &l->tcp);
    l->tcp.data = l;
    listeners_.push_back(l);
    int rc = uv_tcp_bind(&l->tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc == 0)
      rc = uv_listen(reinterpret_cast<uv_stream_t*>(&l->tcp), 128, [](uv_stream_t* s, int st) {
        if (st != 0) return;
        auto* l = static_cast<Listener*>(s->data);
        auto* c = new Conn;
        c->src = l->src;
        c->port = l->port;
        uv_tcp_init(s->loop, &c->tcp);
        uv_timer_init(s->loop, &c->retry);
        c->tcp.data = c;
        c->retry.data = c;
        l->src->conns_.push_back(c);
        l->src->counters().open_connection->inc();
        if (uv_accept(s, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
          c->close();
          return;
        }
        sockaddr_storage peer{};
        int len = sizeof peer;
        if (uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&peer), &len) == 0)
          c->peer = peer_ip(reinterpret_cast<sockaddr*>(&peer));
        c->start_reading();
      });
    if (rc != 0)
      return make_error(ErrorCode::kIo, "cannot listen on " + options_.host + ":" +
                                            std::to_string(port) + ": " + uv_strerror(rc));
  }
  spdlog::info("syslog tcp source {} listening on {} port(s)", name(), ports.size());
  return Status::ok();
}

void SyslogTcpSource::process(Conn* c) {
  const size_t max_size = static_cast<size_t>(options_.event_size);
  EventBatch batch;
  for (;;) {
    batch.clear();
    size_t pos = 0;
    while (batch.size() < static_cast<size_t>(options_.batch_size) && pos < c->inbuf.size()) {
      std::string_view rest = std::string_view(c->inbuf).substr(pos);
      std::string_view msg;
      size_t used = 0;
      if (std::isdigit(static_cast<unsigned char>(rest[0]))) {
        // RFC 6587 octet counting: "<length> <message>".
        size_t sp = rest.find(' ');
        if (sp == std::string_view::npos || sp > 9) {
          if (rest.size() > 9 || c->eof) {
            msg = rest.substr(0, rest.find('\n'));  // not a count after all: treat as a line
            used = msg.size() + (msg.size() < rest.size() ? 1 : 0);
          } else {
            break;
          }
        } else {
          size_t len = std::stoul(std::string(rest.substr(0, sp)));
          if (rest.size() < sp + 1 + len) {
            if (!c->eof) break;
            len = rest.size() - sp - 1;
          }
          msg = rest.substr(sp + 1, len);
          used = sp + 1 + len;
        }
      } else {
        size_t nl = rest.find('\n');
        if (nl == std::string_view::npos) {
          if (!c->eof && rest.size() <= max_size) break;
          nl = rest.size();
        }
        msg = rest.substr(0, nl);
        used = std::min(rest.size(), nl + 1);
      }
      bool cut = msg.size() > max_size;
      if (cut) msg = msg.substr(0, max_size);
      size_t i = add_syslog_event(batch, msg, keep_);
      if (cut) {
        batch.set_header(i, "flume.syslog.status", "Incomplete");
        incomplete_->inc();
      }
      if (!options_.client_ip_header.empty())
        batch.set_header(i, options_.client_ip_header, c->peer);
      if (!options_.client_hostname_header.empty())
        batch.set_header(i, options_.client_hostname_header, c->peer);
      if (!options_.port_header.empty())
        batch.set_header(i, options_.port_header, std::to_string(c->port));
      pos += used;
    }
    if (!batch.empty()) {
      Status s = processor().process_batch(batch);
      if (!s) {
        c->stop_reading();
        uv_timer_start(
            &c->retry,
            [](uv_timer_t* t) {
              auto* conn = static_cast<Conn*>(t->data);
              conn->src->process(conn);
            },
            static_cast<uint64_t>(c->backoff_ms), 0);
        c->backoff_ms = std::min(c->backoff_ms * 2, 1000);
        return;
      }
      c->backoff_ms = 10;
    }
    c->inbuf.erase(0, pos);
    if (batch.size() < static_cast<size_t>(options_.batch_size)) break;
  }
  if (c->eof && c->inbuf.empty()) {
    c->close();
    return;
  }
  c->start_reading();
}

void SyslogTcpSource::do_stop() {
  loop_.stop([this] {
    for (Conn* c : std::vector<Conn*>(conns_))
      c->close();
    for (Listener* l : listeners_)
      uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp),
               [](uv_handle_t* h) { delete static_cast<Listener*>(h->data); });
    listeners_.clear();
  });
}

SyslogUdpSource::SyslogUdpSource(std::string name, SyslogOptions options)
    : Source(std::move(name)),
      options_(std::move(options)),
      keep_(KeepFields::parse(options_.keep_fields)),
      loop_("syslogudp") {}

SyslogUdpSource::~SyslogUdpSource() {
  do_stop();
}

Status SyslogUdpSource::do_start() {
  return loop_.start([this] { return bind_on_loop(); });
}

Status SyslogUdpSource::bind_on_loop() {
  sockaddr_storage addr{};
  if (Status s = resolve(options_.host, static_cast<int>(options_.port), addr); !s) return s;
  socket_ = new uv_udp_t;
  timer_ = new uv_timer_t;
  uv_udp_init(loop_.loop(), socket_);
  uv_timer_init(loop_.loop(), timer_);
  socket_->data = this;
  timer_->data = this;
  buffer_.resize(65536);
  int rc = uv_udp_bind(socket_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0)
    rc = uv_udp_recv_start(
        socket_,
        [](uv_handle_t* h, size_t, uv_buf_t* b) {
          auto* self = static_cast<SyslogUdpSource*>(h->data);
          b->base = self->buffer_.data();
          b->len = self->buffer_.size();
        },
        [](uv_udp_t* h, ssize_t n, const uv_buf_t* b, const sockaddr* from, unsigned) {
          auto* self = static_cast<SyslogUdpSource*>(h->data);
          if (n <= 0 || !from) return;
          size_t i = add_syslog_event(
              self->pending_, std::string_view(b->base, static_cast<size_t>(n)), self->keep_);
          std::string ip = peer_ip(from);
          if (!self->options_.client_ip_header.empty())
            self->pending_.set_header(i, self->options_.client_ip_header, ip);
          if (!self->options_.client_hostname_header.empty())
            self->pending_.set_header(i, self->options_.client_hostname_header, ip);
          if (!uv_is_active(reinterpret_cast<uv_handle_t*>(self->timer_)))
            uv_timer_start(
                self->timer_,
                [](uv_timer_t* t) { static_cast<SyslogUdpSource*>(t->data)->flush(); }, 0, 0);
        });
  if (rc != 0)
    return make_error(ErrorCode::kIo, "cannot bind udp " + options_.host + ":" +
                                          std::to_string(options_.port) + ": " + uv_strerror(rc));
  return Status::ok();
}

void SyslogUdpSource::flush() {
  if (pending_.empty()) return;
  if (processor().process_batch(pending_).is_ok()) {
    pending_.clear();
    backoff_ms_ = 10;
    return;
  }
  // Keep the datagrams and retry; meanwhile new ones are still appended (UDP cannot push back),
  // so the batch may grow past batchSize only while the channel refuses.
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<SyslogUdpSource*>(t->data)->flush(); },
      static_cast<uint64_t>(backoff_ms_), 0);
  backoff_ms_ = std::min(backoff_ms_ * 2, 1000);
}

void SyslogUdpSource::do_stop() {
  loop_.stop([this] {
    if (socket_)
      uv_close(reinterpret_cast<uv_handle_t*>(socket_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_udp_t*>(h); });
    if (timer_)
      uv_close(reinterpret_cast<uv_handle_t*>(timer_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    socket_ = nullptr;
    timer_ = nullptr;
  });
}

}  // namespace flumen::plugins
