#pragma once
// BasicTransaction: the bookkeeping every channel's transaction shares (Flume's
// BasicTransactionSemantics). The public put/take/commit/rollback check the transactionCapacity,
// count Flume's attempts, and keep the staged puts, their markers and the taken events; the
// protected do_* methods are the channel's own work:
//  - do_take(max, taken): append up to `max` events from the channel's head to `taken`;
//  - do_commit_put(staged, markers, wait): make the puts visible (durably, with the markers, for
//    a durable channel); on failure the staged events stay and the caller may retry;
//  - do_commit_take(taken, markers): remove the taken events for good (durably, with the
//    markers of a transaction that put nothing, for a durable channel);
//  - do_rollback_take(taken): return them to the head of the channel, in order.
// A derived transaction's destructor must call rollback(): the base's destructor cannot reach
// the derived do_* methods.

#include <string>
#include <utility>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/pipeline/channel.h"

namespace flumen::pipeline {

class BasicTransaction : public Transaction {
 public:
  using Markers = std::vector<std::pair<std::string, std::string>>;

  BasicTransaction(const Channel& channel, metrics::ChannelCounters& counters)
      : channel_(channel), counters_(counters) {}

  Status put(const EventBatch& events) final;
  Status take(size_t max, EventBatch& out) final;
  Status commit() final;
  void rollback() final;
  void set_marker(std::string_view key, std::string_view value) final;

 protected:
  virtual Status do_take(size_t max, EventBatch& taken) = 0;
  virtual Status do_commit_put(EventBatch& staged, const Markers& markers, bool wait_for_space) = 0;
  virtual Status do_commit_take(EventBatch& taken, const Markers& markers) = 0;
  virtual void do_rollback_take(EventBatch& taken) = 0;
  // Channels that keep no markers (not durable) say so: set_marker() is then ignored.
  virtual bool keeps_markers() const { return channel_.keeps_markers(); }

  const EventBatch& taken() const { return taken_; }

 private:
  const Channel& channel_;
  metrics::ChannelCounters& counters_;
  EventBatch staged_;
  Markers markers_;
  EventBatch taken_;
};

}  // namespace flumen::pipeline
