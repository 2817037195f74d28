#pragma once
// forward (alias avro): sends each channel transaction to the next agent's forward source over
// the flumen forward protocol (docs/protocol-forward.md) and reports it delivered only when every
// batch of it was acknowledged, i.e. committed to the receiver's channel.
//
// A transaction is cut into batches (at most 1000 events / 1 MiB, fewer when the receiver's
// channels take smaller transactions), all sent before the first answer is awaited. A NACK
// "channel full" is waited out with backoff, a broken connection is rebuilt and the unacknowledged
// batches are sent again with their old sequence numbers, all within request-timeout; past that
// the transaction is rolled back (the sink group may move to another sink). When the same events
// come back to this sink, the batches already acknowledged are not sent again and the rest keep
// their numbers, so the receiver puts nothing twice.
//
// With a durable channel the sink's stream id and the numbers of the take in flight are kept in
// the channel (sender_record.h): a batch sent again after a kill -9 of this agent carries its old
// number, and the receiver puts nothing twice.
//
// To an Apache Flume avro source it speaks Flume's Avro RPC instead (forward_sink_avro.cc):
// `protocol = flume`, or with the default `auto` when the peer does not answer the forward
// HELLO. Each transaction is then one appendBatch (with deflate if compression-type says so),
// delivered when Flume answers OK; FAILED (its channel full) is retried within request-timeout.
//
// Runs entirely on its sink runner's thread, with a non-blocking socket and poll(2).
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/net/avro_rpc.h"
#include "agent/net/forward_codec.h"
#include "agent/net/tls.h"
#include "agent/net/zlib_stream.h"
#include "agent/pipeline/channel.h"
#include "agent/pipeline/sink.h"
#include "agent/util/log_throttle.h"
#include "plugins/sinks/forward/config.h"
#include "plugins/sinks/forward/sender_record.h"

namespace flumen::plugins {

class ForwardSink : public pipeline::Sink {
 public:
  using Clock = std::chrono::steady_clock;
  ForwardSink(std::string name, ForwardSinkOptions options);
  ~ForwardSink() override;

  // After a restart, the first take is exactly the one in flight before it (see start()).
  size_t batch_size() const override {
    return recovered_ ? static_cast<size_t>(recovered_->events)
                      : static_cast<size_t>(options_.batch_size);
  }
  Status start() override;
  void stop() override;
  pipeline::DeliveryResult deliver(const EventBatch& batch) override;
  void tick(Clock::time_point now) override;
  void interrupt() override { interrupted_ = true; }
  void delivery_not_committed() override;
  int64_t resumes_take_recorded_at() const override {
    return recovered_ ? recovered_->recorded_at_ms : 0;
  }

 private:
  // Set by interrupt() (the agent's stop, past its deadline): waits end within ~100 ms.
  std::atomic<bool> interrupted_{false};
  util::LogThrottle split_log_{std::chrono::minutes(10)};
  util::LogThrottle probe_log_;  // a peer that speaks neither protocol is probed on every retry
  struct Planned {
    uint64_t seq;
    size_t begin, end;     // events of the transaction's batch
    bool done = false;     // acknowledged or rejected: not to be sent again
    bool at_peer = false;  // acknowledged, or sent and not answered (it may be committed there)
  };
  enum class Io { kOk, kTimeout, kBroken };
  enum class Wire { kForward, kAvro };

  Status connect(Clock::time_point deadline);
  Status tcp_connect(Clock::time_point limit);
  // A new connection speaks Avro RPC: its first call carries the handshake.
  void start_avro_connection();
  pipeline::DeliveryResult deliver_avro(const EventBatch& batch, Clock::time_point deadline);
  // One appendBatch of the whole transaction, its answer in `status` (or `error`).
  Io avro_call(const EventBatch& batch, Clock::time_point deadline, net::avro_rpc::Status& status,
               std::string& error);
  // Sends out_ and reads until the whole answer to `serial` is in avro_pack_.
  Io avro_exchange(Clock::time_point deadline, uint32_t serial);
  // One poll: writes what it can of out_, reads what came into in_.
  Io io_step(Clock::time_point deadline);
  // TLS (forward_sink_tls.cc): the handshake on a fresh fd_, and io_step's TLS form (out_ is
  // encrypted into tls_out_, what arrives is decrypted into in_).
  Status tls_start(Clock::time_point limit);
  Io tls_io_step(Clock::time_point deadline);
  void take_tls_output();  // the session's ciphertext onto tls_out_
  void disconnect(const std::string& why);
  void plan(const EventBatch& batch);
  // plan(), then, with a durable channel, the plan recorded there before anything is sent.
  Status new_plan(const EventBatch& batch);
  // The record of this sink's stream (and of the take in flight when `with_plan`).
  SenderRecord record(bool with_plan) const;
  // The first take after a restart: the take that was in flight before it, if these are its
  // events (then plan_ is its plan again, every batch possibly at the peer).
  void resume_recovered(const EventBatch& batch);
  pipeline::DeliveryResult settled(pipeline::DeliveryResult r);
  // Whether a batch of the take in flight may be committed at the receiver already.
  bool any_at_peer() const;
  // Writes out_ and reads answers until `done()` holds, the deadline passes or the connection
  // breaks. Every complete frame received goes to on_answer.
  template <typename Done>
  Io pump(Clock::time_point deadline, Done done);
  bool on_answer(const net::forward::Frame& f);

  ForwardSinkOptions options_;
  net::forward::Codec codec_ = net::forward::Codec::kNone;
  Wire wire_ = Wire::kForward;
  // Avro RPC state of the connection.
  bool avro_handshaken_ = false;
  bool avro_send_protocol_ = false;  // the server asked for our protocol's text (match NONE)
  bool avro_worked_ = false;         // an Avro call was answered on some connection
  uint32_t avro_serial_ = 0;
  std::unique_ptr<net::ZlibInflater> avro_inflater_;
  std::unique_ptr<net::ZlibDeflater> avro_deflater_;
  std::string avro_plain_;  // inflated answers not read yet
  std::string avro_pack_;   // the answer just read
  int fd_ = -1;
  std::shared_ptr<const net::TlsContext> tls_ctx_;  // ssl = true
  std::unique_ptr<net::TlsSession> tls_;            // the connection's, while fd_ is open
  std::string tls_out_;                             // ciphertext, sent up to tls_sent_
  size_t tls_sent_ = 0;
  std::string in_;
  std::string out_;
  size_t out_sent_ = 0;
  std::string scratch_;
  uint64_t stream_ = 0;
  uint64_t next_seq_ = 1;
  net::forward::Welcome welcome_;
  Clock::time_point connected_at_{};
  Clock::time_point last_io_{};
  std::string last_error_;

  // The channel keeps this sink's record (durable channel, forward protocol).
  bool durable_ = false;
  std::string record_key_;
  // What the last run had in flight when it stopped without committing it (a kill -9).
  std::optional<SenderRecord> recovered_;

  // The transaction in flight, kept after a retry so that the same events reuse it; and after
  // it was delivered, until the next deliver(), in case its take commit fails.
  std::vector<Planned> plan_;
  bool plan_settled_ = false;
  uint64_t plan_hash_ = 0;
  size_t plan_events_ = 0;
  size_t answers_ = 0;  // acks and nacks received for the batches of this round
  bool any_full_ = false;
  std::string rejected_;
  uint64_t ping_nonce_ = 0;
  bool pong_seen_ = false;

  metrics::Counter* bytes_sent_ = nullptr;
  metrics::Counter* event_bytes_ = nullptr;
  metrics::Counter* batches_sent_ = nullptr;
  metrics::Counter* nacks_full_ = nullptr;
  metrics::Counter* resent_batches_ = nullptr;
  metrics::Counter* in_doubt_ = nullptr;
};

}  // namespace flumen::plugins
