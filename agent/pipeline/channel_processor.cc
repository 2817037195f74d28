#include "agent/pipeline/channel_processor.h"

#include <spdlog/spdlog.h>

namespace flumen::pipeline {

ChannelProcessor::ChannelProcessor(std::unique_ptr<ChannelSelector> selector,
                                   std::vector<std::unique_ptr<Interceptor>> interceptors)
    : selector_(std::move(selector)), interceptors_(std::move(interceptors)) {}

Status ChannelProcessor::put_into(const RouteTarget& target, const EventBatch& batch,
                                  std::span<const Marker> markers) {
  const EventBatch* events = &batch;
  if (!target.all_events) {
    subset_.clear();
    for (uint32_t i : target.events)
      subset_.append_event(batch, i);
    events = &subset_;
  }
  if (events->empty()) return Status::ok();
  TransactionGuard txn(target.channel->begin());
  txn->set_wait_for_space(wait_for_space_);
  if (Status s = txn->put(*events); !s) return s;
  for (const Marker& m : markers)
    txn->set_marker(m.key, m.value);
  Status s = txn.commit();
  if (s && target.channel->tap()) target.channel->tap()->offer(*events);
  return s;
}

Status ChannelProcessor::process_batch(const EventBatch& input, const Marker* marker) {
  return process_batch(input,
                       marker ? std::span<const Marker>(marker, 1) : std::span<const Marker>());
}

Status ChannelProcessor::process_batch(const EventBatch& input, std::span<const Marker> markers) {
  if (counters_) {
    counters_->event_received->inc(static_cast<int64_t>(input.size()));
    counters_->append_batch_received->inc();
  }
  const EventBatch* batch = &input;
  if (!interceptors_.empty()) {
    work_.clear();
    work_.append_all(input);
    for (auto& i : interceptors_)
      i->intercept(work_);
    batch = &work_;
  }
  selector_->route(*batch, targets_);
  for (const RouteTarget& t : targets_) {
    Status s = put_into(t, *batch, markers);
    if (s.is_ok()) continue;
    if (t.optional) {
      if (optional_failures_) optional_failures_->inc();
      spdlog::debug("optional channel {} rejected a put: {}", t.channel->name(), s.message());
      continue;
    }
    if (counters_) counters_->channel_write_fail->inc();
    if (s.code() == ErrorCode::kChannelFull)
      full_log_.warn(
          "channel {} is full ({} events): the source waits (backpressure){}", t.channel->name(),
          t.channel->capacity(),
          t.channel->capacity() <= kSmallCapacity
              ? "; its capacity is small (Flume's default is 100): raise the channel's capacity "
                "and transactionCapacity if its sinks keep up in bursts"
              : "; its sinks are not keeping up or are failing");
    return s;
  }
  if (counters_) {
    // Accepted counts what the source handed over (dropped-by-interceptor events included),
    // matching Flume, where acceptance is of the source's batch.
    counters_->event_accepted->inc(static_cast<int64_t>(input.size()));
    counters_->append_batch_accepted->inc();
  }
  if (tap_) tap_->offer(*batch);
  return Status::ok();
}

}  // namespace flumen::pipeline
