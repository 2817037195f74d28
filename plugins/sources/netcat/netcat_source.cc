#include "plugins/sources/netcat/netcat_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "agent/net/backoff_resumer.h"
#include "agent/net/resolve.h"
#include "agent/net/tcp_listen.h"
#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

namespace {

constexpr int kMaxBackoffMs = 1000;

}  // namespace

// One TCP connection: cuts lines, puts them in the channel a batch at a time, answers each line
// once its batch committed. A refused batch pauses the connection (the layer keeps its bytes)
// until the source's retry timer resumes it.
class NetcatSource::LineHandler : public net::ConnectionHandler {
 public:
  explicit LineHandler(NetcatSource* src) : src_(src) {}

  size_t on_data(net::Connection& c, std::string_view data, bool eof) override {
    const size_t max_line = static_cast<size_t>(src_->options_.max_line_length);
    const size_t batch_max = static_cast<size_t>(src_->options_.batch_size);
    const bool ack = src_->options_.ack_every_event;
    size_t pos = 0;
    for (;;) {
      // Cut complete lines from the front into one batch; the replies follow line order.
      const size_t batch_start = pos;
      const bool discarding_at_start = discarding_;
      batch_.clear();
      replies_.clear();
      size_t failed = 0;
      while (batch_.size() < batch_max && pos < data.size()) {
        size_t nl = data.find('\n', pos);
        if (discarding_) {
          if (nl == std::string_view::npos) {
            pos = data.size();
            break;
          }
          discarding_ = false;
          pos = nl + 1;
          continue;
        }
        size_t len = (nl == std::string_view::npos ? data.size() : nl) - pos;
        if (len + 1 > max_line) {
          // Flume's answer to an overlong line; the rest of it is skipped as it arrives.
          ++failed;
          if (ack)
            replies_ += "FAILED: Event exceeds the maximum length (" + std::to_string(max_line) +
                        " chars, including newline)\n";
          if (nl == std::string_view::npos) {
            discarding_ = true;
            pos = data.size();
          } else {
            pos = nl + 1;
          }
          continue;
        }
        if (nl == std::string_view::npos) {
          if (!eof) break;                    // wait for the rest of the line
          batch_.add(data.substr(pos, len));  // last line of a closed stream
          if (ack) replies_ += "OK\n";
          pos = data.size();
          break;
        }
        batch_.add(data.substr(pos, len));
        if (ack) replies_ += "OK\n";
        pos = nl + 1;
      }
      if (!batch_.empty()) {
        Status s = src_->processor().process_batch(batch_);
        if (!s) {
          // Keep these lines (not consumed) and retry them after a backoff.
          discarding_ = discarding_at_start;
          spdlog::debug("netcat {}: put failed ({}), retrying", src_->name(), s.message());
          src_->resumer_->pause_and_retry(c);
          return batch_start;
        }
        src_->resumer_->succeeded();
      }
      if (failed > 0) src_->counters().event_read_fail->inc(static_cast<int64_t>(failed));
      c.write(std::move(replies_));
      if (batch_.size() < batch_max || pos >= data.size()) break;  // no more complete lines
    }
    return pos;
  }

  void on_close(net::Connection& c, net::CloseReason) override { src_->resumer_->forget(c); }

 private:
  NetcatSource* src_;
  bool discarding_ = false;  // skipping the rest of an overlong line
  EventBatch batch_;
  std::string replies_;
};

NetcatSource::NetcatSource(std::string name, NetcatSourceOptions options)
    : Source(std::move(name)), options_(std::move(options)), loop_("netcat") {}

NetcatSource::~NetcatSource() {
  do_stop();
}

Status NetcatSource::do_start() {
  return loop_.start([this] { return listen_on_loop(); });
}

Status NetcatSource::listen_on_loop() {
  // A line is at most max-line-length; the handler skips longer ones as they arrive, so that
  // is all a connection ever holds.
  server_ = std::make_unique<net::Server>(
      loop_.loop(), "netcat source " + name(),
      net::to_limits(options_, static_cast<size_t>(options_.max_line_length)),
      net::make_server_counters(metrics(), counters().open_connection),
      [this](net::Connection&) { return std::make_unique<LineHandler>(this); });
  auto port = server_->listen(options_.bind, static_cast<int>(options_.port));
  if (!port) {
    server_.reset();
    return port.status();
  }
  bound_port_ = port.value();
  resumer_ = std::make_unique<net::BackoffResumer>(loop_.loop());
  resumer_->watch(processor().selector().channels());
  spdlog::info("netcat source {} listening on {}:{}", name(), options_.bind, bound_port_);
  return Status::ok();
}

void NetcatSource::do_stop() {
  loop_.stop([this] {
    server_.reset();
    resumer_.reset();
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
  auto resolved = net::resolve_address(options_.bind, static_cast<int>(options_.port));
  if (!resolved) return resolved.status();
  const sockaddr_storage addr = resolved.value();
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
