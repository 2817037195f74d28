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
//  - do_rollback_take(taken): return them to the head of the channel, in order;
//  - do_commit_put_async(staged, markers, wait, done): do_commit_put without holding the caller
//    for the write (commit_async of a transaction that only puts); calls `done` exactly once.
//    The default commits here, synchronously. A channel that writes later must fail, unwritten,
//    a commit that its chain refuses (chain()->refuses(ticket())) at its write, unwritten
//    (broken_chain_error).
// A derived transaction's destructor must call rollback(): the base's destructor cannot reach
// the derived do_* methods.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/pipeline/channel.h"
#include "agent/pipeline/commit_chain.h"

namespace flumen::pipeline {

// The error of a commit refused because an earlier one of its chain failed (CommitChain).
Status broken_chain_error(const Channel& channel);

class BasicTransaction : public Transaction {
 public:
  using Markers = std::vector<std::pair<std::string, std::string>>;

  BasicTransaction(const Channel& channel, metrics::ChannelCounters& counters)
      : channel_(channel), counters_(counters) {}

  Status put(const EventBatch& events) final;
  Status take(size_t max, EventBatch& out) final;
  Status commit() final;
  // A transaction that only puts commits through do_commit_put_async; one that takes commits
  // synchronously (as commit()) and calls `done` before returning.
  void commit_async(std::function<void(Status)> done) final;
  void rollback() final;
  void set_marker(std::string_view key, std::string_view value) final;
  // The chain this transaction's commit_async belongs to (none: it stands alone).
  void set_commit_chain(std::shared_ptr<CommitChain> chain) { chain_ = std::move(chain); }

 protected:
  virtual Status do_take(size_t max, EventBatch& taken) = 0;
  virtual Status do_commit_put(EventBatch& staged, const Markers& markers, bool wait_for_space) = 0;
  virtual Status do_commit_take(EventBatch& taken, const Markers& markers) = 0;
  virtual void do_rollback_take(EventBatch& taken) = 0;
  virtual void do_commit_put_async(EventBatch& staged, const Markers& markers, bool wait_for_space,
                                   std::function<void(Status)> done) {
    done(do_commit_put(staged, markers, wait_for_space));
  }
  // Channels that keep no markers (not durable) say so: set_marker() is then ignored.
  virtual bool keeps_markers() const { return channel_.keeps_markers(); }

  const EventBatch& taken() const { return taken_; }
  const std::shared_ptr<CommitChain>& chain() const { return chain_; }
  uint64_t ticket() const { return ticket_; }  // in chain(), once commit_async was called

 private:
  const Channel& channel_;
  metrics::ChannelCounters& counters_;
  EventBatch staged_;
  Markers markers_;
  EventBatch taken_;
  std::shared_ptr<CommitChain> chain_;
  uint64_t ticket_ = 0;
};

}  // namespace flumen::pipeline
