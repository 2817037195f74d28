#pragma once
// forward (alias avro): receives batches from other agents' forward sinks over the flumen forward
// protocol (docs/protocol-forward.md). Each batch is one channel transaction through the
// interceptors and selector; it is acknowledged only after that transaction committed, refused
// with "channel full" when the channel pushes back, and acknowledged again without a second put
// when it is a retransmission of a batch already committed (lost ack).
//
// Bad input (random bytes, a wrong version or token, an oversized, truncated or slow frame, Avro
// RPC from Apache Flume) closes that connection with a counted error and a log line that says
// what it was; other connections go on. Runs on its own libuv loop thread.
#include <memory>
#include <string>
#include <vector>

#include "agent/event/event_batch.h"
#include "agent/net/forward_codec.h"
#include "agent/pipeline/source.h"
#include "agent/runtime/loop_thread.h"
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
  struct Connection;
  friend struct Connection;
  Status listen_on_loop();
  void on_connection();
  void on_readable(Connection* c);
  // Handles one frame; false when the connection was closed.
  bool on_frame(Connection* c, const net::forward::Frame& frame);
  bool on_hello(Connection* c, std::string_view payload);
  void on_batch(Connection* c, std::string_view payload);
  void refuse(Connection* c, net::forward::WireError code, const std::string& why);
  void sweep();
  uint32_t max_batch_events();
  void load_ledger();

  ForwardSourceOptions options_;
  runtime::LoopThread loop_;
  uv_tcp_t* server_ = nullptr;
  uv_timer_t* sweeper_ = nullptr;
  int bound_port_ = 0;
  std::vector<Connection*> connections_;
  StreamLedger ledger_;
  EventBatch batch_;
  std::string scratch_;
  metrics::Counter* protocol_errors_ = nullptr;
  metrics::Counter* duplicates_ = nullptr;
  metrics::Counter* nacks_full_ = nullptr;
  metrics::Counter* rejected_batches_ = nullptr;
  metrics::Counter* auth_failures_ = nullptr;
};

}  // namespace flumen::plugins
