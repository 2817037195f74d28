#include "plugins/sources/forward/forward_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>

#include "agent/net/forward_codec.h"
#include "agent/net/stream_io.h"
#include "agent/net/tcp_listen.h"
#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

namespace fwd = net::forward;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadChunk = 256 * 1024;

}  // namespace

struct ForwardSource::Connection {
  ForwardSource* src = nullptr;
  uv_tcp_t tcp{};
  std::string peer;
  net::InputBuffer in;  // received bytes not yet handled
  std::string out;      // answers gathered while handling one read, written together
  bool greeted = false;
  bool closing = false;
  uint64_t stream = 0;
  // After a batch was refused, only that batch (or retransmissions below it) is accepted until
  // it comes again: a later batch must not overtake it, or dedup would skip the refused one.
  uint64_t blocked_from = 0;
  Clock::time_point last_activity;
  Clock::time_point partial_since{};

  void flush() {
    if (out.empty() || closing) return;
    net::write_owned(reinterpret_cast<uv_stream_t*>(&tcp), std::exchange(out, {}));
  }

  // Closes after the answers written so far (an ERROR frame in particular) left; `now` skips
  // that wait (agent stopping).
  void close(bool now = false) {
    if (closing) return;
    flush();
    closing = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
    auto* req = now ? nullptr : new uv_shutdown_t;
    if (req == nullptr ||
        uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&tcp), [](uv_shutdown_t* r, int) {
          uv_close(reinterpret_cast<uv_handle_t*>(r->handle),
                   [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
          delete r;
        }) != 0) {
      delete req;
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp),
               [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    }
    auto& list = src->connections_;
    list.erase(std::remove(list.begin(), list.end(), this), list.end());
    src->counters().open_connection->dec();
  }
};

ForwardSource::ForwardSource(std::string name, ForwardSourceOptions options)
    : Source(std::move(name)), options_(std::move(options)), loop_("forward") {}

ForwardSource::~ForwardSource() {
  do_stop();
}

Status ForwardSource::do_start() {
  protocol_errors_ = &metrics().counter("ProtocolErrorCount");
  duplicates_ = &metrics().counter("BatchDuplicateCount");
  nacks_full_ = &metrics().counter("BatchChannelFullCount");
  rejected_batches_ = &metrics().counter("BatchRejectedCount");
  auth_failures_ = &metrics().counter("AuthFailureCount");
  load_ledger();
  // Every connection is served on one loop: a full channel is answered with NACK "full" at
  // once (the sender backs off and resends) instead of stalling all of them for its keep-alive.
  processor().set_wait_for_space(false);
  return loop_.start([this] { return listen_on_loop(); });
}

Status ForwardSource::listen_on_loop() {
  auto port = net::listen_tcp(loop_.loop(), &server_, options_.bind,
                              static_cast<int>(options_.port), this, [](uv_stream_t* s, int st) {
                                if (st == 0) static_cast<ForwardSource*>(s->data)->on_connection();
                              });
  if (!port) return port.status();
  bound_port_ = port.value();
  sweeper_ = new uv_timer_t;
  uv_timer_init(loop_.loop(), sweeper_);
  sweeper_->data = this;
  uv_timer_start(
      sweeper_, [](uv_timer_t* t) { static_cast<ForwardSource*>(t->data)->sweep(); }, 1000, 1000);
  spdlog::info("forward source {} listening on {}:{}", name(), options_.bind, bound_port_);
  return Status::ok();
}

void ForwardSource::on_connection() {
  auto* c = new Connection;
  c->src = this;
  uv_tcp_init(loop_.loop(), &c->tcp);
  c->tcp.data = c;
  c->last_activity = Clock::now();
  connections_.push_back(c);
  counters().open_connection->inc();
  if (uv_accept(reinterpret_cast<uv_stream_t*>(server_), reinterpret_cast<uv_stream_t*>(&c->tcp)) !=
      0) {
    c->close();
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  c->peer = net::peer_address(&c->tcp);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        // Read straight into the connection's buffer, after what it already holds.
        *buf = static_cast<Connection*>(h->data)->in.space(kReadChunk);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        auto* conn = static_cast<Connection*>(s->data);
        if (nread < 0) {
          if (!conn->in.empty() && nread == UV_EOF) {
            conn->src->protocol_errors_->inc();
            spdlog::warn("forward source {}: {} closed the connection in the middle of a frame",
                         conn->src->name(), conn->peer);
          }
          conn->close();
          return;
        }
        if (nread == 0) return;
        conn->in.commit(static_cast<size_t>(nread));
        conn->src->on_readable(conn);
      });
}

void ForwardSource::on_readable(Connection* c) {
  const auto now = Clock::now();
  c->last_activity = now;
  const uint32_t max_frame = static_cast<uint32_t>(options_.max_frame_size);
  size_t start = 0;
  while (!c->closing) {
    std::string_view avail = c->in.data().substr(start);
    fwd::Frame frame;
    size_t used = 0;
    fwd::Split r = fwd::split_frame(avail, max_frame, frame, used);
    if (!c->greeted && (r != fwd::Split::kFrame || frame.type != fwd::FrameType::kHello) &&
        (r != fwd::Split::kNeedMore || avail.size() >= 12)) {
      if (fwd::looks_like_avro_netty(avail)) {
        protocol_errors_->inc();
        spdlog::warn(
            "forward source {}: {} speaks Apache Flume's Avro RPC, not the flumen "
            "forward protocol; send to this agent from a flumen forward/avro sink",
            name(), c->peer);
        c->close();
        return;
      }
      if (r == fwd::Split::kNeedMore) break;
      refuse(c, fwd::WireError::kHandshakeExpected,
             "the connection must open with HELLO (is this a flumen forward sink?)");
      return;
    }
    if (r == fwd::Split::kNeedMore) {
      // Room for the whole frame at once (its size is within max-frame-size, else kTooLarge),
      // instead of growing the buffer read by read.
      if (size_t whole = fwd::announced_frame_size(avail); whole > avail.size()) {
        c->in.consume(start);
        start = 0;
        c->in.reserve(whole);
      }
      break;
    }
    if (r == fwd::Split::kTooLarge) {
      refuse(c, fwd::WireError::kTooLarge,
             "frame larger than max-frame-size " + std::to_string(max_frame));
      return;
    }
    if (r == fwd::Split::kMalformed) {
      refuse(c, fwd::WireError::kMalformed, "malformed frame header");
      return;
    }
    if (!on_frame(c, frame)) return;
    start += used;
  }
  if (c->closing) return;
  c->in.consume(start);
  if (c->in.empty()) {
    c->partial_since = {};
    c->in.trim(4 * kReadChunk);
  } else if (c->partial_since == Clock::time_point{}) {
    c->partial_since = now;
  }
  c->flush();
}

bool ForwardSource::on_frame(Connection* c, const fwd::Frame& frame) {
  const std::string_view payload = frame.payload;
  switch (frame.type) {
    case fwd::FrameType::kHello:
      return on_hello(c, payload);
    case fwd::FrameType::kBatch:
      on_batch(c, payload);
      return true;
    case fwd::FrameType::kPing: {
      uint64_t nonce = 0;
      if (!fwd::decode_ping(payload, nonce)) break;
      fwd::append_ping(c->out, fwd::FrameType::kPong, nonce);
      return true;
    }
    case fwd::FrameType::kPong:
      return true;
    default:
      break;
  }
  refuse(c, fwd::WireError::kMalformed,
         "unexpected or malformed frame of type " + std::to_string(static_cast<int>(frame.type)));
  return false;
}

bool ForwardSource::on_hello(Connection* c, std::string_view payload) {
  fwd::Hello h;
  if (c->greeted || !fwd::decode_hello(payload, h)) {
    refuse(c, fwd::WireError::kMalformed, "malformed or repeated HELLO");
    return false;
  }
  if (h.version != fwd::kVersion) {
    refuse(c, fwd::WireError::kVersion,
           "protocol version " + std::to_string(h.version) +
               " is not supported; this agent "
               "speaks version " +
               std::to_string(fwd::kVersion));
    return false;
  }
  if (h.token != options_.token) {
    auth_failures_->inc();
    refuse(c, fwd::WireError::kBadToken, "wrong token");
    return false;
  }
  c->greeted = true;
  c->stream = h.stream;
  fwd::Welcome w;
  w.max_frame = static_cast<uint32_t>(options_.max_frame_size);
  w.max_events = max_batch_events();
  w.committed = ledger_.committed(h.stream);
  w.receiver = name();
  fwd::append_welcome(c->out, w);
  spdlog::info("forward source {}: {} connected as {} (stream {:016x}, committed {})", name(),
               c->peer, h.sender, h.stream, w.committed);
  return true;
}

void ForwardSource::on_batch(Connection* c, std::string_view payload) {
  fwd::BatchHeader h;
  if (!fwd::decode_batch_header(payload, h)) {
    rejected_batches_->inc();
    fwd::append_nack(c->out, {h.seq, fwd::NackReason::kRejected, "malformed batch header"});
    return;
  }
  const auto now = Clock::now();
  if (h.seq <= ledger_.committed(c->stream)) {
    // The ack of this batch was lost: it is in the channel already.
    duplicates_->inc();
    ledger_.record(c->stream, h.seq, now);
    fwd::append_ack(c->out, {h.seq, fwd::AckStatus::kAlreadyCommitted});
    return;
  }
  if (c->blocked_from != 0 && h.seq != c->blocked_from) {
    fwd::append_nack(c->out, {h.seq, fwd::NackReason::kOutOfOrder,
                              "batch " + std::to_string(c->blocked_from) + " must come first"});
    return;
  }
  batch_.clear();
  if (Status s = fwd::decode_batch_events(h, static_cast<uint32_t>(options_.max_frame_size) * 4,
                                          batch_, scratch_);
      !s) {
    rejected_batches_->inc();
    counters().event_read_fail->inc(h.count);
    spdlog::warn("forward source {}: batch {} from {} rejected: {}", name(), h.seq, c->peer,
                 s.message());
    fwd::append_nack(c->out, {h.seq, fwd::NackReason::kRejected, s.message()});
    return;
  }
  // With a durable channel the sequence number is committed together with the events, so the
  // dedup survives a restart of this agent.
  char key[96], value[24];
  int kn = std::snprintf(key, sizeof key, "fwd/%s/%016llx", name().c_str(),
                         static_cast<unsigned long long>(c->stream));
  int vn = std::snprintf(value, sizeof value, "%llu", static_cast<unsigned long long>(h.seq));
  pipeline::ChannelProcessor::Marker marker{
      std::string_view(key, static_cast<size_t>(std::clamp(kn, 0, 95))),
      std::string_view(value, static_cast<size_t>(std::clamp(vn, 0, 23)))};
  Status s = processor().process_batch(batch_, &marker);
  if (!s) {
    const bool permanent = s.code() == ErrorCode::kRejected;
    if (permanent) {
      rejected_batches_->inc();
    } else {
      nacks_full_->inc();
      if (c->blocked_from == 0) c->blocked_from = h.seq;
    }
    fwd::append_nack(c->out,
                     {h.seq, permanent ? fwd::NackReason::kRejected : fwd::NackReason::kChannelFull,
                      s.message()});
    return;
  }
  c->blocked_from = 0;
  ledger_.record(c->stream, h.seq, now);
  fwd::append_ack(c->out, {h.seq, fwd::AckStatus::kCommitted});
}

void ForwardSource::refuse(Connection* c, fwd::WireError code, const std::string& why) {
  protocol_errors_->inc();
  spdlog::warn("forward source {}: closing the connection from {}: {}", name(), c->peer, why);
  fwd::append_error(c->out, {code, why});
  c->close();
}

void ForwardSource::sweep() {
  const auto now = Clock::now();
  for (Connection* c : std::vector<Connection*>(connections_)) {
    if (c->partial_since != Clock::time_point{} &&
        now - c->partial_since > std::chrono::seconds(options_.frame_timeout_s)) {
      protocol_errors_->inc();
      spdlog::warn("forward source {}: {} sent part of a frame and stalled for {} s; closing",
                   name(), c->peer, options_.frame_timeout_s);
      c->close();
    } else if (now - c->last_activity > std::chrono::seconds(options_.idle_timeout_s)) {
      spdlog::info("forward source {}: {} idle for {} s; closing", name(), c->peer,
                   options_.idle_timeout_s);
      c->close();
    }
  }
  ledger_.forget_older_than(now - std::chrono::hours(24));
}

void ForwardSource::load_ledger() {
  // Each durable channel remembers the last batch of every stream it committed. A batch routed
  // to several channels counts as committed only where all of them have it: the smallest wins
  // (a retransmission then duplicates into the channel that had it, never skips one that did
  // not).
  const std::string prefix = "fwd/" + name() + "/";
  std::map<uint64_t, uint64_t> seen;
  for (pipeline::Channel* ch : processor().selector().channels()) {
    for (const auto& [key, value] : ch->markers(prefix)) {
      uint64_t stream = std::strtoull(key.c_str() + prefix.size(), nullptr, 16);
      uint64_t seq = std::strtoull(value.c_str(), nullptr, 10);
      auto [it, fresh] = seen.emplace(stream, seq);
      if (!fresh) it->second = std::min(it->second, seq);
    }
  }
  const auto now = Clock::now();
  for (const auto& [stream, seq] : seen)
    ledger_.record(stream, seq, now);
  if (!seen.empty())
    spdlog::info("forward source {}: remembers the last committed batch of {} sender stream(s)",
                 name(), seen.size());
}

uint32_t ForwardSource::max_batch_events() {
  size_t m = fwd::kMaxBatchEvents;
  for (pipeline::Channel* ch : processor().selector().channels())
    m = std::min(m, ch->transaction_capacity());
  return static_cast<uint32_t>(std::max<size_t>(m, 1));
}

void ForwardSource::do_stop() {
  loop_.stop([this] {
    for (Connection* c : std::vector<Connection*>(connections_))
      c->close(true);
    net::close_server(&server_);
    if (sweeper_)
      uv_close(reinterpret_cast<uv_handle_t*>(sweeper_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    sweeper_ = nullptr;
  });
}

}  // namespace flumen::plugins
