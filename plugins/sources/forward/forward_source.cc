#include "plugins/sources/forward/forward_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>

#include "agent/net/avro_rpc.h"
#include "agent/net/forward_codec.h"
#include "agent/pipeline/channel_processor.h"
#include "plugins/sources/forward/session.h"

namespace flumen::plugins {

namespace fwd = net::forward;
namespace avro_rpc = net::avro_rpc;
using Clock = std::chrono::steady_clock;

namespace {

// split_frame's header in front of a payload of up to max-frame-size bytes.
constexpr size_t kFrameHeaderRoom = 64;

}  // namespace

size_t ForwardSource::Session::on_data(net::Connection& c, std::string_view data, bool eof) {
  if (protocol == Protocol::kUnknown && !data.empty()) {
    // A forward frame is length:u32 then a type byte (1..8); Flume's avro sink sends a Netty
    // frame, serial:u32 then a buffer count:u32 whose first byte is 0 (or, with deflate, a
    // zlib stream, whose header no frame length starts with). Anything else is refused as a
    // forward connection, with what it expected.
    if (avro_rpc::looks_like_zlib_stream(data))
      protocol = Protocol::kAvro;
    else if (data.size() >= 5 && data[4] != 0)
      protocol = Protocol::kForward;
    else if (data.size() >= 12)
      protocol = avro_rpc::looks_like_netty_pack(data) ? Protocol::kAvro : Protocol::kForward;
  }
  size_t used = 0;
  if (protocol == Protocol::kForward)
    used = src->on_readable(*this, c, data);
  else if (protocol == Protocol::kAvro)
    used = src->on_avro_readable(*this, c, data);
  if (!out.empty() && !c.closing()) flush(c);
  if (eof && (used < data.size() || !plain.empty()) && !c.closing()) {
    src->protocol_errors_->inc();
    src->eof_log_.warn("forward source {}: {} closed the connection in the middle of a frame",
                       src->name(), c.peer());
  }
  return used;
}

void ForwardSource::Session::flush(net::Connection& c) {
  if (!deflater) {
    c.write(std::exchange(out, {}));
    return;
  }
  std::string compressed;
  deflater->write(out, compressed);
  out.clear();
  c.write(std::move(compressed));
}

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
  avro_batches_ = &metrics().counter("AvroRpcBatchCount");
  load_ledger();
  // Every connection is served on one loop: a put into a full channel fails at once instead of
  // stalling all of them for its keep-alive; the connection whose batch did not fit is paused
  // and its batch put again when the channel frees room (see on_batch).
  processor().set_wait_for_space(false);
  return loop_.start([this] { return listen_on_loop(); });
}

Status ForwardSource::listen_on_loop() {
  resumer_ = std::make_unique<net::BackoffResumer>(loop_.loop());
  resumer_->watch(processor().selector().channels());
  net::ListenerLimits limits =
      net::to_limits(options_, static_cast<size_t>(options_.max_frame_size) + kFrameHeaderRoom);
  limits.handshake_timeout = std::chrono::seconds(options_.handshake_timeout_s);
  auto tls = net::tls_listener_context(options_);  // ssl = true: every connection is TLS
  if (!tls) return tls.status();
  net::ServerCounters sc = net::make_server_counters(metrics(), counters().open_connection);
  if (tls.value()) net::add_tls_counters(sc, metrics());
  server_ = std::make_unique<net::Server>(
      loop_.loop(), "forward source " + name(), limits, sc,
      [this](net::Connection&) { return std::make_unique<Session>(this); });
  auto port = server_->listen_tls(options_.bind, static_cast<int>(options_.port), tls.value());
  if (!port) {
    server_.reset();
    resumer_.reset();
    return port.status();
  }
  bound_port_ = port.value();
  spdlog::info("forward source {} listening on {}:{}", name(), options_.bind, bound_port_);
  return Status::ok();
}

size_t ForwardSource::on_readable(Session& s, net::Connection& c, std::string_view data) {
  const uint32_t max_frame = static_cast<uint32_t>(options_.max_frame_size);
  size_t start = 0;
  // A sender that pipelines batches without reading the acks is not read further until they
  // drained (the layer resumes it).
  while (!c.closing() && !c.write_backlogged()) {
    std::string_view avail = data.substr(start);
    fwd::Frame frame;
    size_t used = 0;
    fwd::Split r = fwd::split_frame(avail, max_frame, frame, used);
    if (!s.greeted && (r != fwd::Split::kFrame || frame.type != fwd::FrameType::kHello) &&
        (r != fwd::Split::kNeedMore || avail.size() >= 12)) {
      if (r == fwd::Split::kNeedMore) break;
      refuse(s, c, fwd::WireError::kHandshakeExpected,
             "the connection must open with HELLO (is this a flumen forward sink?)");
      return start;
    }
    // The bytes of a frame are buffered as they arrive, never reserved for the announced length
    // (kTooLarge closes before anything is held for it).
    if (r == fwd::Split::kNeedMore) break;
    if (r == fwd::Split::kTooLarge) {
      refuse(s, c, fwd::WireError::kTooLarge,
             "frame larger than max-frame-size " + std::to_string(max_frame));
      return start;
    }
    if (r == fwd::Split::kMalformed) {
      refuse(s, c, fwd::WireError::kMalformed, "malformed frame header");
      return start;
    }
    // Batches commit in flight, those of one read sharing a durable channel's sync; any other
    // frame is answered after them, in order.
    if (frame.type == fwd::FrameType::kBatch) {
      // Held: the batch stays buffered until its channel has room. Room that came within
      // a short spin: the same frame is put again at once.
      if (auto stop = on_batch(s, c, frame.payload, start)) {
        if (std::exchange(put_again_now_, false)) continue;
        return *stop;
      }
    } else {
      if (auto rewind = settle(s, c)) return *rewind;
      if (!on_frame(s, c, frame)) return start;
    }
    start += used;
  }
  if (auto rewind = settle(s, c)) return *rewind;
  return start;
}

std::optional<size_t> ForwardSource::settle(Session& s, net::Connection& c) {
  std::optional<size_t> rewind;
  std::unique_lock lock(flight_mu_);
  while (!in_flight_.empty()) {
    InFlight& fl = in_flight_.front();
    flight_cv_.wait(lock, [&] { return fl.done; });
    if (rewind) {
      // Failed with the one before it (its chain), unwritten: read again after it.
    } else if (!fl.status) {
      // Held as a batch that did not fit: put again when the channel frees room. Its sender
      // keeps waiting for the answer (its request-timeout bounds the wait).
      rewind = fl.frame_start;
      nacks_full_->inc();
      resumer_->pause_and_retry(c);
      s.chain = std::make_shared<pipeline::CommitChain>();
    } else {
      resumer_->succeeded();
      s.blocked_from = 0;
      ledger_.record(s.stream, fl.seq, Clock::now());
      fwd::append_ack(s.out, {fl.seq, fwd::AckStatus::kCommitted});
    }
    in_flight_.pop_front();
  }
  return rewind;
}

bool ForwardSource::on_frame(Session& s, net::Connection& c, const fwd::Frame& frame) {
  const std::string_view payload = frame.payload;
  switch (frame.type) {
    case fwd::FrameType::kHello:
      return on_hello(s, c, payload);
    case fwd::FrameType::kBatch:  // on_readable puts batches (on_batch)
      return true;
    case fwd::FrameType::kPing: {
      uint64_t nonce = 0;
      if (!fwd::decode_ping(payload, nonce)) break;
      fwd::append_ping(s.out, fwd::FrameType::kPong, nonce);
      return true;
    }
    case fwd::FrameType::kPong:
      return true;
    default:
      break;
  }
  refuse(s, c, fwd::WireError::kMalformed,
         "unexpected or malformed frame of type " + std::to_string(static_cast<int>(frame.type)));
  return false;
}

bool ForwardSource::on_hello(Session& s, net::Connection& c, std::string_view payload) {
  fwd::Hello h;
  if (s.greeted || !fwd::decode_hello(payload, h)) {
    refuse(s, c, fwd::WireError::kMalformed, "malformed or repeated HELLO");
    return false;
  }
  if (h.version != fwd::kVersion) {
    refuse(s, c, fwd::WireError::kVersion,
           "protocol version " + std::to_string(h.version) +
               " is not supported; this agent "
               "speaks version " +
               std::to_string(fwd::kVersion));
    return false;
  }
  if (h.token != options_.token) {
    auth_failures_->inc();
    refuse(s, c, fwd::WireError::kBadToken, "wrong token");
    return false;
  }
  s.greeted = true;
  s.stream = h.stream;
  c.established();
  fwd::Welcome w;
  w.max_frame = static_cast<uint32_t>(options_.max_frame_size);
  w.max_events = max_batch_events();
  w.committed = ledger_.committed(h.stream);
  w.receiver = name();
  fwd::append_welcome(s.out, w);
  hello_log_.log(spdlog::level::info,
                 "forward source {}: {} connected as {} (stream {:016x}, committed {})", name(),
                 c.peer(), h.sender, h.stream, w.committed);
  // Streams not heard from for a day are forgotten (a sender on a memory channel draws a new
  // one at each start).
  const auto now = Clock::now();
  if (now - last_ledger_sweep_ > std::chrono::minutes(1)) {
    last_ledger_sweep_ = now;
    ledger_.forget_older_than(now - std::chrono::hours(24));
  }
  return true;
}

std::optional<size_t> ForwardSource::on_batch(Session& s, net::Connection& c,
                                              std::string_view payload, size_t frame_start) {
  fwd::BatchHeader h;
  const bool decoded = fwd::decode_batch_header(payload, h);
  // A batch answered at once (malformed, a retransmission, out of order) is answered after the
  // batches in flight, and one that may retransmit a batch in flight waits for its outcome.
  if (!decoded || h.seq <= ledger_.committed(s.stream) ||
      (s.blocked_from != 0 && h.seq != s.blocked_from) ||
      (!in_flight_.empty() && h.seq <= in_flight_.back().seq))
    if (auto rewind = settle(s, c)) return rewind;
  if (!decoded) {
    rejected_batches_->inc();
    fwd::append_nack(s.out, {h.seq, fwd::NackReason::kRejected, "malformed batch header"});
    return std::nullopt;
  }
  const auto now = Clock::now();
  if (h.seq <= ledger_.committed(s.stream)) {
    // The ack of this batch was lost: it is in the channel already.
    duplicates_->inc();
    ledger_.record(s.stream, h.seq, now);
    fwd::append_ack(s.out, {h.seq, fwd::AckStatus::kAlreadyCommitted});
    return std::nullopt;
  }
  if (s.blocked_from != 0 && h.seq != s.blocked_from) {
    fwd::append_nack(s.out, {h.seq, fwd::NackReason::kOutOfOrder,
                             "batch " + std::to_string(s.blocked_from) + " must come first"});
    return std::nullopt;
  }
  batch_.clear();
  if (Status d = fwd::decode_batch_events(h, static_cast<uint32_t>(options_.max_frame_size) * 4,
                                          batch_, scratch_);
      !d) {
    if (auto rewind = settle(s, c)) return rewind;
    rejected_batches_->inc();
    counters().event_read_fail->inc(h.count);
    reject_log_.warn("forward source {}: batch {} from {} rejected: {}", name(), h.seq, c.peer(),
                     d.message());
    fwd::append_nack(s.out, {h.seq, fwd::NackReason::kRejected, d.message()});
    return std::nullopt;
  }
  // With a durable channel the sequence number is committed together with the events, so the
  // dedup survives a restart of this agent.
  char key[96], value[24];
  int kn = std::snprintf(key, sizeof key, "fwd/%s/%016llx", name().c_str(),
                         static_cast<unsigned long long>(s.stream));
  int vn = std::snprintf(value, sizeof value, "%llu", static_cast<unsigned long long>(h.seq));
  pipeline::ChannelProcessor::Marker marker{
      std::string_view(key, static_cast<size_t>(std::clamp(kn, 0, 95))),
      std::string_view(value, static_cast<size_t>(std::clamp(vn, 0, 23)))};
  const uint64_t space_seen = resumer_->space_events();
  InFlight* fl;
  {
    std::lock_guard lock(flight_mu_);
    // A deque: its elements stay put as it grows, for the done to find.
    fl = &in_flight_.emplace_back(InFlight{h.seq, frame_start, false, Status::ok()});
  }
  processor().process_batch_async(batch_, {&marker, 1}, s.chain, [this, fl](Status st) {
    std::lock_guard lock(flight_mu_);
    fl->status = std::move(st);
    fl->done = true;
    flight_cv_.notify_one();
  });
  Status put;
  {
    std::lock_guard lock(flight_mu_);
    if (!fl->done || fl->status) return std::nullopt;  // in flight, or committed already
    put = fl->status;
    in_flight_.pop_back();  // refused at once (full, too large): answered here, as before
  }
  if (auto rewind = settle(s, c)) return rewind;
  s.chain = std::make_shared<pipeline::CommitChain>();  // the refusal broke the old one
  if (put.code() == ErrorCode::kRejected) {
    rejected_batches_->inc();
    fwd::append_nack(s.out, {h.seq, fwd::NackReason::kRejected, put.message()});
    return std::nullopt;
  }
  // Full (counted whether the wait is short or long). A sink taking from the channel on the
  // other core usually frees room within microseconds: once per batch, a short spin for that,
  // then the batch is put again.
  nacks_full_->inc();
  if (h.seq != spun_for_seq_ && resumer_->space_soon(space_seen)) {
    spun_for_seq_ = h.seq;
    put_again_now_ = true;
    return frame_start;
  }
  // Hold the batch instead of refusing it. The sender keeps its window and waits for
  // the answer (its request-timeout bounds the wait); this connection is not read meanwhile,
  // so a full channel here slows the sender, and through it the source at the edge.
  resumer_->pause_and_retry(c);
  return frame_start;
}

void ForwardSource::refuse(Session& s, net::Connection& c, fwd::WireError code,
                           const std::string& why) {
  // The ERROR frame goes out before the FIN; the layer counts and logs the close.
  fwd::append_error(s.out, {code, why});
  s.flush(c);
  c.close(net::CloseReason::kProtocolError, why);
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
    server_.reset();  // closing its connections makes them forget the resumer first
    resumer_.reset();
  });
}

}  // namespace flumen::plugins
