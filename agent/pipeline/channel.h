#pragma once
// Channel and Transaction: Flume's contract.
//  - A put becomes visible to takers only when its transaction commits.
//  - A take removes events only when its transaction commits; a rollback returns them to the
//    head of the channel in their original order.
//  - A full channel fails the put's commit with ErrorCode::kChannelFull (backpressure: the source
//    keeps its batch and retries later). Nothing is dropped silently.
//  - One transaction holds at most transactionCapacity events (kRejected if more).
//
// Threads: any number of threads may open transactions concurrently; one Transaction object is
// used by one thread. Destroying an open transaction rolls it back (RAII), so an early return or
// exception on the caller's side can never lose or leak events.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/event/event_batch.h"
#include "agent/metrics/component_metrics.h"
#include "agent/pipeline/notifier.h"
#include "agent/util/result.h"

namespace flumen::pipeline {

class Transaction {
 public:
  virtual ~Transaction() = default;
  // Stages events (copied) for the put; visible to takers after commit().
  virtual Status put(const EventBatch& events) = 0;
  // Appends up to `max` events from the head of the channel to `out`; may return fewer (or none
  // when the channel is empty). They are removed from the channel only on commit().
  virtual Status take(size_t max, EventBatch& out) = 0;
  virtual Status commit() = 0;
  // Commits without holding the caller for the channel's sync: `done` is called exactly once
  // with the commit's outcome, when the commit is durable (a durable channel) or done. A channel
  // that syncs on a thread of its own (group commit: the commits in flight share one sync)
  // returns at once and calls `done` from that thread; the default commits here and calls
  // `done` before returning. The caller keeps the transaction alive, and calls nothing else on
  // it, until `done` ran. Lets a source read its next batch, and a sink take its next one,
  // while the previous commit syncs.
  virtual void commit_async(std::function<void(Status)> done) { done(commit()); }
  // The events this transaction took are delivered and wait only for their sink's sync (a sync
  // window, Sink::groups_syncs): a bounded channel may count their room as free from now on,
  // so that its source keeps putting while the sink gathers the next batches of the window (a
  // memory channel of capacity 100 could hold no second batch otherwise). A rollback after it
  // still returns them, past the capacity if need be: at most a window's worth.
  virtual void hold_for_sync() {}
  // Undoes puts (discarded) and takes (returned to the head in order). Idempotent.
  virtual void rollback() = 0;
  // A durable channel stores `value` under `key` in the same atomic write as this transaction's
  // puts, so that a source can remember what it committed across restarts (the forward source
  // keeps each sender's last sequence number this way). A transaction that only takes stores it
  // with its take commit instead: a sink remembers how far its output got (a file's committed
  // length, a forward sink's batch numbers) in the write that removes the events. An empty
  // value removes the marker. Channels that lose their events on a restart ignore it: nothing
  // to remember then.
  virtual void set_marker(std::string_view /*key*/, std::string_view /*value*/) {}
  // Off: a put into a full channel fails the commit at once (kChannelFull) instead of waiting
  // up to the channel's keep-alive for room; for sources on an event loop, which must not block.
  void set_wait_for_space(bool wait) { wait_for_space_ = wait; }

 protected:
  bool wait_for_space_ = true;
};

// Rolls back on destruction unless committed: the RAII guard every caller uses.
class TransactionGuard {
 public:
  explicit TransactionGuard(std::unique_ptr<Transaction> txn) : txn_(std::move(txn)) {}
  ~TransactionGuard() {
    if (txn_ && !done_) txn_->rollback();
  }
  TransactionGuard(const TransactionGuard&) = delete;
  TransactionGuard& operator=(const TransactionGuard&) = delete;

  Transaction* operator->() { return txn_.get(); }
  Status commit() {
    Status s = txn_->commit();
    if (s.is_ok()) done_ = true;
    return s;
  }
  void rollback() {
    txn_->rollback();
    done_ = true;
  }

 private:
  std::unique_ptr<Transaction> txn_;
  bool done_ = false;
};

// Told when a take commits and room frees up in a channel. Called on the committing thread
// with the channel's listener lock held: do something short and thread-safe (a uv_async_send).
class SpaceListener {
 public:
  virtual ~SpaceListener() = default;
  virtual void on_space() = 0;
};

class Channel {
 public:
  explicit Channel(std::string name) : name_(std::move(name)) {}
  virtual ~Channel() = default;
  const std::string& name() const { return name_; }

  // Lifecycle: start() before any transaction; stop() after every runner using it stopped.
  virtual Status start() { return Status::ok(); }
  virtual void stop() {}

  virtual std::unique_ptr<Transaction> begin() = 0;

  virtual size_t size() const = 0;      // events committed and not taken
  virtual size_t capacity() const = 0;  // the configured capacity
  virtual size_t transaction_capacity() const = 0;
  // Whether committed events survive a process restart (file channel yes, memory no).
  virtual bool durable() const = 0;
  // Whether the channel stores markers (set_marker, save_marker): a durable channel does unless
  // configured not to (the file channel's exactlyOnce = false), and then every source and sink
  // on it is at least once across a kill.
  virtual bool keeps_markers() const { return durable(); }
  // A reload changed the channel's keys but not its type: applies `options` (the plugin's parsed
  // options struct, the same type make_channel() got) in place, keeping every event, and
  // returns true; false if this channel cannot change in place (the agent then builds a new
  // one and moves the events over). Called while no source or sink uses the channel.
  virtual bool reconfigure(const void* /*options*/) { return false; }
  // The markers committed transactions stored whose key starts with `prefix` (durable channels).
  virtual std::map<std::string, std::string> markers(std::string_view /*prefix*/) const {
    return {};
  }
  // Stores one marker by itself, outside any transaction (an empty value removes it), as durably
  // as the channel's take commits: with the operating system when it returns (a kill -9 keeps
  // it), not necessarily synced (a power cut may lose it). What a sink
  // records before it writes or sends a batch (where a new file begins, the numbers a batch
  // goes out with), so that a restart after a kill -9 knows what may have left. Channels that
  // keep no markers answer ok and keep nothing. Any thread.
  virtual Status save_marker(std::string_view /*key*/, std::string_view /*value*/) {
    return Status::ok();
  }

  // The channel's tap (metrics/tap.h), offered what sources commit into it; set by the agent.
  void set_tap(metrics::Tap* tap) { tap_ = tap; }
  metrics::Tap* tap() const { return tap_; }

  // Readers register to be woken when a put commits (or a take rolls back).
  void add_waiter(Notifier* n);
  void remove_waiter(Notifier* n);
  // Writers that wait for room (a source holding a batch the channel refused as full) register
  // to be told when a take commits, instead of polling with a timer.
  void add_space_listener(SpaceListener* l);
  void remove_space_listener(SpaceListener* l);

 protected:
  void notify_waiters();
  void notify_space();

 private:
  std::string name_;
  metrics::Tap* tap_ = nullptr;
  std::mutex waiters_mu_;
  std::vector<Notifier*> waiters_;
  std::mutex space_mu_;
  std::vector<SpaceListener*> space_listeners_;
};

}  // namespace flumen::pipeline
