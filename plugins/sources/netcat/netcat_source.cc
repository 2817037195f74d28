#include "plugins/sources/netcat/netcat_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/net/stream_io.h"
#include "agent/net/tcp_listen.h"
#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

namespace {

constexpr int kMaxBackoffMs = 1000;

void alloc_buffer(uv_handle_t*, size_t suggested, uv_buf_t* buf) {
  buf->base = new char[suggested];
  buf->len = suggested;
}

}  // namespace

struct NetcatSource::Connection {
  NetcatSource* src = nullptr;
  uv_tcp_t tcp{};
  uv_timer_t retry{};
  std::string inbuf;        // bytes received and not yet committed
  bool discarding = false;  // skipping the rest of an overlong line
  bool reading = false;
  bool eof = false;
  bool closing = false;
  int open_handles = 0;
  int backoff_ms = 10;

  void write(std::string data) {
    if (!closing) net::write_owned(reinterpret_cast<uv_stream_t*>(&tcp), std::move(data));
  }

  void start_reading();
  void stop_reading() {
    if (reading) uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
    reading = false;
  }

  void close() {
    if (closing) return;
    closing = true;
    stop_reading();
    uv_timer_stop(&retry);
    auto done = [](uv_handle_t* h) {
      auto* c = static_cast<Connection*>(h->data);
      if (--c->open_handles == 0) delete c;
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), done);
    uv_close(reinterpret_cast<uv_handle_t*>(&retry), done);
    auto& list = src->connections_;
    list.erase(std::remove(list.begin(), list.end(), this), list.end());
    src->counters().open_connection->dec();
  }
};

void NetcatSource::Connection::start_reading() {
  if (reading || closing || eof) return;
  reading = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp), alloc_buffer,
                [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
                  auto* c = static_cast<Connection*>(s->data);
                  if (nread > 0) c->inbuf.append(buf->base, static_cast<size_t>(nread));
                  delete[] buf->base;
                  if (nread < 0) {
                    c->eof = true;
                    c->stop_reading();
                  }
                  if (nread != 0) c->src->process(c);
                });
}

NetcatSource::NetcatSource(std::string name, NetcatSourceOptions options)
    : Source(std::move(name)), options_(std::move(options)), loop_("netcat") {}

NetcatSource::~NetcatSource() {
  do_stop();
}

Status NetcatSource::do_start() {
  return loop_.start([this] { return listen_on_loop(); });
}

Status NetcatSource::listen_on_loop() {
  auto port = net::listen_tcp(loop_.loop(), &server_, options_.bind,
                              static_cast<int>(options_.port), this, [](uv_stream_t* s, int st) {
                                if (st == 0) static_cast<NetcatSource*>(s->data)->on_connection();
                              });
  if (!port) return port.status();
  bound_port_ = port.value();
  spdlog::info("netcat source {} listening on {}:{}", name(), options_.bind, bound_port_);
  return Status::ok();
}

void NetcatSource::on_connection() {
  auto* c = new Connection;
  c->src = this;
  uv_tcp_init(loop_.loop(), &c->tcp);
  uv_timer_init(loop_.loop(), &c->retry);
  c->tcp.data = c;
  c->retry.data = c;
  c->open_handles = 2;
  connections_.push_back(c);
  counters().open_connection->inc();
  if (uv_accept(reinterpret_cast<uv_stream_t*>(server_), reinterpret_cast<uv_stream_t*>(&c->tcp)) !=
      0) {
    c->close();
    return;
  }
  c->start_reading();
}

void NetcatSource::process(Connection* c) {
  const size_t max_line = static_cast<size_t>(options_.max_line_length);
  const size_t batch_max = static_cast<size_t>(options_.batch_size);
  EventBatch batch;
  for (;;) {
    // Cut complete lines from the front of inbuf into one batch.
    batch.clear();
    size_t pos = 0;
    std::string failures;
    while (batch.size() < batch_max && pos < c->inbuf.size()) {
      size_t nl = c->inbuf.find('\n', pos);
      if (c->discarding) {
        if (nl == std::string::npos) {
          pos = c->inbuf.size();
          break;
        }
        c->discarding = false;
        pos = nl + 1;
        continue;
      }
      size_t len = (nl == std::string::npos ? c->inbuf.size() : nl) - pos;
      if (len + 1 > max_line) {
        // Flume's answer to an overlong line; the rest of it is skipped.
        counters().event_read_fail->inc();
        if (options_.ack_every_event)
          failures += "FAILED: Event exceeds the maximum length (" + std::to_string(max_line) +
                      " chars, including newline)\n";
        if (nl == std::string::npos) {
          c->discarding = true;
          pos = c->inbuf.size();
        } else {
          pos = nl + 1;
        }
        continue;
      }
      if (nl == std::string::npos) {
        if (!c->eof) break;                                      // wait for the rest of the line
        batch.add(std::string_view(c->inbuf).substr(pos, len));  // last line of a closed stream
        pos = c->inbuf.size();
        break;
      }
      batch.add(std::string_view(c->inbuf).substr(pos, len));
      pos = nl + 1;
    }
    if (!failures.empty()) c->write(std::move(failures));
    if (!batch.empty()) {
      Status s = processor().process_batch(batch);
      if (!s) {
        // Keep the lines (pos is not consumed), stop reading, retry after a backoff.
        if (c->discarding && pos == c->inbuf.size()) c->discarding = false;
        c->stop_reading();
        spdlog::debug("netcat {}: put failed ({}), retrying in {} ms", name(), s.message(),
                      c->backoff_ms);
        uv_timer_start(
            &c->retry,
            [](uv_timer_t* t) {
              auto* conn = static_cast<Connection*>(t->data);
              conn->src->process(conn);
            },
            static_cast<uint64_t>(c->backoff_ms), 0);
        c->backoff_ms = std::min(c->backoff_ms * 2, kMaxBackoffMs);
        return;
      }
      c->backoff_ms = 10;
      if (options_.ack_every_event) {
        std::string oks;
        oks.reserve(batch.size() * 3);
        for (size_t i = 0; i < batch.size(); ++i)
          oks += "OK\n";
        c->write(std::move(oks));
      }
    }
    c->inbuf.erase(0, pos);
    if (batch.size() < batch_max) break;  // no more complete lines
  }
  if (c->eof && c->inbuf.empty()) {
    c->close();
    return;
  }
  c->start_reading();
}

void NetcatSource::do_stop() {
  loop_.stop([this] {
    for (Connection* c : std::vector<Connection*>(connections_))
      c->close();
    net::close_server(&server_);
  });
}

// ---------------------------------------------------------------------------------------------

NetcatUdpSource::NetcatUdpSource(std::string name, NetcatUdpSourceOptions options)
    : Source(std::move(name)), options_(std::move(options)), loop_("netcatudp") {}

NetcatUdpSource::~NetcatUdpSource() {
  do_stop();
}

Status NetcatUdpSource::do_start() {
  return loop_.start([this] { return bind_on_loop(); });
}

Status NetcatUdpSource::bind_on_loop() {
  sockaddr_storage addr{};
  if (Status s = net::ip_address(options_.bind, static_cast<int>(options_.port), addr); !s)
    return s;
  socket_ = new uv_udp_t;
  retry_ = new uv_timer_t;
  uv_udp_init(loop_.loop(), socket_);
  uv_timer_init(loop_.loop(), retry_);
  socket_->data = this;
  retry_->data = this;
  recv_buffer_.resize(65536);
  int rc = uv_udp_bind(socket_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = start_receiving();
  if (rc != 0)
    return make_error(ErrorCode::kIo, "cannot bind udp " + options_.bind + ":" +
                                          std::to_string(options_.port) + ": " + uv_strerror(rc));
  spdlog::info("netcatudp source {} bound to {}:{}", name(), options_.bind,
               net::local_port(reinterpret_cast<uv_handle_t*>(socket_)));
  return Status::ok();
}

int NetcatUdpSource::start_receiving() {
  return uv_udp_recv_start(
      socket_,
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<NetcatUdpSource*>(h->data);
        buf->base = self->recv_buffer_.data();
        buf->len = self->recv_buffer_.size();
      },
      [](uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned) {
        auto* self = static_cast<NetcatUdpSource*>(h->data);
        if (nread < 0) {
          self->counters().event_read_fail->inc();
          return;
        }
        if (from == nullptr) return;  // nothing more to read for now
        self->on_datagram(std::string_view(buf->base, static_cast<size_t>(nread)), from);
      });
}

void NetcatUdpSource::on_datagram(std::string_view body, const sockaddr* from) {
  if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  size_t i = pending_.add(body);
  if (!options_.remote_address_header.empty()) {
    char ip[64] = "";
    if (from->sa_family == AF_INET6)
      uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(from), ip, sizeof ip);
    else
      uv_ip4_name(reinterpret_cast<const sockaddr_in*>(from), ip, sizeof ip);
    pending_.set_header(i, options_.remote_address_header, ip);
  }
  if (pending_.size() >= static_cast<size_t>(options_.batch_size)) {
    flush();
  } else if (!uv_is_active(reinterpret_cast<uv_handle_t*>(retry_))) {
    // Datagrams that arrive together go in one transaction: flush on the next loop turn.
    uv_timer_start(
        retry_, [](uv_timer_t* t) { static_cast<NetcatUdpSource*>(t->data)->flush(); }, 0, 0);
  }
}

void NetcatUdpSource::flush() {
  if (pending_.empty()) return;
  Status s = processor().process_batch(pending_);
  if (s.is_ok()) {
    pending_.clear();
    backoff_ms_ = 10;
    start_receiving();  // resumes after a backoff; UV_EALREADY otherwise
    return;
  }
  // UDP has no flow control: stop receiving so the kernel buffer holds what it can, then retry.
  uv_udp_recv_stop(socket_);
  uv_timer_start(
      retry_,
      [](uv_timer_t* t) {
        auto* self = static_cast<NetcatUdpSource*>(t->data);
        self->flush();
      },
      static_cast<uint64_t>(backoff_ms_), 0);
  backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
}

void NetcatUdpSource::do_stop() {
  loop_.stop([this] {
    auto free_udp = [](uv_handle_t* h) { delete reinterpret_cast<uv_udp_t*>(h); };
    auto free_timer = [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); };
    if (socket_) uv_close(reinterpret_cast<uv_handle_t*>(socket_), free_udp);
    if (retry_) uv_close(reinterpret_cast<uv_handle_t*>(retry_), free_timer);
    socket_ = nullptr;
    retry_ = nullptr;
  });
}

}  // namespace flumen::plugins
