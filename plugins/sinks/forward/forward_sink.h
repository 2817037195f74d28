#pragma once
// forward (alias avro): sends each channel transaction to the next agent's forward source over
// the flumen forward protocol (docs/protocol-forward.md) and reports it delivered only when every
// batch of it was acknowledged, i.e. committed to the receiver's channel.
//
// A transaction is cut into batches (at most 1000 events / 1 MiB, fewer when the receiver's
// channels take smaller transactions). The sink delivers a sync window (Sink::groups_syncs): up
// to 8 takes and about 1,000 events (one take at least), each sent as soon as it is taken,
// without waiting for answers; sync_delivered()
// then waits until every batch of the window is acknowledged, and the takes commit in order.
// Alone in its processor the sink overlaps windows (Sink::overlaps_syncs): the next window is
// taken and sent while the answers to the last one come in, so at most two windows are in
// flight. The receiver thus has several batches to put at once (a durable channel there merges
// their syncs) while the sender takes the next ones. A NACK "channel full" is waited out with
// backoff, a broken connection is rebuilt and the unacknowledged batches are sent again with
// their old sequence numbers, all within request-timeout; past that the window is given back
// (the sink group may move to another sink). When the same events come back to this sink, the
// batches already acknowledged are not sent again and the rest keep their numbers, so the
// receiver puts nothing twice. Batches always go out in the order of their numbers.
//
// With a durable channel the sink's stream id and the numbers of the takes in flight are kept in
// the channel (sender_record.h): a batch sent again after a kill -9 of this agent carries its old
// number, and the receiver puts nothing twice.
//
// To an Apache Flume avro source it speaks Flume's Avro RPC instead (forward_sink_avro.cc):
// `protocol = flume`, or with the default `auto` when the peer does not answer the forward
// HELLO. Each transaction is then one appendBatch (with deflate if compression-type says so),
// delivered when Flume answers OK; FAILED (its channel full) is retried within request-timeout.
//
// Runs entirely on its sink runner's thread, with a non-blocking socket and poll(2).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/net/avro_rpc.h"
#include "agent/net/forward_codec.h"
#include "agent/net/tls.h"
#include "agent/net/zlib_stream.h"
#include "agent/pipeline/begun_windows.h"
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

  // After a restart, or after a window was given back, the next take is exactly the first one
  // expected again (its events are at the head of the channel), so it is recognised.
  size_t batch_size() const override {
    return expected_.empty() ? static_cast<size_t>(options_.batch_size) : expected_.front().events;
  }
  Status start() override;
  void stop() override;
  pipeline::DeliveryResult deliver(const EventBatch& batch) override;
  // Flume's Avro RPC (protocol = flume) answers each call before the next: no window.
  bool groups_syncs() const override { return options_.protocol != "flume"; }
  // About kWindowEvents in flight, at least one take and at most 8: what a failover may send
  // to the next receiver again stays near one take of a tuned conf (1,000 events), while
  // Flume's default takes of 100 go eight at a time (more made no difference).
  static constexpr size_t kWindowEvents = 1000;
  // What a window not complete yet may hold unsent.
  static constexpr size_t kSendEarlyBytes = 256 * 1024;
  size_t sync_window_limit() const override {
    return std::clamp<size_t>(kWindowEvents / std::max<size_t>(1, options_.batch_size), 1, 8);
  }
  // Alone, nothing is sent to another receiver again: about twice the events, up to 16 takes
  // (the processor's kSyncWindow), two windows in flight. Forward hop at the defaults, 1M
  // lines: 0.51 -> 0.40 s.
  static constexpr size_t kOverlapWindowEvents = 2000;
  size_t overlap_window_limit() const override {
    return std::clamp<size_t>(kOverlapWindowEvents / std::max<size_t>(1, options_.batch_size), 1,
                              16);
  }
  // The next window is taken and sent while the answers to the last one come in (the receiver
  // puts one window while the next is on its way); a sink group does not overlap windows.
  bool overlaps_syncs() const override { return groups_syncs(); }
  void begin_sync(size_t takes) override;
  Status sync_delivered() override;
  void delivery_synced(const EventBatch& batch, pipeline::DeliveryResult& result) override;
  void deliveries_committed() override;
  void delivery_not_committed() override;
  void tick(Clock::time_point now) override;
  void interrupt() override { interrupted_ = true; }
  int64_t resumes_take_recorded_at() const override { return recovered_at_ms_; }

 private:
  // Set by interrupt() (the agent's stop, past its deadline): waits end within ~100 ms.
  std::atomic<bool> interrupted_{false};
  util::LogThrottle split_log_{std::chrono::minutes(10)};
  util::LogThrottle probe_log_;  // a peer that speaks neither protocol is probed on every retry
  struct Planned {
    uint64_t seq;
    size_t begin, end;      // events of the take's batch
    bool done = false;      // acknowledged or rejected: not to be sent again
    bool at_peer = false;   // acknowledged, or sent and not answered (it may be committed there)
    bool awaiting = false;  // sent on this connection, its answer not read yet
  };
  // A take of the window, or one expected to come back.
  struct Take {
    const EventBatch* batch = nullptr;  // the runner's, valid while the take is in window_
    std::vector<Planned> batches;
    size_t events = 0;
    uint64_t hash = 0;     // events_identity: set when planned (durable) or given back
    bool avro = false;     // delivered whole by Avro RPC: nothing to settle or send again
    std::string rejected;  // why the receiver rejected a batch of it, if it did
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
  // Cuts the take's events into batches numbered from next_seq_, within the receiver's limits.
  void plan(const EventBatch& batch, Take& take);
  // With a durable channel, the plans of every take in flight recorded there (before any of
  // their bytes are sent).
  Status save_record();
  // The record of this sink's stream with the plans of window_[from..] and of expected_.
  SenderRecord record(size_t from) const;
  // The first expected take, if `batch` holds its events (else every expected take is dropped:
  // another taker got their events).
  bool take_expected(const EventBatch& batch, Take& take);
  // Appends to out_ the frames of every batch of the window not done and not awaiting an answer
  // on this connection, in order (so numbers only grow on the wire).
  void queue_unsent();
  // Writes and reads what the socket takes now without waiting.
  void send_now();
  // Waits for every batch of the first `takes` takes of the window (sync_delivered's work).
  Status settle(Clock::time_point deadline, size_t takes);
  // How many batches of the first `takes` takes of the window `pred` holds for (at_peer: may be
  // committed at the receiver already; awaiting: sent on this connection, unanswered; !done:
  // still to be acknowledged).
  template <typename Pred>
  size_t count_batches(Pred pred, size_t takes = SIZE_MAX) const {
    size_t n = 0;
    for (size_t i = 0; i < window_.size() && i < takes; ++i)
      for (const Planned& b : window_[i].batches)
        n += pred(b) ? 1 : 0;
    return n;
  }
  // After a reconnect to a receiver that takes smaller batches: the takes from the first that
  // no longer fits get new plans.
  void replan_to_fit();
  // Writes out_ and reads answers until `done()` holds, the deadline passes or the connection
  // breaks. Every complete frame received goes to on_answer.
  template <typename Done>
  Io pump(Clock::time_point deadline, Done done);
  // The complete frames in in_ (a WELCOME is left for the handshake); false: broken.
  bool read_answers();
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
  // Delivered takes not committed yet, in order (a sync window, or two overlapping ones).
  std::vector<Take> window_;
  pipeline::BegunWindows begun_;  // how many takes of window_ each open window holds
  // begin_sync() was called: the sink is alone in its processor and its windows overlap
  // (sent whole when complete); in a group each take is sent as soon as it is taken.
  bool windows_overlap_ = false;
  size_t synced_ = 0;  // takes of window_ delivery_synced() went through
  // Takes whose events are expected back at the head of the channel, in order: a window given
  // back, or what the last run had in flight when it stopped without committing it (kill -9).
  std::deque<Take> expected_;
  int64_t recovered_at_ms_ = 0;  // when the last run recorded the takes expected_ holds
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
