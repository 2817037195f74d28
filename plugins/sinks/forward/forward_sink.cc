#include "plugins/sinks/forward/forward_sink.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

namespace flumen::plugins {

namespace fwd = net::forward;
using pipeline::DeliveryResult;

namespace {

int remaining_ms(ForwardSink::Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - ForwardSink::Clock::now())
          .count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

}  // namespace

ForwardSink::ForwardSink(std::string name, ForwardSinkOptions options)
    : Sink(std::move(name)), options_(std::move(options)) {
  // The property table admits only names codec_from_name knows, and Flume's deflate, which
  // zstd serves.
  const std::string& c = options_.compression_type;
  codec_ = fwd::codec_from_name(c == "deflate" ? "zstd" : c).value();
}

ForwardSink::~ForwardSink() {
  stop();
}

Status ForwardSink::start() {
  // With a durable channel the stream goes on where the last run left it (sender_record.h);
  // otherwise, and the first time, a new stream: numbers never repeat within a stream.
  std::random_device rd;
  stream_ = (uint64_t{rd()} << 32) ^ rd() ^
            static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  next_seq_ = 1;
  expected_.clear();
  window_.clear();
  begun_.clear();
  windows_overlap_ = false;
  synced_ = 0;
  recovered_at_ms_ = 0;
  durable_ = channel() != nullptr && channel()->keeps_markers() && options_.protocol != "flume";
  if (durable_) {
    record_key_ = sender_record_key(state_key());
    const auto markers = channel()->markers(record_key_);
    if (auto it = markers.find(record_key_); it != markers.end()) {
      if (auto r = SenderRecord::decode(it->second)) {
        stream_ = r->stream;
        next_seq_ = r->next_seq;
        size_t events = 0;
        for (const TakePlanRecord& t : r->takes) {
          Take take;
          take.events = t.events;
          take.hash = t.events_hash;
          uint64_t seq = t.first_seq;
          size_t begin = 0;
          for (uint32_t c : t.counts) {
            Planned b{seq++, begin, begin + c};
            b.at_peer = true;  // it may be committed there: the receiver tells
            take.batches.push_back(b);
            begin += c;
          }
          events += t.events;
          expected_.push_back(std::move(take));
        }
        if (!expected_.empty()) recovered_at_ms_ = r->recorded_at_ms;
        spdlog::info(
            "forward sink {}: stream {:016x} goes on at batch {}{}", name(), stream_, next_seq_,
            expected_.empty()
                ? ""
                : " (" + std::to_string(expected_.size()) + " takes of " + std::to_string(events) +
                      " events were in flight: they are sent again with their numbers)");
      } else {
        spdlog::warn(
            "forward sink {}: its record in channel {} does not read ('{}'); a new "
            "stream starts",
            name(), channel()->name(), it->second);
      }
    }
  }
  bytes_sent_ = &metrics().counter("BytesSentCount");
  event_bytes_ = &metrics().counter("EventBytesSentCount");
  batches_sent_ = &metrics().counter("BatchSentCount");
  nacks_full_ = &metrics().counter("BatchChannelFullCount");
  resent_batches_ = &metrics().counter("BatchResentCount");
  in_doubt_ = &metrics().counter("EventInDoubtCount");
  return Status::ok();
}

void ForwardSink::stop() {
  if (fd_ >= 0) disconnect("sink stopping");
}

void ForwardSink::disconnect(const std::string& why) {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  tls_.reset();
  in_.clear();
  out_.clear();
  out_sent_ = 0;
  // What was sent on it and not answered may or may not be at the receiver (at_peer stays).
  for (Take& t : window_)
    for (Planned& b : t.batches)
      b.awaiting = false;
  counters().connection_closed->inc();
  spdlog::info("forward sink {}: disconnected from {}:{} ({})", name(), options_.hostname,
               options_.port, why);
}

Status ForwardSink::tcp_connect(Clock::time_point limit) {
  const std::string where = options_.hostname + ":" + std::to_string(options_.port);
  auto fail = [&](std::string why) -> Status {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    counters().connection_failed->inc();
    return make_error(ErrorCode::kUnavailable, "cannot reach " + where + ": " + why);
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string host = options_.hostname;  // "[::1]" as in a URL: getaddrinfo wants ::1
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(options_.port).c_str(), &hints, &res);
      rc != 0)
    return fail(gai_strerror(rc));
  std::string last = "no address";
  for (addrinfo* ai = res; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, remaining_ms(limit));
      int err = 0;
      socklen_t len = sizeof err;
      if (rc == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        rc = 0;
      } else {
        last = rc == 0 ? "connect timed out" : std::strerror(err ? err : errno);
        rc = -1;
      }
    } else if (rc != 0) {
      last = std::strerror(errno);
    }
    if (rc == 0) {
      fd_ = fd;
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(res);
  if (fd_ < 0) return fail(last);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  in_.clear();
  out_.clear();
  out_sent_ = 0;
  if (Status s = tls_start(limit); !s) return fail(s.message());
  return Status::ok();
}

namespace {
// How long `protocol = auto` waits for a WELCOME before it takes the peer for a Flume avro
// source (which, given a HELLO, either closes the connection or waits for more bytes).
constexpr auto kForwardProbe = std::chrono::seconds(2);
}  // namespace

Status ForwardSink::connect(Clock::time_point deadline) {
  const auto limit =
      std::min(deadline, Clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms));
  const std::string where = options_.hostname + ":" + std::to_string(options_.port);
  if (options_.protocol == "flume") wire_ = Wire::kAvro;
  if (Status s = tcp_connect(limit); !s) return s;
  if (wire_ == Wire::kAvro) {
    start_avro_connection();
    return Status::ok();
  }
  auto fail = [&](std::string why) -> Status {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    counters().connection_failed->inc();
    return make_error(ErrorCode::kUnavailable, "cannot reach " + where + ": " + why);
  };
  // Not a forward source: in auto mode the next connection speaks Flume's Avro RPC.
  auto not_forward = [&](std::string why) -> Status {
    if (options_.protocol != "auto") return fail(why + " (it is not a flumen forward source)");
    ::close(fd_);
    fd_ = -1;
    wire_ = Wire::kAvro;
    probe_log_.log(spdlog::level::info,
                   "forward sink {}: {} does not speak the flumen forward protocol ({}); "
                   "speaking Apache Flume's Avro RPC to it",
                   name(), where, why);
    if (Status s = tcp_connect(limit); !s) return s;
    start_avro_connection();
    return Status::ok();
  };
  const auto probe_limit =
      options_.protocol == "auto" ? std::min(limit, Clock::now() + kForwardProbe) : limit;
  fwd::append_hello(out_, {fwd::kVersion, stream_, name(), options_.token});
  // pump leaves a WELCOME (and an ERROR) at the front of in_ for the handshake to read.
  Io io = pump(probe_limit, [&] {
    fwd::Frame first;
    size_t n = 0;
    return fwd::split_frame(in_, fwd::kDefaultMaxFrame, first, n) == fwd::Split::kFrame;
  });
  fwd::Frame f;
  size_t used = 0;
  fwd::Split sp = fwd::split_frame(in_, fwd::kDefaultMaxFrame, f, used);
  if (sp == fwd::Split::kFrame && f.type == fwd::FrameType::kWelcome &&
      fwd::decode_welcome(f.payload, welcome_)) {
    in_.erase(0, used);
  } else if (sp == fwd::Split::kFrame && f.type == fwd::FrameType::kError) {
    fwd::WireErrorFrame e;
    fwd::decode_error(f.payload, e);
    return fail("refused: " + e.message);
  } else if (io == Io::kTimeout && in_.empty()) {
    if (Clock::now() >= limit) return fail("no answer to the handshake");
    return not_forward("no answer to HELLO");
  } else if (io == Io::kTimeout || sp != fwd::Split::kNeedMore) {
    return not_forward("a malformed answer to HELLO");
  } else if (interrupted_.load()) {
    return fail("interrupted: the agent is stopping");
  } else {
    return not_forward("it closed the connection on HELLO");
  }
  if (welcome_.version != fwd::kVersion) return fail("unsupported protocol version");
  // New numbers always go above what the receiver holds of this stream: a record lost to a
  // power cut (records are not synced) must not make a number it has committed name other
  // events, which it would then drop as a retransmission. A plan in flight keeps its numbers.
  if (welcome_.committed >= next_seq_) {
    spdlog::warn(
        "forward sink {}: the receiver holds batch {} of stream {:016x}, above the {} "
        "this sink recorded; new batches are numbered above it",
        name(), welcome_.committed, stream_, next_seq_ - 1);
    next_seq_ = welcome_.committed + 1;
  }
  counters().connection_created->inc();
  connected_at_ = last_io_ = Clock::now();
  spdlog::info("forward sink {}: connected to {} ({}, committed {})", name(), where,
               welcome_.receiver, welcome_.committed);
  return Status::ok();
}

namespace {
constexpr int kInterruptCheckMs = 100;
}  // namespace

bool ForwardSink::read_answers() {
  size_t at = 0;
  for (;;) {
    fwd::Frame f;
    size_t used = 0;
    fwd::Split sp =
        fwd::split_frame(std::string_view(in_).substr(at), fwd::kDefaultMaxFrame, f, used);
    if (sp == fwd::Split::kNeedMore) break;
    if (sp != fwd::Split::kFrame) {
      last_error_ = "malformed answer from the receiver";
      return false;
    }
    if (f.type == fwd::FrameType::kWelcome) break;  // the handshake reads it itself
    if (!on_answer(f)) return false;
    at += used;
  }
  if (at > 0) in_.erase(0, at);
  return true;
}

template <typename Done>
ForwardSink::Io ForwardSink::pump(Clock::time_point deadline, Done done) {
  for (;;) {
    if (!read_answers()) return Io::kBroken;
    if (out_sent_ == out_.size() && tls_sent_ == tls_out_.size() && done()) {
      out_.clear();
      out_sent_ = 0;
      return Io::kOk;
    }
    if (Io io = io_step(deadline); io != Io::kOk) return io;
  }
}

ForwardSink::Io ForwardSink::io_step(Clock::time_point deadline) {
  if (interrupted_.load()) {
    last_error_ = "interrupted: the agent is stopping";
    return Io::kBroken;
  }
  if (tls_) return tls_io_step(deadline);
  pollfd p{fd_, static_cast<short>(POLLIN | (out_sent_ < out_.size() ? POLLOUT : 0)), 0};
  // Short polls so that an interrupt() is seen soon.
  int rc = ::poll(&p, 1, std::min(remaining_ms(deadline), kInterruptCheckMs));
  if (rc < 0 && errno == EINTR) return Io::kOk;
  if (rc == 0) return Clock::now() >= deadline ? Io::kTimeout : Io::kOk;
  if (rc < 0) {
    last_error_ = std::strerror(errno);
    return Io::kBroken;
  }
  if (p.revents & POLLOUT) {
    ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      last_error_ = std::strerror(errno);
      return Io::kBroken;
    }
    if (n > 0) {
      out_sent_ += static_cast<size_t>(n);
      bytes_sent_->inc(n);
    }
  }
  if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
    char buf[64 * 1024];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) {
      last_error_ = "the receiver closed the connection";
      return Io::kBroken;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      last_error_ = std::strerror(errno);
      return Io::kBroken;
    }
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      last_io_ = Clock::now();
    }
  }
  return Io::kOk;
}

bool ForwardSink::on_answer(const fwd::Frame& f) {
  // The batch of the window an answer is for (none: a stale answer, ignored).
  auto find = [&](uint64_t seq) -> std::pair<Take*, Planned*> {
    for (Take& t : window_)
      for (Planned& b : t.batches)
        if (b.seq == seq) return {&t, &b};
    return {nullptr, nullptr};
  };
  switch (f.type) {
    case fwd::FrameType::kAck: {
      fwd::Ack a;
      if (!fwd::decode_ack(f.payload, a)) break;
      if (auto [t, b] = find(a.seq); b != nullptr) {
        b->done = true;
        b->awaiting = false;
      }
      return true;
    }
    case fwd::FrameType::kNack: {
      fwd::Nack n;
      if (!fwd::decode_nack(f.payload, n)) break;
      auto [t, b] = find(n.seq);
      if (n.reason == fwd::NackReason::kChannelFull) {
        nacks_full_->inc();
        last_error_ = n.message;
      }
      if (b != nullptr) {
        b->awaiting = false;
        b->at_peer = false;  // refused: certainly not committed there
        if (n.reason == fwd::NackReason::kRejected) {
          b->done = true;
          t->rejected = n.message;
        }
      }
      return true;
    }
    case fwd::FrameType::kPong: {
      uint64_t nonce = 0;
      if (fwd::decode_ping(f.payload, nonce) && nonce == ping_nonce_) pong_seen_ = true;
      return true;
    }
    case fwd::FrameType::kError: {
      fwd::WireErrorFrame e;
      fwd::decode_error(f.payload, e);
      last_error_ = "the receiver closed the connection: " + e.message;
      return false;
    }
    default:
      break;
  }
  last_error_ = "unexpected frame from the receiver";
  return false;
}

void ForwardSink::plan(const EventBatch& batch, Take& take) {
  take.batches.clear();
  take.rejected.clear();
  const size_t max_events =
      std::max<size_t>(1, std::min<size_t>(fwd::kMaxBatchEvents, welcome_.max_events));
  if (batch.size() > max_events && max_events < static_cast<size_t>(options_.batch_size))
    split_log_.warn(
        "forward sink {}: the receiver {} takes at most {} events per batch (the "
        "transactionCapacity of its channel), so batches of {} go as {} smaller ones; raise "
        "transactionCapacity (and capacity) on the receiver for fewer round trips",
        name(), welcome_.receiver, max_events, options_.batch_size,
        (batch.size() + max_events - 1) / max_events);
  // Leave room for the frame header and per-event lengths under the receiver's frame limit.
  const size_t max_bytes = std::min<size_t>(
      fwd::kMaxBatchBytes, welcome_.max_frame > 4096 ? welcome_.max_frame / 2 : 2048);
  size_t begin = 0;
  while (begin < batch.size()) {
    size_t end = begin;
    size_t bytes = 0;
    while (end < batch.size() && end - begin < max_events) {
      size_t b = batch.body(end).size() + 6;
      for (size_t k = 0; k < batch.header_count(end); ++k) {
        auto [key, value] = batch.header_at(end, k);
        b += key.size() + value.size() + 6;
      }
      if (end > begin && bytes + b > max_bytes) break;
      bytes += b;
      ++end;
    }
    take.batches.push_back({next_seq_++, begin, end});
    begin = end;
  }
  take.events = batch.size();
  // On disk with the plan: the same events are recognised after a restart.
  take.hash = durable_ ? events_identity(batch) : 0;
}

SenderRecord ForwardSink::record(size_t from) const {
  SenderRecord r;
  r.stream = stream_;
  r.next_seq = next_seq_;
  r.recorded_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto add = [&](const Take& t) {
    if (t.avro || t.batches.empty()) return;
    TakePlanRecord p;
    p.first_seq = t.batches.front().seq;
    p.events = t.events;
    p.events_hash = t.hash;
    for (const Planned& b : t.batches)
      p.counts.push_back(static_cast<uint32_t>(b.end - b.begin));
    r.takes.push_back(std::move(p));
  };
  for (size_t i = from; i < window_.size(); ++i)
    add(window_[i]);
  for (const Take& t : expected_)
    add(t);
  return r;
}

Status ForwardSink::save_record() {
  if (!durable_) return Status::ok();
  // On disk before the first byte leaves: a number the receiver may hold is never given to
  // other events after a restart.
  if (Status s = channel()->save_marker(record_key_, record(0).encode()); !s)
    return make_error(s.code(), "cannot record the batches' numbers in channel " +
                                    channel()->name() + " before sending: " + s.message());
  return Status::ok();
}

bool ForwardSink::take_expected(const EventBatch& batch, Take& take) {
  if (expected_.empty()) return false;
  Take& first = expected_.front();
  if (wire_ == Wire::kForward && first.events == batch.size() &&
      first.hash == events_identity(batch)) {
    take = std::move(first);
    expected_.pop_front();
    if (recovered_at_ms_ != 0)
      spdlog::info(
          "forward sink {}: sending again the {} events in flight before the restart, as "
          "batches {}..{} of stream {:016x}",
          name(), take.events, take.batches.front().seq, take.batches.back().seq, stream_);
    if (expected_.empty()) recovered_at_ms_ = 0;
    return true;
  }
  // Not the events of that take (a take of another sink or worker got them, or a config
  // change): they get new numbers, and those takes' numbers are never used again. The next
  // record written leaves them out.
  if (recovered_at_ms_ != 0)
    spdlog::info(
        "forward sink {}: the events at the head of channel {} are not the {} it had in flight "
        "before the restart; they go with new numbers",
        name(), channel() ? channel()->name() : std::string("-"), first.events);
  expected_.clear();
  recovered_at_ms_ = 0;
  return false;
}

void ForwardSink::queue_unsent() {
  for (Take& t : window_) {
    if (t.avro) continue;
    for (Planned& b : t.batches) {
      if (b.done || b.awaiting) continue;
      const size_t before = out_.size();
      if (Status s = fwd::append_batch(out_, b.seq, codec_, *t.batch, b.begin, b.end, scratch_,
                                       static_cast<int>(options_.compression_level));
          !s) {
        // It can never be encoded (a codec error): rejected as the receiver would reject it.
        out_.resize(before);
        b.done = true;
        t.rejected = s.message();
        continue;
      }
      b.awaiting = true;
      b.at_peer = true;
      // Raw event bytes, to compare with BytesSentCount (what compression saved).
      const size_t frame_header = 22;
      event_bytes_->inc(static_cast<int64_t>(
          codec_ == fwd::Codec::kNone ? out_.size() - before - frame_header : scratch_.size()));
      batches_sent_->inc();
    }
  }
}

void ForwardSink::send_now() {
  // Bounded: each step either moves bytes or finds the socket busy.
  for (int step = 0; step < 64 && fd_ >= 0; ++step) {
    if (!read_answers()) {
      disconnect(last_error_);
      return;
    }
    if (out_sent_ == out_.size() && tls_sent_ == tls_out_.size()) {
      out_.clear();
      out_sent_ = 0;
      return;
    }
    const size_t sent = out_sent_, tls_sent = tls_sent_, got = in_.size();
    Io io = io_step(Clock::now());
    if (io == Io::kBroken) {
      disconnect(last_error_);
      return;
    }
    if (io == Io::kTimeout || (out_sent_ == sent && tls_sent_ == tls_sent && in_.size() == got))
      return;  // the socket takes nothing now: sync_delivered() goes on
  }
}

void ForwardSink::replan_to_fit() {
  const size_t max_events = std::max<uint32_t>(welcome_.max_events, 1);
  size_t first = window_.size();
  for (size_t i = 0; i < window_.size() && first == window_.size(); ++i)
    for (const Planned& b : window_[i].batches)
      if (!b.done && b.end - b.begin > max_events) first = i;
  // New numbers from there on, for every later take too: numbers only grow on the wire.
  for (size_t i = first; i < window_.size(); ++i)
    if (!window_[i].avro) plan(*window_[i].batch, window_[i]);
}

DeliveryResult ForwardSink::deliver(const EventBatch& batch) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.request_timeout_ms);
  if (interrupted_.load()) return DeliveryResult::retry("interrupted: the agent is stopping");
  if (!groups_syncs()) {
    // protocol = flume: one Avro RPC call per take, answered before this returns.
    if (fd_ < 0)
      if (Status s = connect(deadline); !s) return DeliveryResult::retry(s.message());
    return deliver_avro(batch, deadline);
  }
  Take take;
  const bool again = take_expected(batch, take);
  if (!again) {
    // A new plan needs the receiver's limits: connect unless a take of this window did (a
    // connection lost since is rebuilt by sync_delivered).
    if (fd_ < 0 && (window_.empty() || wire_ == Wire::kAvro))
      if (Status s = connect(deadline); !s) return DeliveryResult::retry(s.message());
    if (wire_ == Wire::kAvro) {
      DeliveryResult r = deliver_avro(batch, deadline);
      if (r.outcome == pipeline::Delivery::kDelivered) {
        Take avro;
        avro.batch = &batch;
        avro.avro = true;
        window_.push_back(std::move(avro));
      }
      return r;
    }
    plan(batch, take);
  }
  take.batch = &batch;
  window_.push_back(std::move(take));
  if (!again) {
    if (Status s = save_record(); !s) {
      window_.pop_back();
      return DeliveryResult::retry(s.message());
    }
  }
  if (fd_ >= 0) {
    queue_unsent();
    // Overlapping windows: a window goes out whole when it is complete (begin_sync), in as
    // few writes as the socket takes, unless it grew large; the receiver is busy with the last
    // one meanwhile.
    if (!windows_overlap_ || out_.size() - out_sent_ >= kSendEarlyBytes) send_now();
  }
  return DeliveryResult::delivered();
}

void ForwardSink::begin_sync(size_t takes) {
  windows_overlap_ = true;  // only a sink alone in its processor is told to begin a sync
  begun_.begin(takes);
  if (fd_ >= 0) send_now();
}

Status ForwardSink::settle(Clock::time_point deadline, size_t takes) {
  auto pending = [](const Planned& b) { return !b.done; };
  auto at_peer = [](const Planned& b) { return b.at_peer; };
  auto awaiting = [](const Planned& b) { return b.awaiting; };
  const std::string where = options_.hostname + ":" + std::to_string(options_.port);
  int backoff_ms = 50;
  // False when the next wait would pass the deadline; else waits it out (50 ms doubling to 1 s).
  auto back_off = [&] {
    if (Clock::now() + std::chrono::milliseconds(backoff_ms) >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, 1000);
    return true;
  };
  while (count_batches(pending, takes) > 0) {
    if (interrupted_.load())
      return make_error(ErrorCode::kUnavailable, "interrupted: the agent is stopping");
    if (fd_ < 0) {
      if (Status s = connect(deadline); !s) {
        // A batch of the window may be committed at this receiver, its answer lost with the
        // connection (the receiver killed after its commit). Given up now, the takes would go
        // to another member of the sink group and be put there twice; its own receiver
        // recognises the numbers when it is back, so it is waited for, within request-timeout.
        if (count_batches(at_peer) > 0 && back_off()) continue;
        return s;
      }
      if (wire_ == Wire::kAvro)
        return make_error(ErrorCode::kUnavailable,
                          where + " no longer speaks the flumen forward protocol");
      const uint64_t before = next_seq_;
      replan_to_fit();
      if (next_seq_ != before)
        if (Status s = save_record(); !s) return s;
    }
    queue_unsent();
    // Every batch sent gets exactly one answer on this connection, in order. The takes after
    // `takes` (the next window) are answered later.
    Io io = pump(deadline, [&] { return count_batches(awaiting, takes) == 0; });
    if (io == Io::kTimeout) {
      disconnect("no answer within request-timeout");
      return make_error(ErrorCode::kUnavailable,
                        "no answer from " + where + " within request-timeout");
    }
    if (io == Io::kBroken) {
      std::string why = last_error_;
      disconnect(why);
      if (!back_off()) return make_error(ErrorCode::kUnavailable, why);
      // Reconnect; what was not acknowledged goes again with its old numbers.
      resent_batches_->inc(static_cast<int64_t>(count_batches(pending)));
      continue;
    }
    if (count_batches(pending, takes) == 0) break;
    // Refused for now (channel full there, or behind a refused batch): wait and send again.
    if (!back_off())
      return make_error(ErrorCode::kUnavailable,
                        "the receiver's channel stays full: " + last_error_);
    resent_batches_->inc(static_cast<int64_t>(count_batches(pending)));
  }
  return Status::ok();
}

Status ForwardSink::sync_delivered() {
  synced_ = 0;
  return settle(Clock::now() + std::chrono::milliseconds(options_.request_timeout_ms),
                begun_.oldest_or(window_.size()));
}

void ForwardSink::delivery_synced(const EventBatch& batch, DeliveryResult& result) {
  if (synced_ < window_.size() && window_[synced_].batch == &batch) {
    const Take& t = window_[synced_++];
    if (!t.rejected.empty()) {
      // The receiver can never take these batches (they do not decode there); the others of
      // the take are committed there and must not go anywhere again.
      std::vector<uint32_t> events;
      for (const Planned& b : t.batches)
        if (b.done && !b.at_peer)
          for (size_t i = b.begin; i < b.end; ++i)
            events.push_back(static_cast<uint32_t>(i));
      std::string why = "the receiver rejected a batch: " + t.rejected;
      result = events.size() == batch.size()
                   ? DeliveryResult::rejected(std::move(why))
                   : DeliveryResult::partly_rejected(std::move(events), std::move(why));
    }
  }
  // Committed with the take: the takes after it are still in flight.
  if (durable_) result.markers.emplace_back(record_key_, record(synced_).encode());
}

void ForwardSink::deliveries_committed() {
  if (begun_.empty()) {
    window_.clear();
  } else {
    // The oldest window: the next one stays open.
    window_.erase(window_.begin(),
                  window_.begin() + static_cast<std::ptrdiff_t>(std::min(synced_, window_.size())));
    begun_.committed();
  }
  synced_ = 0;
}

void ForwardSink::delivery_not_committed() {
  // The newest take of the window goes back to the head of the channel: the same events come
  // again, and its batches keep their numbers (those acknowledged are not sent again).
  if (window_.empty()) return;
  Take t = std::move(window_.back());
  window_.pop_back();
  begun_.given_back();
  if (synced_ > window_.size()) synced_ = window_.size();
  if (t.avro) return;  // Avro RPC numbers nothing: a resend is a new call
  // The receiver may hold some of these events (acknowledged, or sent and the answer lost).
  // If they come back to this sink they are not sent twice; if another sink of the group takes
  // them, those can be duplicated at its receiver. Counted as in doubt.
  bool all_done = true;
  size_t in_doubt = 0;
  for (Planned& b : t.batches) {
    all_done = all_done && b.done;
    if (b.at_peer) in_doubt += b.end - b.begin;
    b.awaiting = false;
  }
  if (!all_done) in_doubt_->inc(static_cast<int64_t>(in_doubt));
  if (!durable_) t.hash = events_identity(*t.batch);  // durable: hashed when planned
  t.batch = nullptr;
  expected_.push_front(std::move(t));
}

void ForwardSink::tick(Clock::time_point now) {
  if (fd_ < 0) return;
  if (wire_ == Wire::kAvro) {
    // Avro RPC has no ping: an idle connection is only rebuilt when asked to.
    if (options_.reset_connection_interval_s > 0 &&
        now - connected_at_ >= std::chrono::seconds(options_.reset_connection_interval_s))
      disconnect("reset-connection-interval");
    return;
  }
  if (options_.reset_connection_interval_s > 0 &&
      now - connected_at_ >= std::chrono::seconds(options_.reset_connection_interval_s)) {
    disconnect("reset-connection-interval");
    return;
  }
  if (now - last_io_ < std::chrono::seconds(options_.keepalive_s)) return;
  if (out_sent_ < out_.size()) return;  // frames still going out: not idle
  out_.clear();
  out_sent_ = 0;
  fwd::append_ping(out_, fwd::FrameType::kPing, ++ping_nonce_);
  pong_seen_ = false;
  Io io = pump(now + std::chrono::milliseconds(options_.request_timeout_ms),
               [&] { return pong_seen_; });
  if (io != Io::kOk)
    disconnect("keepalive: " + (io == Io::kTimeout ? std::string("no pong") : last_error_));
}

}  // namespace flumen::plugins
