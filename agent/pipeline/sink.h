#pragma once
// Sink: delivers one batch at a time to its destination. The sink does not touch transactions:
// its SinkRunner takes a batch from the channel, calls deliver(), and commits or rolls back on
// the answer. One thread (the runner's) calls deliver() and tick(); start()/stop() are called by
// the agent while the runner is not running.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  // With kDelivered: the indexes (into the batch) of events the sink could never deliver (a
  // poison event among good ones: a path that cannot be opened, a record too large). The rest
  // were delivered; these are counted as rejected and go to the dead-letter channel if the sink
  // has one, with `message` as the reason.
  std::vector<uint32_t> rejected_events;
  // Stored with the take commit in a durable channel (Transaction::set_marker): the sink's
  // record of how far its output got, atomic with the removal of the events it wrote.
  std::vector<std::pair<std::string, std::string>> markers;
  DeliveryResult&& with_marker(std::string key, std::string value) && {
    markers.emplace_back(std::move(key), std::move(value));
    return std::move(*this);
  }
  static DeliveryResult delivered() { return {}; }
  static DeliveryResult retry(std::string why) {
    return {Delivery::kRetry, std::move(why), {}, {}};
  }
  static DeliveryResult rejected(std::string why) {
    return {Delivery::kRejected, std::move(why), {}, {}};
  }
  static DeliveryResult partly_rejected(std::vector<uint32_t> events, std::string why) {
    return {Delivery::kDelivered, std::move(why), std::move(events), {}};
  }
};

class Channel;

class Sink {
 public:
  explicit Sink(std::string name) : name_(std::move(name)) {}
  virtual ~Sink() = default;
  const std::string& name() const { return name_; }

  // The channel this sink takes from and the key it keeps its own markers under there (its
  // name; "<name>#<n>" for the n-th worker of a sink with workers), set by its runner before
  // start(). A sink that records its output with its takes (DeliveryResult::markers,
  // Channel::save_marker) reads back in start() what its last run recorded. Null channel: a
  // sink driven without a runner (tests).
  void bind_channel(Channel* channel, std::string state_key) {
    channel_ = channel;
    state_key_ = std::move(state_key);
  }
  Channel* channel() const { return channel_; }
  const std::string& state_key() const { return state_key_.empty() ? name_ : state_key_; }

  void attach_metrics(std::shared_ptr<metrics::ComponentMetrics> m);
  metrics::SinkCounters& counters() { return *counters_; }
  metrics::ComponentMetrics& metrics() { return *metrics_; }

  // How many events the runner takes per transaction.
  virtual size_t batch_size() const = 0;

  virtual Status start() { return Status::ok(); }
  virtual void stop() {}
  virtual DeliveryResult deliver(const EventBatch& batch) = 0;
  // The batch deliver() just reported delivered could not be committed (the channel's take
  // commit failed: a full disk under a file channel) and will be delivered again. A sink that
  // can take back what it wrote (a local file cut back to its length before the batch) does so
  // here, so that the retry does not leave the batch in its output twice. In a sync window
  // (groups_syncs) it is called once for each batch not committed, the newest first.
  virtual void delivery_not_committed() {}
  // A sink that makes each batch durable before its take commits (an fdatasync per batch:
  // file_roll's sink.fsync) can let consecutive batches share that sync. When this is true its
  // processor delivers up to kSyncWindow batches, each in a take of its own, leaving their data
  // unsynced; then calls sync_delivered() once, commits the takes in order and calls
  // deliveries_committed(). A take still commits only after its data is on disk.
  virtual bool groups_syncs() const { return false; }
  // At most how many takes a window of this sink holds (the processor's kSyncWindow bounds it
  // too): a sink whose window's events are in doubt when it fails (a forward sink's, which a
  // failover sends to another receiver again) keeps it small for large takes.
  virtual size_t sync_window_limit() const { return SIZE_MAX; }
  // The same for a sink alone in its processor, whose windows overlap (overlaps_syncs): no
  // failover sends its window to another destination, so only memory bounds it.
  virtual size_t overlap_window_limit() const { return sync_window_limit(); }
  // Makes every batch delivered since the last deliveries_committed() durable. An error: none
  // of them commits (each gets delivery_not_committed()) and they are delivered again.
  // With overlapping windows (below): only the takes of the oldest window begun.
  virtual Status sync_delivered() { return Status::ok(); }
  // Every batch delivered since the last call is committed: nothing of it is taken back now.
  // With overlapping windows: the oldest window begun (what is left of it after give-backs).
  virtual void deliveries_committed() {}
  // A sink that groups its syncs may also let them overlap the next window: when this is true
  // and the sink is alone in its processor, the processor calls begin_sync() once a window is
  // delivered, delivers the next window while that sync runs (a file's fdatasync on a thread
  // of the sink, a forward receiver's answers on their way), then calls sync_delivered() and
  // commits the older window. At most two windows are open at a time; a take still commits
  // only after its data is durable. A window given back goes newest take first, the newer
  // window before the older (delivery_not_committed shrinks the newest window begun).
  virtual bool overlaps_syncs() const { return false; }
  // The last `takes` takes delivered are a window whose sync may start now.
  virtual void begin_sync(size_t /*takes*/) {}
  // In a sync window, after sync_delivered() succeeded: called for each take in order, just
  // before it commits, with the result deliver() gave. A sink whose destination answers after
  // deliver() returned (the forward sink sends a window's batches, then waits for every answer
  // in sync_delivered) adds here what it learnt: events its receiver rejected, the markers to
  // store with this take's commit. The batch passed to deliver() stays valid, unchanged, until
  // its take commits or is given back (delivery_not_committed).
  virtual void delivery_synced(const EventBatch& /*batch*/, DeliveryResult& /*result*/) {}
  // Called from another thread (the one stopping the agent) when the drain deadline passed while
  // deliver() may still be running: deliver() should give up soon and answer kRetry (a kafka
  // sink purges what librdkafka holds, a forward sink stops waiting for acknowledgements), so a
  // stop is bounded by its deadline. Also asks stop() not to linger. Must be thread-safe.
  virtual void interrupt() {}
  // Called by the runner about once a second when idle and after deliveries: time-based work
  // such as rolling files.
  virtual void tick(std::chrono::steady_clock::time_point /*now*/) {}
  // Non-zero while the sink holds what it sent of a take before its agent was killed (the
  // events are back at the head of its channel): when that record was written, in ms since the
  // epoch. A sink group gives its next take to the member whose record is the newest, so the
  // same receiver sees those events again and recognises them instead of another receiver
  // getting them twice. Runner thread.
  virtual int64_t resumes_take_recorded_at() const { return 0; }

 private:
  std::string name_;
  Channel* channel_ = nullptr;
  std::string state_key_;
  std::shared_ptr<metrics::ComponentMetrics> metrics_;
  std::unique_ptr<metrics::SinkCounters> counters_;
};

}  // namespace flumen::pipeline
