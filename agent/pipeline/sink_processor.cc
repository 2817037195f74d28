#include "agent/pipeline/sink_processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <numeric>

namespace flumen::pipeline {

ProcessOutcome drain_once(SinkSlot& slot) {
  Sink& sink = *slot.sink;
  metrics::SinkCounters& c = sink.counters();
  const size_t want = sink.batch_size();
  TransactionGuard txn(slot.channel->begin());
  slot.batch.clear();
  if (Status s = txn->take(want, slot.batch); !s) {
    c.channel_read_fail->inc();
    spdlog::error("sink {}: take from channel {} failed: {}", sink.name(), slot.channel->name(),
                  s.message());
    return ProcessOutcome::kFailed;
  }
  if (slot.batch.empty()) {
    c.batch_empty->inc();
    (void)txn.commit();
    return ProcessOutcome::kBackoff;
  }
  const auto n = static_cast<int64_t>(slot.batch.size());
  (slot.batch.size() < want ? c.batch_underflow : c.batch_complete)->inc();
  c.event_drain_attempt->inc(n);
  DeliveryResult r = sink.deliver(slot.batch);
  switch (r.outcome) {
    case Delivery::kDelivered:
      if (Status s = txn.commit(); !s) {
        sink.delivery_not_committed();
        spdlog::error("sink {}: commit failed: {}", sink.name(), s.message());
        return ProcessOutcome::kFailed;
      }
      if (!r.rejected_events.empty()) {
        const auto bad = static_cast<int64_t>(r.rejected_events.size());
        c.event_rejected->inc(bad);
        spdlog::error("sink {}: rejected {} of {} events permanently (dropped): {}", sink.name(),
                      bad, n, r.message);
        c.event_drain_success->inc(n - bad);
        return ProcessOutcome::kReady;
      }
      c.event_drain_success->inc(n);
      return ProcessOutcome::kReady;
    case Delivery::kRetry:
      txn.rollback();
      c.event_write_fail->inc(n);
      spdlog::warn("sink {}: delivery failed, will retry: {}", sink.name(), r.message);
      return ProcessOutcome::kFailed;
    case Delivery::kRejected:
      // A poison batch must not block the channel: count it, say so, and move on.
      (void)txn.commit();
      c.event_rejected->inc(n);
      spdlog::error("sink {}: rejected {} events permanently (dropped): {}", sink.name(), n,
                    r.message);
      return ProcessOutcome::kReady;
  }
  return ProcessOutcome::kFailed;
}

namespace {
std::chrono::milliseconds exp_penalty(int failures, std::chrono::milliseconds cap) {
  int shift = std::min(failures, 16);
  auto ms = std::chrono::milliseconds(1000LL << shift);
  return std::min(ms, cap);
}
}  // namespace

FailoverSinkProcessor::FailoverSinkProcessor(std::vector<Member> members,
                                             std::chrono::milliseconds max_penalty)
    : max_penalty_(max_penalty) {
  for (auto& m : members)
    entries_.push_back({std::move(m.slot), m.priority});
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.priority > b.priority; });
}

ProcessOutcome FailoverSinkProcessor::process() {
  const auto now = Clock::now();
  bool any_tried = false;
  for (Entry& e : entries_) {
    if (e.penalty_until > now) continue;
    any_tried = true;
    ProcessOutcome out = drain_once(*e.slot);
    if (out == ProcessOutcome::kFailed) {
      e.failures++;
      e.penalty_until = Clock::now() + exp_penalty(e.failures - 1, max_penalty_);
      spdlog::warn("failover: sink {} failed ({} in a row), penalised until retry in {} ms",
                   e.slot->sink->name(), e.failures,
                   exp_penalty(e.failures - 1, max_penalty_).count());
      continue;  // the next sink gets the batch in this same call
    }
    if (out == ProcessOutcome::kReady) {
      if (e.failures > 0) spdlog::info("failover: sink {} is back", e.slot->sink->name());
      e.failures = 0;
    }
    {
      std::lock_guard lock(state_mu_);
      active_ = e.slot->sink->name();
    }
    return out;
  }
  (void)any_tried;
  return ProcessOutcome::kFailed;
}

std::vector<SinkSlot*> FailoverSinkProcessor::slots() {
  std::vector<SinkSlot*> out;
  for (auto& e : entries_)
    out.push_back(e.slot.get());
  return out;
}

std::string FailoverSinkProcessor::active_sink() const {
  std::lock_guard lock(state_mu_);
  return active_;
}

std::string FailoverSinkProcessor::state() const {
  std::string out = "active=" + active_sink();
  const auto now = Clock::now();
  for (const auto& e : entries_) {
    if (e.penalty_until > now)
      out += " penalised:" + e.slot->sink->name() + "=" +
             std::to_string(
                 std::chrono::duration_cast<std::chrono::milliseconds>(e.penalty_until - now)
                     .count()) +
             "ms";
  }
  return out;
}

LoadBalancingSinkProcessor::LoadBalancingSinkProcessor(std::vector<std::unique_ptr<SinkSlot>> slots,
                                                       Policy policy, bool backoff,
                                                       std::chrono::milliseconds max_timeout)
    : policy_(policy), backoff_(backoff), max_timeout_(max_timeout) {
  for (auto& s : slots)
    entries_.push_back({std::move(s)});
}

ProcessOutcome LoadBalancingSinkProcessor::process() {
  const size_t n = entries_.size();
  std::vector<size_t> order(n);
  if (policy_ == Policy::kRoundRobin) {
    for (size_t i = 0; i < n; ++i)
      order[i] = (next_ + i) % n;
    next_ = (next_ + 1) % n;
  } else {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng_);
  }
  const auto now = Clock::now();
  bool all_empty = true;
  for (size_t idx : order) {
    Entry& e = entries_[idx];
    if (backoff_ && e.blocked_until > now) continue;
    ProcessOutcome out = drain_once(*e.slot);
    if (out == ProcessOutcome::kFailed) {
      // Flume forgets old failures after an hour of good behaviour.
      if (now - e.last_failure > std::chrono::hours(1)) e.failures = 0;
      e.failures++;
      e.last_failure = now;
      if (backoff_) e.blocked_until = Clock::now() + exp_penalty(e.failures - 1, max_timeout_);
      all_empty = false;
      continue;
    }
    if (out == ProcessOutcome::kReady) {
      e.failures = 0;
      return ProcessOutcome::kReady;
    }
    // kBackoff: this sink's channel is empty; another sink may read another channel.
  }
  return all_empty ? ProcessOutcome::kBackoff : ProcessOutcome::kFailed;
}

std::vector<SinkSlot*> LoadBalancingSinkProcessor::slots() {
  std::vector<SinkSlot*> out;
  for (auto& e : entries_)
    out.push_back(e.slot.get());
  return out;
}

std::string LoadBalancingSinkProcessor::state() const {
  std::string out = policy_ == Policy::kRoundRobin ? "round_robin" : "random";
  const auto now = Clock::now();
  for (const auto& e : entries_)
    if (e.blocked_until > now) out += " backoff:" + e.slot->sink->name();
  return out;
}

}  // namespace flumen::pipeline
