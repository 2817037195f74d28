#include "agent/pipeline/channel_processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <optional>

#include "agent/pipeline/basic_transaction.h"

namespace flumen::pipeline {

ChannelProcessor::ChannelProcessor(std::unique_ptr<ChannelSelector> selector,
                                   std::vector<std::unique_ptr<Interceptor>> interceptors)
    : selector_(std::move(selector)), interceptors_(std::move(interceptors)) {}

const EventBatch& ChannelProcessor::events_of(const RouteTarget& target, const EventBatch& batch) {
  if (target.all_events) return batch;
  subset_.clear();
  for (uint32_t i : target.events)
    subset_.append_event(batch, i);
  return subset_;
}

const EventBatch& ChannelProcessor::intercepted(const EventBatch& input) {
  if (counters_) {
    counters_->event_received->inc(static_cast<int64_t>(input.size()));
    counters_->append_batch_received->inc();
  }
  if (interceptors_.empty()) return input;
  work_.clear();
  work_.append_all(input);
  for (auto& i : interceptors_)
    i->intercept(work_);
  return work_;
}

Status ChannelProcessor::put_into(const RouteTarget& target, const EventBatch& batch,
                                  std::span<const Marker> markers) {
  const EventBatch& events = events_of(target, batch);
  if (events.empty()) return Status::ok();
  TransactionGuard txn(target.channel->begin());
  txn->set_wait_for_space(wait_for_space_);
  if (Status s = txn->put(events); !s) return s;
  for (const Marker& m : markers)
    txn->set_marker(m.key, m.value);
  Status s = txn.commit();
  if (s && target.channel->tap()) target.channel->tap()->offer(events);
  return s;
}

void ChannelProcessor::note_refusal(const Channel& channel, const Status& s) {
  if (counters_) counters_->channel_write_fail->inc();
  if (s.code() != ErrorCode::kChannelFull) return;
  std::lock_guard lock(full_log_mu_);
  full_log_.warn(
      "channel {} is full ({} events): the source waits (backpressure){}", channel.name(),
      channel.capacity(),
      channel.capacity() <= kSmallCapacity
          ? "; its capacity is small (Flume's default is 100): raise the channel's capacity "
            "and transactionCapacity if its sinks keep up in bursts"
          : "; its sinks are not keeping up or are failing");
}

Status ChannelProcessor::process_batch(const EventBatch& input, const Marker* marker) {
  return process_batch(input,
                       marker ? std::span<const Marker>(marker, 1) : std::span<const Marker>());
}

Status ChannelProcessor::process_batch(const EventBatch& input, std::span<const Marker> markers) {
  const EventBatch* batch = &intercepted(input);
  selector_->route(*batch, targets_);
  record_markers_elsewhere(markers, *batch);
  for (const RouteTarget& t : targets_) {
    Status s = put_into(t, *batch, markers);
    if (s.is_ok()) continue;
    if (t.optional) {
      if (optional_failures_) optional_failures_->inc();
      spdlog::debug("optional channel {} rejected a put: {}", t.channel->name(), s.message());
      continue;
    }
    note_refusal(*t.channel, s);
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

// One batch of process_batch_async: its transactions until every target answered.
struct ChannelProcessor::AsyncBatch {
  struct Target {
    Channel* channel;
    bool optional;
    std::unique_ptr<Transaction> txn;
    Status result;
    std::optional<EventBatch> tapped;  // a copy, only while the channel's tap is attached
  };
  std::vector<Target> targets;
  std::optional<EventBatch> tapped;  // for the source's tap
  size_t input_size = 0;
  // Targets still to answer, plus one held while the commits are being started, so that the
  // batch cannot finish before all of them were.
  std::atomic<size_t> left{1};
  std::function<void(Status)> done;
};

void ChannelProcessor::process_batch_async(const EventBatch& input, std::span<const Marker> markers,
                                           const std::shared_ptr<CommitChain>& chain,
                                           std::function<void(Status)> done) {
  const EventBatch& batch = intercepted(input);
  selector_->route(batch, targets_);
  auto* b = new AsyncBatch;
  b->input_size = input.size();
  b->done = std::move(done);
  record_markers_elsewhere(markers, batch);
  if (tap_ && tap_->attached()) b->tapped.emplace().append_all(batch);
  b->targets.reserve(targets_.size());
  for (const RouteTarget& t : targets_)
    b->targets.push_back({t.channel, t.optional, nullptr, Status::ok(), std::nullopt});
  for (size_t i = 0; i < targets_.size(); ++i) {
    AsyncBatch::Target& target = b->targets[i];
    const EventBatch& events = events_of(targets_[i], batch);
    if (events.empty()) continue;
    target.txn = target.channel->begin();
    target.txn->set_wait_for_space(wait_for_space_);
    // Both channels' transactions are BasicTransactions; one that is not commits alone.
    if (auto* basic = dynamic_cast<BasicTransaction*>(target.txn.get()))
      basic->set_commit_chain(chain);
    if (Status s = target.txn->put(events); !s) {
      target.result = s;
      // Batches after this one must not commit where this one did not.
      if (chain && !target.optional) chain->fail(chain->join());
      continue;
    }
    for (const Marker& m : markers)
      target.txn->set_marker(m.key, m.value);
    if (metrics::Tap* tap = target.channel->tap(); tap && tap->attached())
      target.tapped.emplace().append_all(events);
    b->left.fetch_add(1);
    target.txn->commit_async([this, b, i](Status s) {
      b->targets[i].result = std::move(s);
      if (b->left.fetch_sub(1) == 1) finish_async(b);
    });
  }
  if (b->left.fetch_sub(1) == 1) finish_async(b);
}

void ChannelProcessor::finish_async(AsyncBatch* b) {
  Status result = Status::ok();
  for (AsyncBatch::Target& t : b->targets) {
    if (t.result.is_ok()) {
      if (t.tapped && t.channel->tap()) t.channel->tap()->offer(*t.tapped);
      continue;
    }
    if (t.optional) {
      if (optional_failures_) optional_failures_->inc();
      spdlog::debug("optional channel {} rejected a put: {}", t.channel->name(),
                    t.result.message());
    } else if (result.is_ok()) {
      note_refusal(*t.channel, t.result);
      result = t.result;
    }
  }
  if (result.is_ok()) {
    if (counters_) {
      counters_->event_accepted->inc(static_cast<int64_t>(b->input_size));
      counters_->append_batch_accepted->inc();
    }
    if (tap_ && b->tapped) tap_->offer(*b->tapped);
  }
  std::function<void(Status)> done = std::move(b->done);
  delete b;  // rolls back what did not commit
  done(std::move(result));
}

void ChannelProcessor::record_markers_elsewhere(std::span<const Marker> markers,
                                                const EventBatch& batch) {
  if (markers.empty()) return;
  auto gets_events = [&](const Channel* ch) {
    return std::any_of(targets_.begin(), targets_.end(), [&](const RouteTarget& t) {
      return t.channel == ch && (t.all_events ? !batch.empty() : !t.events.empty());
    });
  };
  for (Channel* ch : selector_->channels()) {
    if (!ch->keeps_markers() || gets_events(ch)) continue;
    for (const Marker& m : markers)
      if (Status s = ch->save_marker(m.key, m.value); !s)
        spdlog::debug("channel {}: could not record marker {}: {}", ch->name(), m.key, s.message());
  }
}

}  // namespace flumen::pipeline
