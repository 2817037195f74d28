#pragma once
// Sink: delivers one batch at a time to its destination. The sink does not touch transactions:
// its SinkRunner takes a batch from the channel, calls deliver(), and commits or rolls back on
// the answer. One thread (the runner's) calls deliver() and tick(); start()/stop() are called by
// the agent while the runner is not running.

#include <chrono>
#include <memory>
#include <string>

#include "agent/event/event_batch.h"
#include "agent/metrics/component_metrics.h"
#include "agent/util/result.h"

namespace flumen::pipeline {

enum class Delivery {
  kDelivered,  // the batch is safely at the destination: commit
  kRetry,      // transient failure (peer down, disk full): roll back and retry after a backoff
  kRejected,   // permanent: the events can never be delivered; they are counted and dropped
};

struct DeliveryResult {
  Delivery outcome = Delivery::kDelivered;
  std::string message;  // why, for logs (retry/rejected)
  static DeliveryResult delivered() { return {}; }
  static DeliveryResult retry(std::string why) { return {Delivery::kRetry, std::move(why)}; }
  static DeliveryResult rejected(std::string why) { return {Delivery::kRejected, std::move(why)}; }
};

class Sink {
 public:
  explicit Sink(std::string name) : name_(std::move(name)) {}
  virtual ~Sink() = default;
  const std::string& name() const { return name_; }

  void attach_metrics(std::shared_ptr<metrics::ComponentMetrics> m);
  metrics::SinkCounters& counters() { return *counters_; }
  metrics::ComponentMetrics& metrics() { return *metrics_; }

  // How many events the runner takes per transaction.
  virtual size_t batch_size() const = 0;

  virtual Status start() { return Status::ok(); }
  virtual void stop() {}
  virtual DeliveryResult deliver(const EventBatch& batch) = 0;
  // Called by the runner about once a second when idle and after deliveries: time-based work
  // such as rolling files.
  virtual void tick(std::chrono::steady_clock::time_point /*now*/) {}

 private:
  std::string name_;
  std::shared_ptr<metrics::ComponentMetrics> metrics_;
  std::unique_ptr<metrics::SinkCounters> counters_;
};

}  // namespace flumen::pipeline
