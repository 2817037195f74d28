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
// Thread: the owning source's thread only.

#include <memory>
#include <span>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/pipeline/channel_selector.h"
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

  const ChannelSelector& selector() const { return *selector_; }

 private:
  Status put_into(const RouteTarget& target, const EventBatch& batch,
                  std::span<const Marker> markers);

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
  EventBatch work_;                   // intercepted copy, reused between calls
  EventBatch subset_;                 // events of one multiplexed target, reused
  std::vector<RouteTarget> targets_;  // reused
};

}  // namespace flumen::pipeline
