#include "plugins/sources/netcat/netcat_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "agent/net/backoff_resumer.h"
#include "agent/pipeline/channel_processor.h"
#include "plugins/sources/netcat/line_cutter.h"

namespace flumen::plugins {

// One TCP connection: cuts lines, puts them in the channel a batch at a time, answers each line
// once its batch committed. A refused batch pauses the connection (the layer keeps its bytes)
// until the source's retry timer resumes it.
class NetcatSource::LineHandler : public net::ConnectionHandler {
 public:
  explicit LineHandler(NetcatSource* src)
      : src_(src),
        cutter_(static_cast<size_t>(src->options_.max_line_length),
                static_cast<size_t>(src->options_.batch_size)) {}

  size_t on_data(net::Connection& c, std::string_view data, bool eof) override {
    const size_t max_line = static_cast<size_t>(src_->options_.max_line_length);
    const bool ack = src_->options_.ack_every_event;
    size_t pos = 0;
    for (;;) {
      // Cut complete lines from the front into one batch; the replies follow line order.
      const size_t batch_start = pos;
      const bool discarding_at_start = cutter_.discarding();
      pos = cutter_.cut(data, pos, eof, pieces_);
      batch_.clear();
      replies_.clear();
      size_t failed = 0;
      for (const LineCutter::Piece& p : pieces_) {
        if (p.overlong) {
          // Flume's answer to an overlong line.
          ++failed;
          if (ack)
            replies_ += "FAILED: Event exceeds the maximum length (" + std::to_string(max_line) +
                        " chars, including newline)\n";
          continue;
        }
        batch_.add(p.line);
        if (ack) replies_ += "OK\n";
      }
      if (!batch_.empty()) {
        Status s = src_->processor().process_batch(batch_);
        if (!s) {
          // Keep these lines (not consumed) and retry them after a backoff.
          cutter_.set_discarding(discarding_at_start);
          spdlog::debug("netcat {}: put failed ({}), retrying", src_->name(), s.message());
          src_->resumer_->pause_and_retry(c);
          return batch_start;
        }
        src_->resumer_->succeeded();
      }
      if (failed > 0) src_->counters().event_read_fail->inc(static_cast<int64_t>(failed));
      c.write(std::move(replies_));
      const size_t batch_max = static_cast<size_t>(src_->options_.batch_size);
      if (batch_.size() < batch_max || pos >= data.size()) break;  // no more complete lines
    }
    return pos;
  }

  void on_close(net::Connection& c, net::CloseReason) override { src_->resumer_->forget(c); }

 private:
  NetcatSource* src_;
  LineCutter cutter_;
  std::vector<LineCutter::Piece> pieces_;
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
    : DatagramSource(std::move(name), "netcatudp"), options_(std::move(options)) {}

NetcatUdpSource::~NetcatUdpSource() {
  do_stop();
}

Status NetcatUdpSource::do_start() {
  net::UdpReceiverOptions o;
  o.host = options_.bind;
  o.port = static_cast<int>(options_.port);
  o.batch_size = static_cast<size_t>(options_.batch_size);
  o.receive_buffer_bytes = static_cast<size_t>(options_.receive_buffer_bytes);
  Status s = start_receiving(std::move(o));
  if (s) spdlog::info("netcatudp source {} bound to {}:{}", name(), options_.bind, bound_port());
  return s;
}

size_t NetcatUdpSource::add(EventBatch& batch, std::string_view body, const sockaddr* from) {
  if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  size_t i = batch.add(body);
  if (!options_.remote_address_header.empty()) {
    char ip[64] = "";
    if (from->sa_family == AF_INET6)
      uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(from), ip, sizeof ip);
    else
      uv_ip4_name(reinterpret_cast<const sockaddr_in*>(from), ip, sizeof ip);
    batch.set_header(i, options_.remote_address_header, ip);
  }
  return batch.size();
}

}  // namespace flumen::plugins
