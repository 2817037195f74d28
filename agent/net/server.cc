#include "agent/net/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "agent/net/resolve.h"
#include "agent/net/tcp_listen.h"

namespace flumen::net {

namespace {

// One read's worth: reads of connections that hold no partial frame land in the server's
// scratch buffer of this size, so an idle connection holds no buffer of its own.
constexpr size_t kReadChunk = 128 * 1024;
// A connection's own buffer is given back once empty if it grew beyond this: one large frame
// must not pin memory forever, but a peer sending frames of up to this size (producers' 1 MB
// batches) must not make every frame a fresh allocation either (the heap then fragments).
constexpr size_t kKeepCapacity = 1 << 20;
constexpr size_t kMaxLogKinds = 64;

struct WriteReq {
  uv_write_t req;
  std::vector<std::string> data;
  size_t bytes;
};

using Ms = std::chrono::milliseconds;

bool expired(util::Clock::time_point since, Ms limit, util::Clock::time_point now) {
  return limit.count() > 0 && since != util::Clock::time_point{} && now - since > limit;
}

}  // namespace

ServerCounters make_server_counters(metrics::ComponentMetrics& m, metrics::Counter* open_gauge) {
  ServerCounters c;
  c.open = open_gauge;
  c.accepted = &m.counter("ConnectionAcceptedCount");
  c.refused = &m.counter("ConnectionRefusedCount");
  c.shed = &m.counter("ConnectionShedCount");
  c.timed_out = &m.counter("ConnectionTimeoutCount");
  c.protocol_errors = &m.counter("ProtocolErrorCount");
  return c;
}

void add_tls_counters(ServerCounters& c, metrics::ComponentMetrics& m) {
  c.tls_errors = &m.counter("TlsErrorCount");
}

// ---- Connection -------------------------------------------------------------------------------

Connection::Connection(Server* server, uv_loop_t* loop, int local_port)
    : server_(server), local_port_(local_port) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
}

Connection::~Connection() = default;

std::string Connection::peer_ip() const {
  size_t colon = peer_.rfind(':');
  return colon == std::string::npos ? peer_ : peer_.substr(0, colon);
}

bool Connection::write_backlogged() const {
  return server_ != nullptr && pending_write_ > server_->limits_.max_pending_write_bytes;
}

void Connection::write(std::string data) {
  if (data.empty()) return;
  std::vector<std::string> one;
  one.push_back(std::move(data));
  write(std::move(one));
}

void Connection::write(std::vector<std::string> data) {
  if (closing_ || data.empty()) return;
  if (tls_) {
    for (const std::string& d : data)
      if (!tls_->write(d)) {
        close(CloseReason::kTlsError, tls_->error());
        return;
      }
    tls_flush();
    return;
  }
  raw_write(std::move(data));
}

void Connection::tls_flush(bool even_closing) {
  if (tls_->output_pending() == 0) return;
  std::vector<std::string> one;
  one.push_back(tls_->take_output());
  raw_write(std::move(one), even_closing);
}

void Connection::raw_write(std::vector<std::string> data, bool even_closing) {
  if ((closing_ && !even_closing) || handles_closing_ || data.empty()) return;
  auto* w = new WriteReq;
  w->data = std::move(data);
  w->bytes = 0;
  std::vector<uv_buf_t> bufs;
  bufs.reserve(w->data.size());
  for (std::string& d : w->data) {
    bufs.push_back(uv_buf_init(d.data(), static_cast<unsigned>(d.size())));
    w->bytes += d.size();
  }
  w->req.data = this;
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), bufs.data(),
                    static_cast<unsigned>(bufs.size()), [](uv_write_t* r, int status) {
                      auto* req = reinterpret_cast<WriteReq*>(r);
                      auto* c = static_cast<Connection*>(r->data);
                      c->pending_write_ -= req->bytes;
                      --c->outstanding_writes_;
                      delete req;
                      if (c->closing_) return;
                      if (status < 0) {
                        c->close(CloseReason::kPeerClosed, uv_strerror(status));
                        return;
                      }
                      if (c->write_paused_ && c->server_ &&
                          c->pending_write_ <= c->server_->limits_.max_pending_write_bytes / 2) {
                        c->write_paused_ = false;
                        c->deliver();  // pipelined input held back while the peer did not read
                      }
                    });
  if (rc != 0) {
    delete w;
    if (!closing_) close(CloseReason::kPeerClosed, uv_strerror(rc));
    return;
  }
  pending_write_ += w->bytes;
  ++outstanding_writes_;
  if (write_backlogged() && !write_paused_) {
    write_paused_ = true;
    update_reading();
  }
}

void Connection::pause() {
  if (handler_paused_ || closing_) return;
  handler_paused_ = true;
  partial_since_ = {};
  update_reading();
}

void Connection::resume() {
  if (!handler_paused_ || closing_) return;
  handler_paused_ = false;
  offer_empty_ = true;
  if (in_deliver_) {
    redeliver_ = true;
    return;
  }
  deliver();
}

void Connection::in_frame(bool started) {
  handler_in_frame_ = started;
}

void Connection::start() {
  update_reading();
}

void Connection::update_reading() {
  if (server_ == nullptr) return;
  const bool want = !closing_ && !eof_ && !handler_paused_ && !write_paused_ &&
                    end_ - begin_ < server_->limits_.max_buffer_bytes;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (want && !reading_) {
    int rc = uv_read_start(stream, &Connection::on_alloc, &Connection::on_read);
    if (rc != 0) {
      close(CloseReason::kPeerClosed, uv_strerror(rc));
      return;
    }
    reading_ = true;
  } else if (!want && reading_) {
    uv_read_stop(stream);
    reading_ = false;
  }
}

void Connection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  if (c->tls_ && c->server_ != nullptr) {
    // Ciphertext: copied into the session at once, so the shared scratch serves every
    // connection.
    *buf = uv_buf_init(c->server_->scratch_.data(),
                       static_cast<unsigned>(c->server_->scratch_.size()));
    return;
  }
  c->choose_buffer(buf);
}

void Connection::choose_buffer(uv_buf_t* buf) {
  Connection* c = this;
  Server* s = c->server_;
  const size_t have = c->end_ - c->begin_;
  if (have == 0 && s != nullptr) {
    c->begin_ = c->end_ = 0;
    c->read_into_scratch_ = true;
    *buf = uv_buf_init(s->scratch_.data(), static_cast<unsigned>(s->scratch_.size()));
    return;
  }
  c->read_into_scratch_ = false;
  const size_t limit = s ? s->limits_.max_buffer_bytes : have + 1;
  const size_t room = limit > have ? limit - have : 1;
  const size_t chunk = std::min(room, kReadChunk);
  if (c->buffer_.size() - c->end_ < chunk) {
    if (c->begin_ > 0) {  // move the partial frame to the front before growing
      std::memmove(c->buffer_.data(), c->buffer_.data() + c->begin_, have);
      c->begin_ = 0;
      c->end_ = have;
    }
    if (c->buffer_.size() - c->end_ < chunk) c->buffer_.resize(c->end_ + chunk);
  }
  const size_t len = std::min(c->buffer_.size() - c->end_, room);
  *buf = uv_buf_init(c->buffer_.data() + c->end_, static_cast<unsigned>(len));
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(stream->data);
  if (nread == 0 || c->closing_) return;
  if (nread < 0) {
    uv_read_stop(stream);
    c->reading_ = false;
    if (nread != UV_EOF) {
      c->close(CloseReason::kPeerClosed, uv_strerror(static_cast<int>(nread)));
      return;
    }
    c->eof_ = true;
    c->deliver();
    return;
  }
  const auto n = static_cast<size_t>(nread);
  if (c->server_) c->last_read_ = c->server_->clock_->now();
  if (c->tls_) {
    c->tls_->feed(buf->base, n);
    c->tls_pump();
    return;
  }
  c->ingest(buf->base, n);
}

void Connection::ingest(char* base, size_t n) {
  Connection* c = this;
  if (!c->read_into_scratch_) {
    c->end_ += n;
    c->deliver();
    return;
  }
  // Frames that arrived whole are handled straight from the scratch buffer; only the bytes the
  // handler left (a partial frame, or input held back while paused) are copied into the
  // connection's own buffer.
  std::string_view data(base, n);
  size_t used = 0;
  if (c->handler_ && !c->handler_paused_ && !c->write_paused_) {
    c->in_deliver_ = true;
    used = std::min(c->handler_->on_data(*c, data, false), n);
    c->in_deliver_ = false;
    if (c->closing_) return;
  }
  const size_t left = n - used;
  c->read_into_scratch_ = false;
  if (left > 0) {
    if (c->buffer_.size() < left) c->buffer_.resize(std::max(left, kReadChunk));
    std::memcpy(c->buffer_.data(), data.data() + used, left);
  }
  c->begin_ = 0;
  c->end_ = left;
  if (c->redeliver_) {
    c->deliver();
    return;
  }
  c->settle();
}

void Connection::deliver() {
  if (closing_ || !handler_) return;
  if (in_deliver_) {
    redeliver_ = true;
    return;
  }
  do {
    redeliver_ = false;
    if (handler_paused_ || write_paused_) break;
    if (begin_ == end_ && !eof_ && !offer_empty_) break;
    offer_empty_ = false;
    std::string_view data(buffer_.data() + begin_, end_ - begin_);
    in_deliver_ = true;
    size_t used = std::min(handler_->on_data(*this, data, eof_), data.size());
    in_deliver_ = false;
    if (closing_) return;
    begin_ += used;
    if (begin_ == end_) begin_ = end_ = 0;
  } while (redeliver_);
  // TLS: plaintext may wait in the session (it stopped while the handler was paused).
  if (tls_ && !tls_pumping_) {
    tls_pump();
    return;
  }
  settle();
}

void Connection::tls_pump() {
  if (closing_ || server_ == nullptr) return;
  tls_pumping_ = true;
  while (!closing_) {
    if (!tls_->handshake_done()) {
      TlsSession::Io r = tls_->handshake();
      tls_flush();
      if (r == TlsSession::Io::kError) {
        close(CloseReason::kTlsError, tls_->error());
        break;
      }
      if (r != TlsSession::Io::kOk) break;
    }
    if (handler_paused_ || write_paused_ || eof_) break;
    if (end_ - begin_ >= server_->limits_.max_buffer_bytes) break;
    uv_buf_t b;
    choose_buffer(&b);
    size_t got = 0;
    TlsSession::Io r = tls_->read(b.base, b.len, &got);
    tls_flush();  // TLS 1.3 answers some records (key updates) by itself
    if (r == TlsSession::Io::kOk) {
      ingest(b.base, got);
      continue;
    }
    if (r == TlsSession::Io::kClosed) {
      eof_ = true;  // close_notify: the TLS form of the peer's FIN
      deliver();
      break;
    }
    if (r == TlsSession::Io::kError) {
      close(CloseReason::kTlsError, tls_->error());
      break;
    }
    break;  // kWant: the rest of a record is still on its way
  }
  tls_pumping_ = false;
  if (!closing_) settle();
}

void Connection::settle() {
  if (closing_ || server_ == nullptr) return;
  if (eof_ && !handler_paused_ && !write_paused_) {
    close(CloseReason::kPeerClosed);
    return;
  }
  const size_t have = end_ - begin_;
  if (have == 0 && buffer_.size() > kKeepCapacity) std::string().swap(buffer_);
  if (have > 0 && !handler_paused_ && !write_paused_ && have >= server_->limits_.max_buffer_bytes) {
    // The handler consumed what it could and still waits for the rest of a frame.
    close(CloseReason::kProtocolError, "more than " +
                                           std::to_string(server_->limits_.max_buffer_bytes) +
                                           " bytes without a complete frame");
    return;
  }
  const bool partial = (have > 0 || handler_in_frame_) && !handler_paused_ && !write_paused_;
  if (!partial)
    partial_since_ = {};
  else if (partial_since_ == util::Clock::time_point{})
    partial_since_ = server_->clock_->now();
  update_reading();
}

void Connection::close(CloseReason reason, std::string_view why) {
  if (closing_) return;
  closing_ = true;
  if (reading_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  reading_ = false;
  Server* s = server_;
  if (s) {
    closing_since_ = s->clock_->now();
    s->log_close(this, reason, why);
    s->forget(this);
  }
  if (handler_) handler_->on_close(*this, reason);
  if (tls_ && !handles_closing_ && reason != CloseReason::kStopping &&
      reason != CloseReason::kShed) {
    // The alert of a failed handshake, or close_notify after the last replies.
    if (reason != CloseReason::kTlsError) tls_->shutdown();
    tls_flush(true);
  }
  if (reason == CloseReason::kStopping || reason == CloseReason::kShed || s == nullptr) {
    reset_now();
    return;
  }
  // FIN after the queued replies (an error frame, the last acks); the sweep resets the
  // connection if the peer does not take them within `linger`.
  auto* req = new uv_shutdown_t;
  req->data = this;
  int rc = uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&tcp_), [](uv_shutdown_t* r, int st) {
    auto* c = static_cast<Connection*>(r->data);
    delete r;
    if (st == 0 && !c->eof_ && !c->handles_closing_)
      c->discard_until_eof();
    else
      c->reset_now();
  });
  if (rc != 0) {
    delete req;
    reset_now();
  }
}

void Connection::discard_until_eof() {
  int rc = uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp_),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        static thread_local char sink[16 * 1024];
        *buf = uv_buf_init(sink, sizeof sink);
      },
      [](uv_stream_t* st, ssize_t n, const uv_buf_t*) {
        if (n < 0) static_cast<Connection*>(st->data)->reset_now();
      });
  if (rc != 0) reset_now();
}

void Connection::reset_now() {
  if (handles_closing_) return;
  handles_closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    if (c->server_) {
      auto& v = c->server_->lingering_;
      v.erase(std::remove(v.begin(), v.end(), c), v.end());
    }
    delete c;
  });
}

// ---- Server -----------------------------------------------------------------------------------

Server::Server(uv_loop_t* loop, std::string name, ListenerLimits limits, ServerCounters counters,
               HandlerFactory factory, const util::Clock& clock)
    : loop_(loop),
      name_(std::move(name)),
      limits_(limits),
      counters_(counters),
      factory_(std::move(factory)),
      clock_(&clock),
      error_log_(std::chrono::seconds(30), clock),
      refuse_log_(std::chrono::seconds(30), clock),
      accept_log_(std::chrono::seconds(30), clock) {
  if (limits_.max_buffer_bytes == 0) limits_.max_buffer_bytes = 1;
  if (limits_.max_connections == 0) limits_.max_connections = 1;
  scratch_.resize(kReadChunk);
}

Server::~Server() {
  close();
}

Result<int> Server::listen(const std::string& host, int port, int backlog) {
  return listen_tls(host, port, nullptr, backlog);
}

Result<int> Server::listen_tls(const std::string& host, int port,
                               std::shared_ptr<const TlsContext> tls, int backlog) {
  if (tls && tls->role() != TlsRole::kServer)
    return make_error(ErrorCode::kInternal, "a listener needs a server TLS context");
  auto addr = resolve_address(host, port);
  if (!addr) return addr.status().error();
  auto* l = new Listener{this, {}, port, std::move(tls)};
  uv_tcp_init(loop_, &l->tcp);
  l->tcp.data = l;
  int rc = uv_tcp_bind(&l->tcp, reinterpret_cast<const sockaddr*>(&addr.value()), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&l->tcp), backlog, &on_connection);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp),
             [](uv_handle_t* h) { delete static_cast<Listener*>(h->data); });
    return make_error(ErrorCode::kIo, "cannot listen on " + host + ":" + std::to_string(port) +
                                          ": " + uv_strerror(rc));
  }
  l->port = local_port(reinterpret_cast<uv_handle_t*>(&l->tcp));
  listeners_.push_back(l);
  if (sweeper_ == nullptr) {
    sweeper_ = new uv_timer_t;
    uv_timer_init(loop_, sweeper_);
    sweeper_->data = this;
    uv_timer_start(
        sweeper_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->sweep(); }, 1000, 1000);
    // The sweep timer alone must not keep a loop alive.
    uv_unref(reinterpret_cast<uv_handle_t*>(sweeper_));
  }
  return l->port;
}

void Server::close() {
  for (Listener* l : listeners_)
    uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp),
             [](uv_handle_t* h) { delete static_cast<Listener*>(h->data); });
  listeners_.clear();
  for (Connection* c : std::vector<Connection*>(connections_))
    c->close(CloseReason::kStopping);
  for (Connection* c : std::vector<Connection*>(lingering_)) {
    c->reset_now();
    c->server_ = nullptr;  // freed by the loop after this server is gone
  }
  lingering_.clear();
  if (sweeper_) {
    uv_close(reinterpret_cast<uv_handle_t*>(sweeper_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    sweeper_ = nullptr;
  }
}

void Server::on_connection(uv_stream_t* s, int status) {
  auto* l = static_cast<Listener*>(s->data);
  if (status < 0) {
    l->server->accept_log_.warn("{}: accept failed: {}", l->server->name_, uv_strerror(status));
    return;
  }
  l->server->accept(l);
}

void Server::accept(Listener* l) {
  auto* listener = reinterpret_cast<uv_stream_t*>(&l->tcp);
  if (connections_.size() >= limits_.max_connections && !make_room()) {
    // Refused at once (a reset, no TIME_WAIT), so the peer learns it now and retries, instead
    // of waiting in the backlog.
    auto* t = new uv_tcp_t;
    uv_tcp_init(loop_, t);
    auto free_tcp = [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); };
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(t)) != 0 ||
        uv_tcp_close_reset(t, free_tcp) != 0)
      uv_close(reinterpret_cast<uv_handle_t*>(t), free_tcp);
    if (counters_.refused) counters_.refused->inc();
    refuse_log_.warn("{}: {} connections open, none idle: refusing a new one", name_,
                     connections_.size());
    return;
  }
  auto* c = new Connection(this, loop_, l->port);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->tcp_)) != 0) {
    c->server_ = nullptr;
    c->closing_ = true;
    c->reset_now();
    return;
  }
  uv_tcp_nodelay(&c->tcp_, 1);
  if (l->tls) c->tls_ = std::make_unique<TlsSession>(l->tls);
  sockaddr_storage peer{};
  int len = sizeof peer;
  c->peer_ = uv_tcp_getpeername(&c->tcp_, reinterpret_cast<sockaddr*>(&peer), &len) == 0
                 ? format_address(peer)
                 : "?";
  c->accepted_at_ = c->last_read_ = clock_->now();
  connections_.push_back(c);
  if (counters_.open) counters_.open->inc();
  if (counters_.accepted) counters_.accepted->inc();
  c->handler_ = factory_(*c);
  if (!c->handler_) {
    c->close(CloseReason::kDone);
    return;
  }
  c->start();
}

bool Server::make_room() {
  const auto now = clock_->now();
  Connection* victim = nullptr;
  for (Connection* c : connections_) {
    if (c->handler_paused_ || c->pending_write_ > 0 ||
        now - c->last_read_ < limits_.shed_idle_after)
      continue;
    if (victim == nullptr || c->last_read_ < victim->last_read_) victim = c;
  }
  if (victim == nullptr) return false;
  victim->close(CloseReason::kShed, "idle at the connection limit");
  return true;
}

void Server::forget(Connection* c) {
  auto it = std::find(connections_.begin(), connections_.end(), c);
  if (it == connections_.end()) return;
  connections_.erase(it);
  lingering_.push_back(c);
  if (counters_.open) counters_.open->dec();
}

void Server::log_close(Connection* c, CloseReason reason, std::string_view why) {
  switch (reason) {
    case CloseReason::kTlsError:
      if (counters_.tls_errors) counters_.tls_errors->inc();
      [[fallthrough]];
    case CloseReason::kProtocolError:
    case CloseReason::kFrameTimeout:
      if (counters_.protocol_errors) counters_.protocol_errors->inc();
      throttle_for(why).warn("{}: closing the connection from {}: {}", name_, c->peer_, why);
      break;
    case CloseReason::kIdle:
    case CloseReason::kHandshakeTimeout:
      if (counters_.timed_out) counters_.timed_out->inc();
      if (reason == CloseReason::kHandshakeTimeout)
        error_log_.warn("{}: closing the connection from {}: {}", name_, c->peer_, why);
      else
        spdlog::debug("{}: closing the connection from {}: {}", name_, c->peer_, why);
      break;
    case CloseReason::kShed:
      if (counters_.shed) counters_.shed->inc();
      refuse_log_.warn("{}: at the limit of {} connections: closing the idle one from {}", name_,
                       limits_.max_connections, c->peer_);
      break;
    default:
      break;
  }
}

util::LogThrottle& Server::throttle_for(std::string_view why) {
  std::string kind;
  for (char ch : why)
    if (ch < '0' || ch > '9') kind.push_back(ch);
  auto it = kind_logs_.find(kind);
  if (it != kind_logs_.end()) return *it->second;
  if (kind_logs_.size() >= kMaxLogKinds) return error_log_;
  auto& t = kind_logs_[kind];
  t = std::make_unique<util::LogThrottle>(std::chrono::seconds(30), *clock_);
  return *t;
}

void Server::sweep() {
  const auto now = clock_->now();
  const Ms tls_limit = limits_.handshake_timeout.count() > 0 ? limits_.handshake_timeout
                                                             : limits_.tls_handshake_timeout;
  for (Connection* c : std::vector<Connection*>(connections_)) {
    if (c->tls_ && !c->tls_->handshake_done() && expired(c->accepted_at_, tls_limit, now)) {
      c->close(CloseReason::kHandshakeTimeout,
               "no TLS handshake within " + util::LogThrottle::describe(tls_limit));
    } else if (!c->established_ && expired(c->accepted_at_, limits_.handshake_timeout, now)) {
      c->close(CloseReason::kHandshakeTimeout,
               "no handshake within " + util::LogThrottle::describe(limits_.handshake_timeout));
    } else if (expired(c->partial_since_, limits_.frame_timeout, now)) {
      c->close(CloseReason::kFrameTimeout, "a frame started and did not complete within " +
                                               util::LogThrottle::describe(limits_.frame_timeout));
    } else if (!c->handler_paused_ && expired(c->last_read_, limits_.idle_timeout, now)) {
      c->close(CloseReason::kIdle, "idle for " + util::LogThrottle::describe(limits_.idle_timeout));
    }
  }
  for (Connection* c : std::vector<Connection*>(lingering_))
    if (expired(c->closing_since_, limits_.linger, now)) c->reset_now();
}

}  // namespace flumen::net
