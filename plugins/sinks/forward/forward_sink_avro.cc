// The forward sink speaking Apache Flume's Avro RPC (agent/net/avro_rpc.h) to a Flume avro
// source, as Flume's own avro sink does: one appendBatch per transaction, one call in flight,
// the Avro handshake on the first call of each connection, deflate when compression-type says.
#include <spdlog/spdlog.h>

#include <thread>

#include "plugins/sinks/forward/forward_sink.h"

namespace flumen::plugins {

namespace avro_rpc = net::avro_rpc;
using pipeline::DeliveryResult;

namespace {
// Answers are a handshake (a protocol text at most) and a status: anything larger is not one.
constexpr size_t kMaxAnswer = 1 << 20;
}  // namespace

void ForwardSink::start_avro_connection() {
  avro_handshaken_ = false;
  avro_serial_ = 0;
  avro_plain_.clear();
  avro_inflater_.reset();
  avro_deflater_.reset();
  if (options_.compression_type == "deflate") {
    avro_inflater_ = std::make_unique<net::ZlibInflater>();
    const int level = options_.compression_level > 0
                          ? static_cast<int>(std::min<int64_t>(options_.compression_level, 9))
                          : 6;  // Flume's default compression-level
    avro_deflater_ = std::make_unique<net::ZlibDeflater>(level);
  }
  counters().connection_created->inc();
  connected_at_ = last_io_ = Clock::now();
}

ForwardSink::Io ForwardSink::avro_exchange(Clock::time_point deadline, uint32_t serial) {
  for (;;) {
    if (avro_inflater_ && !in_.empty()) {
      std::string error;
      if (!avro_inflater_->feed(in_, avro_plain_, kMaxAnswer, error)) {
        last_error_ = "the receiver's deflate stream: " + error;
        return Io::kBroken;
      }
      in_.clear();
    }
    std::string& raw = avro_inflater_ ? avro_plain_ : in_;
    uint32_t got = 0;
    size_t used = 0;
    avro_rpc::Split sp = avro_rpc::split_pack(raw, kMaxAnswer, got, avro_pack_, used);
    if (sp == avro_rpc::Split::kPack) {
      raw.erase(0, used);
      if (got != serial) {
        last_error_ = "an Avro answer to another call";
        return Io::kBroken;
      }
      return Io::kOk;
    }
    if (sp != avro_rpc::Split::kNeedMore) {
      last_error_ = "a malformed Avro RPC answer";
      return Io::kBroken;
    }
    if (Io io = io_step(deadline); io != Io::kOk) return io;
  }
}

ForwardSink::Io ForwardSink::avro_call(const EventBatch& batch, Clock::time_point deadline,
                                       avro_rpc::Status& status, std::string& error) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The frame is written in place (the events are copied once, into it; once more through
    // the deflater).
    const uint32_t serial = ++avro_serial_;
    std::string& frame = avro_deflater_ ? scratch_ : out_;
    frame.clear();
    out_.clear();
    out_sent_ = 0;
    const size_t at = avro_rpc::begin_pack(frame, serial);
    const bool handshake = !avro_handshaken_;
    if (handshake) avro_rpc::write_handshake_request(frame, avro_send_protocol_);
    const size_t call_at = frame.size();
    avro_rpc::write_append_batch(frame, batch, 0, batch.size());
    event_bytes_->inc(static_cast<int64_t>(frame.size() - call_at));
    avro_rpc::end_pack(frame, at);
    if (avro_deflater_) avro_deflater_->write(frame, out_);
    batches_sent_->inc();
    if (Io io = avro_exchange(deadline, serial); io != Io::kOk) return io;
    out_.clear();
    out_sent_ = 0;
    net::avro::Reader r(avro_pack_);
    if (handshake) {
      avro_rpc::HandshakeResponse h;
      if (!avro_rpc::read_handshake_response(r, h)) {
        last_error_ = "a malformed Avro handshake answer";
        return Io::kBroken;
      }
      if (h.match == avro_rpc::Match::kNone) {
        // The server does not know our protocol by its hash: send it again with the text.
        if (avro_send_protocol_) {
          last_error_ = "the receiver does not accept Flume's AvroSourceProtocol";
          return Io::kBroken;
        }
        avro_send_protocol_ = true;
        continue;
      }
      if (h.server_protocol && !avro_rpc::is_flume_protocol(*h.server_protocol)) {
        last_error_ = "the receiver serves another Avro protocol than Flume's AvroSourceProtocol";
        return Io::kBroken;
      }
      avro_handshaken_ = true;
      if (!avro_worked_ || h.flumen_forward)
        spdlog::info("forward sink {}: connected to {}:{} with Apache Flume's Avro RPC{}", name(),
                     options_.hostname, options_.port, avro_deflater_ ? " (deflate)" : "");
      avro_worked_ = true;
      if (h.flumen_forward && options_.protocol == "auto") {
        // A flumen agent answered (its listener speaks both): the forward protocol, with its
        // dedup, from the next connection on.
        spdlog::info(
            "forward sink {}: {}:{} is a flumen agent; the next connection speaks the "
            "forward protocol",
            name(), options_.hostname, options_.port);
        wire_ = Wire::kForward;
      }
    }
    if (!avro_rpc::read_call_response(r, status, error)) {
      last_error_ = "a malformed Avro RPC answer";
      return Io::kBroken;
    }
    return Io::kOk;
  }
  return Io::kBroken;
}

DeliveryResult ForwardSink::deliver_avro(const EventBatch& batch, Clock::time_point deadline) {
  const std::string where = options_.hostname + ":" + std::to_string(options_.port);
  int backoff_ms = 50;
  for (;;) {
    if (interrupted_.load()) return DeliveryResult::retry("interrupted: the agent is stopping");
    if (fd_ < 0) {
      if (Status s = connect(deadline); !s) return DeliveryResult::retry(s.message());
      if (wire_ != Wire::kAvro) return DeliveryResult::retry("the receiver changed protocol");
    }
    avro_rpc::Status status = avro_rpc::Status::kUnknown;
    std::string error;
    Io io = avro_call(batch, deadline, status, error);
    if (io != Io::kOk) {
      // As Flume's sink: the connection goes, the transaction is rolled back. In auto mode a
      // peer that never answered Avro RPC is probed with the forward protocol next time.
      std::string why = io == Io::kTimeout ? "no answer within request-timeout" : last_error_;
      disconnect(why);
      if (options_.protocol == "auto" && !avro_worked_) wire_ = Wire::kForward;
      return DeliveryResult::retry(where + ": " + why);
    }
    if (wire_ != Wire::kAvro) disconnect("switching to the forward protocol");
    if (status == avro_rpc::Status::kOk) return DeliveryResult::delivered();
    // FAILED is what Flume's avro source answers when its channel refused the batch (full):
    // wait and send again, within request-timeout.
    std::string why = error.empty() ? where + " answered " +
                                          (status == avro_rpc::Status::kFailed ? "FAILED (its "
                                                                                 "channel is full?)"
                                                                               : "UNKNOWN")
                                    : where + " answered with an error: " + error;
    nacks_full_->inc();
    if (Clock::now() + std::chrono::milliseconds(backoff_ms) >= deadline)
      return DeliveryResult::retry(why);
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, 1000);
    resent_batches_->inc();
    if (fd_ < 0) continue;
  }
}

}  // namespace flumen::plugins
