#pragma once
// BrokerServer: the network side of `flumen broker`. One libuv loop thread owns the connections
// and the topic store. Requests of one connection are executed as they arrive and answered
// strictly in their order (clients pipeline and rely on it): a response that is not ready yet
// (acks=all waiting for its fsync, a Fetch waiting for data) holds back the ones behind it.
//
// acks=all: the appends waiting for durability are fsynced together on libuv's thread pool
// (group commit; one round at a time, the requests arriving meanwhile form the next), then their
// responses go out; the loop does not wait for those fsyncs. (It still does some disk work itself:
// the fsync of a segment being rolled, RocksDB writes of committed offsets, topic metadata
// rewrites, and the reads that serve fetches.) Long-polling Fetch: parked with its
// deadline; any append re-runs the parked fetches, the deadline answers with what there is.
//
// A request larger than socket.request.max.bytes, one that does not decode, or an API/version
// we do not advertise closes that connection (as Kafka does) with a counted error; idle
// connections are closed after connections.max.idle.ms. Connections run on net::Server: a
// request is buffered as its bytes arrive (a size prefix never reserves memory), a client with
// too many requests waiting or answers unread is not read until they drain, and at the
// connection cap idle connections are shed first.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/metrics/http_endpoint.h"
#include "agent/net/server.h"
#include "agent/runtime/loop_thread.h"
#include "broker/api/api.h"
#include "broker/broker_config.h"
#include "broker/groups/group_coordinator.h"
#include "broker/groups/offset_store.h"
#include "broker/storage/log_cleaner.h"
#include "broker/storage/topic_store.h"

namespace flumen::broker {

class BrokerServer {
 public:
  explicit BrokerServer(BrokerConfig config);
  ~BrokerServer();
  Status start();
  void stop();
  int port() const { return bound_port_; }
  int metrics_port() const { return metrics_endpoint_ ? metrics_endpoint_->bound_port() : 0; }

 private:
  struct Connection;
  struct Pending;
  // A bound listener: its protocol (TLS, SASL) and what Metadata answers to its clients.
  struct Listener {
    BrokerListener conf;
    int bound_port = 0;
    std::string advertised_host;
    int advertised_port = 0;
  };
  friend struct Connection;
  Status listen_on_loop();
  // Closes the listeners, connections and timers (on the loop thread): at stop, and when a
  // start fails half-way.
  void close_on_loop();
  // The whole requests at the front of `data`; returns the bytes used.
  size_t on_readable(Connection* c, std::string_view data);
  // Handles one request frame; false when the connection was closed.
  bool handle_request(Connection* c, std::string_view frame);
  // Runs a (parked) request again; true when it produced its response.
  bool run(Pending* p, bool final_attempt);
  // A response frame: the header (size patched by finish), then the body handlers append.
  static std::string start_frame(const Request& req);
  void finish(Pending* p, std::string frame);
  // The same for a body built elsewhere (the group coordinator's answers).
  void complete(Pending* p, std::string_view body);
  void write_ready(Connection* c);
  void wake_parked();
  void schedule_flush();
  void flush_now();
  void start_sync();
  void after_sync(int error);
  void tick();
  void arm_park_timer();  // (re)arms park_timer_ for the earliest parked deadline
  void expire_parked();   // answers the parked fetches whose max_wait has passed
  void close_connection(Connection* c, const std::string& why, bool count);
  void forget(Connection* c);  // the connection closed: drop its requests
  // SaslHandshake / SaslAuthenticate of a SASL listener's connection; false when it closed.
  bool handle_sasl(Connection* c, Pending* p, WireReader& in);
  // A bare SASL token after a v0 SaslHandshake (no request header); false when it closed.
  bool handle_raw_sasl(Connection* c, std::string_view token);
  Status listen_all();

  BrokerConfig config_;
  runtime::LoopThread loop_;
  std::unique_ptr<TopicStore> store_;
  std::unique_ptr<LogCleaner> cleaner_;  // compacted topics; polled by tick()
  std::unique_ptr<OffsetStore> offsets_;
  std::optional<ProducerIds> producer_ids_;
  std::unique_ptr<TxnCoordinator> txn_;
  GroupCoordinator groups_;
  std::unique_ptr<DynamicBrokerConfigs> dynamic_configs_;  // BROKER resources (Alter*Configs)
  std::unique_ptr<net::Server> server_;
  uv_timer_t* ticker_ = nullptr;
  uv_timer_t* flusher_ = nullptr;
  uv_timer_t* park_timer_ = nullptr;  // the earliest parked fetch's max_wait
  bool flush_scheduled_ = false;
  int bound_port_ = 0;
  std::vector<Listener> listeners_;
  std::shared_ptr<const net::TlsContext> tls_;
  metrics::Counter* auth_failures_ = nullptr;
  std::string advertised_host_;
  int advertised_port_ = 0;
  std::vector<Pending*> parked_;
  std::vector<Pending*> awaiting_flush_;  // acks=all answers for the next fsync round
  std::vector<Pending*> in_sync_;         // ... for the round on the thread pool
  bool syncing_ = false;
  bool stopping_ = false;
  int64_t last_retention_ms_ = 0;
  int64_t last_flush_ms_ = 0;
  // Counters under "BROKER.broker" on the metrics endpoint.
  metrics::MetricsRegistry registry_;
  std::shared_ptr<metrics::ComponentMetrics> metrics_;
  metrics::Counter* protocol_errors_ = nullptr;
  metrics::Counter* open_connections_ = nullptr;
  metrics::Counter* requests_ = nullptr;
  metrics::Counter* records_appended_ = nullptr;
  metrics::Counter* fsyncs_ = nullptr;
  metrics::Counter* duplicate_batches_ = nullptr;  // resent batches answered, not appended
  metrics::Counter* parked_fetches_ = nullptr;
  metrics::Counter* topics_ = nullptr;
  struct CleanerCounters {
    metrics::Counter *cleans, *bytes_read, *bytes_written, *records_removed, *tombstones_removed,
        *markers_removed, *aborted, *max_swap_us;
  } cleaner_counters_{};
  std::unique_ptr<metrics::HttpEndpoint> metrics_endpoint_;
};

}  // namespace flumen::broker
