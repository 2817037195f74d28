#pragma once
// forward (alias avro): receives batches from other agents' forward sinks over the flumen forward
// protocol (docs/protocol-forward.md). Each batch is one channel transaction through the
// interceptors and selector; it is acknowledged only after that transaction committed, refused
// with "channel full" when the channel pushes back, and acknowledged again without a second put
// when it is a retransmission of a batch already committed (lost ack).
//
// It also serves Apache Flume's Avro RPC (avro_rpc_handling.cc), told apart by a connection's
// first bytes, so Flume's avro sinks send to it as to a Flume avro source.
//
// Bad input (random bytes, a wrong version or token, an oversized, truncated or slow frame, no
// HELLO within handshake-timeout, a malformed Avro request) closes that connection with a
// counted error and a log line that says what it was; other connections go on. Connections run
// on net::Server: a frame is buffered as its bytes arrive (never reserved for its announced
// length), a sender that does not read its acks stops being read. Own libuv loop thread.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/event/event_batch.h"
#include "agent/net/backoff_resumer.h"
#include "agent/net/forward_codec.h"
#include "agent/net/server.h"
#include "agent/pipeline/source.h"
#include "agent/runtime/loop_thread.h"
#include "agent/util/log_throttle.h"
#include "plugins/sources/forward/config.h"
#include "plugins/sources/forward/stream_ledger.h"

namespace flumen::plugins {

class ForwardSource : public pipeline::Source {
 public:
  ForwardSource(std::string name, ForwardSourceOptions options);
  ~ForwardSource() override;

 protected:
  Status do_start() override;
  void do_stop() override;

 private:
  class Session;
  Status listen_on_loop();
  // Handles the whole frames at the front of `data`; returns the bytes used.
  size_t on_readable(Session& s, net::Connection& c, std::string_view data);
  // Handles one frame; false when the connection was closed.
  bool on_frame(Session& s, net::Connection& c, const net::forward::Frame& frame);
  bool on_hello(Session& s, net::Connection& c, std::string_view payload);
  // Puts one batch, its commit in flight (answered by settle()). `frame_start`: where its frame
  // begins in the bytes on_readable handles. Returns where on_readable stops (the bytes used)
  // when the batch, or one in flight before it, is held; nothing to go on with the next frame.
  std::optional<size_t> on_batch(Session& s, net::Connection& c, std::string_view payload,
                                 size_t frame_start);
  // Waits for the batches of this read in flight and answers them, in order. A failed one is
  // held (as a batch that did not fit: read again when the channel frees room) and its frame
  // start returned; those after it failed with it (their commit chain) and are read again too.
  std::optional<size_t> settle(Session& s, net::Connection& c);
  void refuse(Session& s, net::Connection& c, net::forward::WireError code, const std::string& why);
  // Apache Flume's Avro RPC (avro_rpc_handling.cc): the whole Netty frames at the front of
  // `data` (inflated first with deflate); returns the bytes used.
  size_t on_avro_readable(Session& s, net::Connection& c, std::string_view data);
  // One request; false when the connection was closed.
  bool on_avro_request(Session& s, net::Connection& c, uint32_t serial);
  void refuse_avro(Session& s, net::Connection& c, const std::string& why);
  uint32_t max_batch_events();
  void load_ledger();

  ForwardSourceOptions options_;
  runtime::LoopThread loop_;
  std::unique_ptr<net::Server> server_;
  // Connections whose batch did not fit the channel, resumed when it frees room.
  std::unique_ptr<net::BackoffResumer> resumer_;
  // A batch refused for a full channel found room within a short spin: on_readable puts it
  // again at once. Once per batch (spun_for_seq_), then it is held as before.
  bool put_again_now_ = false;
  uint64_t spun_for_seq_ = 0;
  int bound_port_ = 0;
  std::chrono::steady_clock::time_point last_ledger_sweep_{};
  util::LogThrottle hello_log_{std::chrono::seconds(10)};
  util::LogThrottle reject_log_;
  util::LogThrottle eof_log_;
  StreamLedger ledger_;
  // The batches of the read being handled whose commits are in flight (a durable channel syncs
  // them together), oldest first; answered by settle() before on_readable returns.
  struct InFlight {
    uint64_t seq;
    size_t frame_start;
    bool done = false;  // set by the channel's committer, under flight_mu_
    Status status;
  };
  std::deque<InFlight> in_flight_;
  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
  EventBatch batch_;
  std::string scratch_;
  metrics::Counter* protocol_errors_ = nullptr;
  metrics::Counter* duplicates_ = nullptr;
  metrics::Counter* nacks_full_ = nullptr;
  metrics::Counter* rejected_batches_ = nullptr;
  metrics::Counter* auth_failures_ = nullptr;
  metrics::Counter* avro_batches_ = nullptr;
  // Hashes of Avro client protocols accepted by their text (an older Flume's): known on their
  // next connection without the text.
  std::set<std::string> avro_client_hashes_;
  util::LogThrottle avro_log_{std::chrono::seconds(10)};
};

}  // namespace flumen::plugins
