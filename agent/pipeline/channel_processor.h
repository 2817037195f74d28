#pragma once
// ChannelProcessor: what a source calls with each batch. Runs the interceptor chain on a working
// copy (so a retried batch is intercepted afresh, never twice), routes with the selector, then
// puts into each target channel in its own transaction: required channels first, then optional.
//
// Atomicity across channels is not possible with separate transactions; delivery is
// at-least-once: if a required channel fails after another committed, the source retries the
// whole batch and the first channel sees those events twice. Optional channel failures are
// counted (OptionalChannelWriteFail) and do not fail the put.
//
// Thread: the owning source's thread only (the completions of process_batch_async excepted).

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/pipeline/channel_selector.h"
#include "agent/pipeline/commit_chain.h"
#include "agent/pipeline/interceptor.h"
#include "agent/util/log_throttle.h"

namespace flumen::pipeline {

class ChannelProcessor {
 public:
  ChannelProcessor(std::unique_ptr<ChannelSelector> selector,
                   std::vector<std::unique_ptr<Interceptor>> interceptors);

  void set_counters(metrics::SourceCounters* counters) { counters_ = counters; }
  void set_optional_failure_counter(metrics::Counter* c) { optional_failures_ = c; }
  // The source's tap (metrics/tap.h): offered each batch once its required channels committed.
  void set_tap(metrics::Tap* tap) { tap_ = tap; }
  // Off: a full channel fails the put at once instead of waiting its keep-alive for room (see
  // Transaction::set_wait_for_space); for sources serving connections on an event loop.
  void set_wait_for_space(bool wait) { wait_for_space_ = wait; }

  // Ok: every required channel committed its share; the caller may reuse the batch.
  // Error (kChannelFull, kUnavailable, ...): keep the batch and retry it later.
  // `marker` (optional) is stored with the puts of every channel the batch goes to (see
  // Transaction::set_marker).
  struct Marker {
    std::string_view key;
    std::string_view value;
  };
  Status process_batch(const EventBatch& batch, const Marker* marker = nullptr);
  // The same with several markers (a kafka source's offsets of several partitions).
  Status process_batch(const EventBatch& batch, std::span<const Marker> markers);

  // process_batch without holding the caller for the channels' syncs: each target's put
  // commits with Transaction::commit_async, and `done` is called exactly once with what
  // process_batch would have returned, once every target answered: on this thread before
  // returning when the channels commit synchronously (memory), else on a channel's committer
  // thread. The batch and the markers may be reused at once (the transactions copy them). One
  // channel completes its commits in the order they were made; across several channels two
  // batches may complete out of order, so a caller with several in flight matches each
  // completion to its batch. With `chain`, a batch after a failed one of the chain fails too,
  // unwritten (CommitChain). The processor must outlive the commits in flight.
  void process_batch_async(const EventBatch& batch, std::span<const Marker> markers,
                           const std::shared_ptr<CommitChain>& chain,
                           std::function<void(Status)> done);

  const ChannelSelector& selector() const { return *selector_; }

 private:
  struct AsyncBatch;
  Status put_into(const RouteTarget& target, const EventBatch& batch,
                  std::span<const Marker> markers);
  // The events of `target` (all, or its subset, in subset_).
  const EventBatch& events_of(const RouteTarget& target, const EventBatch& batch);
  const EventBatch& intercepted(const EventBatch& input);
  // A required channel refused the batch: counted, and said now and then.
  void note_refusal(const Channel& channel, const Status& s);
  void finish_async(AsyncBatch* b);
  // Before a batch (routed into targets_) commits anywhere, its markers go to every channel
  // that keeps markers and gets none of its events (a multiplexing route, an empty subset), so
  // that no channel is left with an older marker. Sources resume from the smallest marker over
  // their channels: an old one there would read again, or let a sender's batch in again, what
  // the other channels already have. Before, not after: a kill -9 between the commit and a
  // marker written after it left exactly that; one written before a commit that then fails or
  // never happens is harmless, as that channel gets none of the batch, and the channels it is
  // routed to keep their older marker, the smallest.
  void record_markers_elsewhere(std::span<const Marker> markers, const EventBatch& batch);

  std::unique_ptr<ChannelSelector> selector_;
  std::vector<std::unique_ptr<Interceptor>> interceptors_;
  metrics::SourceCounters* counters_ = nullptr;
  metrics::Counter* optional_failures_ = nullptr;
  metrics::Tap* tap_ = nullptr;
  bool wait_for_space_ = true;
  // A full channel is backpressure, normal in bursts: said now and then, with the key to change
  // when the capacity is one of the small defaults.
  static constexpr size_t kSmallCapacity = 1000;
  util::LogThrottle full_log_{std::chrono::minutes(5)};
  std::mutex full_log_mu_;            // asynchronous commits complete on the channels' threads
  EventBatch work_;                   // intercepted copy, reused between calls
  EventBatch subset_;                 // events of one multiplexed target, reused
  std::vector<RouteTarget> targets_;  // reused
};

}  // namespace flumen::pipeline
