#include "agent/pipeline/sink_processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <numeric>
#include <utility>

namespace flumen::pipeline {

namespace {

// Puts the batch's rejected events (all of them, or the listed ones) into the slot's
// dead-letter channel, each with the reason and the sink's name as headers. False if they could
// not all be put (that channel full or failing): the caller then rolls the take back, so a
// rejected event is never lost, only tried again.
bool dead_letter(SinkSlot& slot, const EventBatch& batch, const std::vector<uint32_t>& which,
                 const std::string& reason) {
  EventBatch& out = slot.rejects;
  out.clear();
  auto add = [&](size_t i) {
    const size_t k = out.size();
    out.append_event(batch, i);
    out.set_header(k, kDeadLetterReasonHeader, reason);
    out.set_header(k, kDeadLetterSinkHeader, slot.sink->name());
  };
  if (which.empty()) {
    for (size_t i = 0; i < batch.size(); ++i)
      add(i);
  } else {
    for (uint32_t i : which)
      if (i < batch.size()) add(i);
  }
  // One transaction per transactionCapacity of the dead-letter channel.
  const size_t step = std::max<size_t>(1, slot.dead_letter->transaction_capacity());
  EventBatch part;
  for (size_t begin = 0; begin < out.size(); begin += step) {
    part.clear();
    part.append_range(out, begin, std::min(out.size(), begin + step));
    TransactionGuard txn(slot.dead_letter->begin());
    if (Status s = txn->put(part); !s) {
      slot.reject_log.error("sink {}: dead-letter channel {} refused {} events: {}",
                            slot.sink->name(), slot.dead_letter->name(), part.size(), s.message());
      return false;
    }
    if (Status s = txn.commit(); !s) {
      slot.reject_log.error("sink {}: dead-letter channel {} refused {} events: {}",
                            slot.sink->name(), slot.dead_letter->name(), part.size(), s.message());
      return false;
    }
  }
  return true;
}

// The member that holds the newest record of a take it sent before its agent was killed
// (Sink::resumes_take_recorded_at), or n when none does: it gets the next take first.
template <typename Entries>
size_t resuming_member(const Entries& entries) {
  size_t best = entries.size();
  int64_t newest = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const int64_t at = entries[i].slot->sink->resumes_take_recorded_at();
    if (at > newest) {
      newest = at;
      best = i;
    }
  }
  return best;
}

}  // namespace

namespace {

enum class TakeStep { kDelivered, kEmpty, kFailed };

// What a delivered take's result asks before its commit: its rejected events to the dead-letter
// channel, its markers onto the transaction. False when the dead-letter channel could not take
// them: the take must not commit (a rejected event is never lost, only tried again).
bool prepare_commit(SinkSlot& slot, PendingTake& p) {
  const auto n = static_cast<int64_t>(p.batch.size());
  const bool whole = p.result.outcome == Delivery::kRejected;
  const auto bad = whole ? n : static_cast<int64_t>(p.result.rejected_events.size());
  if (bad > 0 && slot.dead_letter &&
      !dead_letter(slot, p.batch, whole ? std::vector<uint32_t>{} : p.result.rejected_events,
                   p.result.message))
    return false;
  for (const auto& [key, value] : p.result.markers)
    p.txn->set_marker(key, value);
  return true;
}

// Takes a batch into `p` and delivers it: kDelivered when it waits for its commit (delivered,
// or rejected whole). Outside a sync window its commit is prepared here (prepare_commit); in
// one, after the window's sync.
TakeStep take_and_deliver(SinkSlot& slot, PendingTake& p, bool grouped) {
  Sink& sink = *slot.sink;
  metrics::SinkCounters& c = sink.counters();
  const size_t want = sink.batch_size();
  p.held_by_sink = false;
  p.txn = slot.channel->begin();
  p.batch.clear();
  if (Status s = p.txn->take(want, p.batch); !s) {
    p.txn->rollback();
    c.channel_read_fail->inc();
    slot.failure_log.error("sink {}: take from channel {} failed: {}", sink.name(),
                           slot.channel->name(), s.message());
    return TakeStep::kFailed;
  }
  if (p.batch.empty()) {
    c.batch_empty->inc();
    (void)p.txn->commit();
    return TakeStep::kEmpty;
  }
  const auto n = static_cast<int64_t>(p.batch.size());
  (p.batch.size() < want ? c.batch_underflow : c.batch_complete)->inc();
  c.event_drain_attempt->inc(n);
  p.result = sink.deliver(p.batch);
  if (p.result.outcome == Delivery::kRetry) {
    p.txn->rollback();
    c.event_write_fail->inc(n);
    slot.failure_log.warn("sink {}: delivery failed, will retry: {}", sink.name(),
                          p.result.message);
    return TakeStep::kFailed;
  }
  // Delivered (perhaps with some events rejected) or rejected whole.
  p.held_by_sink = p.result.outcome != Delivery::kRejected;
  if (!grouped && !prepare_commit(slot, p)) {
    if (p.held_by_sink) sink.delivery_not_committed();
    p.txn->rollback();
    return TakeStep::kFailed;
  }
  return TakeStep::kDelivered;
}

// The sink is told that the delivered takes [from, count) of `w` will not commit, the newest
// first, and they are rolled back.
void give_back(SinkSlot& slot, std::vector<PendingTake>& w, size_t from, size_t count) {
  for (size_t i = count; i-- > from;) {
    PendingTake& p = w[i];
    if (p.held_by_sink) slot.sink->delivery_not_committed();
    p.txn->rollback();
  }
}

// Counts and logs a committed take.
void committed(SinkSlot& slot, PendingTake& p) {
  Sink& sink = *slot.sink;
  metrics::SinkCounters& c = sink.counters();
  const auto n = static_cast<int64_t>(p.batch.size());
  const bool whole = p.result.outcome == Delivery::kRejected;
  const auto bad = whole ? n : static_cast<int64_t>(p.result.rejected_events.size());
  if (bad > 0) {
    c.event_rejected->inc(bad);
    if (slot.dead_letter) {
      sink.metrics().counter("EventDeadLetteredCount").inc(bad);
      slot.reject_log.error(
          "sink {}: {} of {} events can never be delivered; sent to "
          "dead-letter channel {}: {}",
          sink.name(), bad, n, slot.dead_letter->name(), p.result.message);
    } else {
      slot.reject_log.error(
          "sink {}: {} of {} events can never be delivered and are dropped "
          "(set deadLetterChannel to keep them): {}",
          sink.name(), bad, n, p.result.message);
    }
  }
  c.event_drain_success->inc(n - bad);
  if (!whole) sink.metrics().tap().offer(p.batch);
}

}  // namespace

namespace {

// Commits the first `count` delivered takes of `w`, in order; for a sink that groups its syncs,
// after its sync_delivered(). `newer` (may be null) holds `newer_count` takes delivered after
// them (a window whose sync was begun): when these cannot commit, those are given back first,
// so every event goes back to the channel in its order. False: failed, and everything not
// committed was given back.
bool commit_window(SinkSlot& slot, std::vector<PendingTake>& w, size_t count, bool grouped,
                   std::vector<PendingTake>* newer, size_t newer_count) {
  Sink& sink = *slot.sink;
  auto give_back_from = [&](size_t i) {
    if (newer != nullptr) give_back(slot, *newer, 0, newer_count);
    give_back(slot, w, i, count);
  };
  if (grouped) {
    if (Status s = sink.sync_delivered(); !s) {
      give_back_from(0);
      auto count_failed = [&](const std::vector<PendingTake>& takes, size_t n) {
        for (size_t i = 0; i < n; ++i)
          sink.counters().event_write_fail->inc(static_cast<int64_t>(takes[i].batch.size()));
      };
      count_failed(w, count);
      if (newer != nullptr) count_failed(*newer, newer_count);
      slot.failure_log.warn("sink {}: delivery failed, will retry: {}", sink.name(), s.message());
      return false;
    }
  }
  for (size_t i = 0; i < count; ++i) {
    PendingTake& p = w[i];
    if (grouped) {
      sink.delivery_synced(p.batch, p.result);
      if (!prepare_commit(slot, p)) {
        give_back_from(i);
        sink.deliveries_committed();  // the ones before i
        return false;
      }
    }
    if (Status s = p.txn->commit(); !s) {
      give_back_from(i);
      if (grouped) sink.deliveries_committed();  // the ones before i
      slot.failure_log.error("sink {}: commit of the take from channel {} failed: {}", sink.name(),
                             slot.channel->name(), s.message());
      return false;
    }
    committed(slot, p);
  }
  if (grouped) sink.deliveries_committed();
  for (size_t i = 0; i < count; ++i)
    w[i].txn.reset();
  return true;
}

void log_recovered(SinkSlot& slot) {
  if (const auto failed = slot.failure_log.clear(); failed > 0)
    spdlog::info("sink {}: delivering again after {} failed attempts", slot.sink->name(), failed);
}

}  // namespace

ProcessOutcome finish_open(SinkSlot& slot) {
  if (slot.open_count == 0) return ProcessOutcome::kBackoff;
  const size_t open = std::exchange(slot.open_count, 0);
  if (!commit_window(slot, slot.open, open, true, nullptr, 0)) return ProcessOutcome::kFailed;
  log_recovered(slot);
  return ProcessOutcome::kReady;
}

ProcessOutcome drain_once(SinkSlot& slot) {
  Sink& sink = *slot.sink;
  // A sink that syncs per batch delivers a window of batches, each in its own take, before one
  // sync; the window ends early when a take comes back short (the channel had no more).
  const bool grouped = sink.groups_syncs();
  const bool overlap = grouped && slot.overlap_syncs && sink.overlaps_syncs();
  const size_t sink_limit = overlap ? sink.overlap_window_limit() : sink.sync_window_limit();
  const size_t limit = grouped ? std::max<size_t>(1, std::min(kSyncWindow, sink_limit)) : 1;
  if (slot.window.size() < limit) slot.window.resize(limit);
  size_t count = 0;
  TakeStep last = TakeStep::kDelivered;
  Clock::time_point linger_until{};
  while (count < limit) {
    PendingTake& p = slot.window[count];
    // Asked before the take: a sink may take a different count next once this one is delivered
    // (the forward sink, after a take it sends again).
    const size_t want = sink.batch_size();
    last = take_and_deliver(slot, p, grouped);
    if (last == TakeStep::kEmpty && count > 0 && slot.wake != nullptr) {
      // Every take so far was full: the next batch is likely a moment away. Waited for on the
      // channel's size, so a wake-up without events costs no empty take (nor BatchEmptyCount).
      if (linger_until == Clock::time_point{}) linger_until = Clock::now() + slot.linger;
      bool more = slot.channel->size() > 0;
      for (auto now = Clock::now(); !more && now < linger_until; now = Clock::now()) {
        slot.wake->wait_for(std::chrono::ceil<std::chrono::milliseconds>(linger_until - now));
        more = slot.channel->size() > 0;
      }
      if (more) continue;
    }
    if (last != TakeStep::kDelivered) break;
    ++count;
    if (p.batch.size() < want) break;
    // An overlapped window stays open while the next one is taken: its room is freed too.
    if (count < limit || overlap) p.txn->hold_for_sync();
  }
  if (count == 0) {
    // Nothing more to take: the window left open commits now.
    if (slot.open_count > 0) return finish_open(slot);
    return last == TakeStep::kEmpty ? ProcessOutcome::kBackoff : ProcessOutcome::kFailed;
  }
  if (!overlap) {
    if (!commit_window(slot, slot.window, count, grouped, nullptr, 0))
      return ProcessOutcome::kFailed;
  } else {
    // This window's sync starts; the one left open, begun before it, commits; this one stays
    // open while the next is delivered (unless a take failed: then it commits now too).
    sink.begin_sync(count);
    if (slot.open_count > 0) {
      const size_t open = std::exchange(slot.open_count, 0);
      if (!commit_window(slot, slot.open, open, true, &slot.window, count))
        return ProcessOutcome::kFailed;
    }
    if (last == TakeStep::kFailed) {
      if (!commit_window(slot, slot.window, count, true, nullptr, 0))
        return ProcessOutcome::kFailed;
    } else {
      // The vectors' buffers swap: the sink's pointers to the open takes' batches stay valid.
      std::swap(slot.window, slot.open);
      slot.open_count = count;
    }
  }
  if (last == TakeStep::kFailed) return ProcessOutcome::kFailed;
  log_recovered(slot);
  return ProcessOutcome::kReady;
}

namespace {
std::chrono::milliseconds exp_penalty(int failures, std::chrono::milliseconds cap) {
  int shift = std::min(failures, 16);
  auto ms = std::chrono::milliseconds(1000LL << shift);
  return std::min(ms, cap);
}
}  // namespace

FailoverSinkProcessor::FailoverSinkProcessor(std::vector<Member> members,
                                             std::chrono::milliseconds max_penalty,
                                             const util::Clock& clock)
    : max_penalty_(max_penalty), clock_(&clock) {
  for (auto& m : members)
    entries_.push_back({std::move(m.slot), m.priority});
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.priority > b.priority; });
}

ProcessOutcome FailoverSinkProcessor::process() {
  const auto now = clock_->now();
  // By priority; a member resuming a take it sent before a kill goes first (the events at
  // the head are the ones its receiver may already hold).
  std::vector<Entry*> order;
  const size_t resuming = resuming_member(entries_);
  if (resuming < entries_.size()) order.push_back(&entries_[resuming]);
  for (size_t i = 0; i < entries_.size(); ++i)
    if (i != resuming) order.push_back(&entries_[i]);
  for (Entry* ep : order) {
    Entry& e = *ep;
    if (e.penalty_until > now) continue;
    ProcessOutcome out = drain_once(*e.slot);
    if (out == ProcessOutcome::kFailed) {
      std::lock_guard lock(state_mu_);
      e.failures++;
      const auto penalty = exp_penalty(e.failures - 1, max_penalty_);
      e.penalty_until = clock_->now() + penalty;
      e.slot->failure_log.warn("failover: sink {} failed ({} in a row), penalised for {} ms",
                               e.slot->sink->name(), e.failures, penalty.count());
      continue;  // the next sink gets the batch in this same call
    }
    std::lock_guard lock(state_mu_);
    if (out == ProcessOutcome::kReady) {
      if (e.failures > 0) spdlog::info("failover: sink {} is back", e.slot->sink->name());
      e.failures = 0;
    }
    active_ = e.slot->sink->name();
    return out;
  }
  return ProcessOutcome::kFailed;
}

std::optional<Clock::time_point> FailoverSinkProcessor::retry_at() const {
  std::lock_guard lock(state_mu_);
  std::optional<Clock::time_point> first;
  for (const Entry& e : entries_)
    if (!first || e.penalty_until < *first) first = e.penalty_until;
  return first;
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
  std::lock_guard lock(state_mu_);
  std::string out = "active=" + active_;
  const auto now = clock_->now();
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
                                                       std::chrono::milliseconds max_timeout,
                                                       const util::Clock& clock)
    : policy_(policy), backoff_(backoff), max_timeout_(max_timeout), clock_(&clock) {
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
  // A member resuming a take it sent before a kill goes first (see Sink::
  // resumes_take_recorded_at); the others keep their order.
  if (const size_t r = resuming_member(entries_); r < n)
    std::rotate(order.begin(), std::find(order.begin(), order.end(), r),
                std::find(order.begin(), order.end(), r) + 1);
  const auto now = clock_->now();
  // Empty only if every sink looked at its channel and found nothing: a sink skipped while it
  // backs off may have events waiting (a stop must not take that for drained).
  bool all_empty = true;
  for (size_t idx : order) {
    Entry& e = entries_[idx];
    if (backoff_ && e.blocked_until > now) {
      if (e.slot->channel->size() > 0) all_empty = false;
      continue;
    }
    ProcessOutcome out = drain_once(*e.slot);
    if (out == ProcessOutcome::kFailed) {
      std::lock_guard lock(state_mu_);
      // Flume forgets old failures after an hour of good behaviour.
      if (now - e.last_failure > std::chrono::hours(1)) e.failures = 0;
      e.failures++;
      e.last_failure = now;
      if (backoff_) e.blocked_until = clock_->now() + exp_penalty(e.failures - 1, max_timeout_);
      all_empty = false;
      continue;
    }
    if (out == ProcessOutcome::kReady) {
      std::lock_guard lock(state_mu_);
      if (e.failures > 0) spdlog::info("load_balance: sink {} is back", e.slot->sink->name());
      e.failures = 0;
      return ProcessOutcome::kReady;
    }
    // kBackoff: this sink's channel is empty; another sink may read another channel.
  }
  return all_empty ? ProcessOutcome::kBackoff : ProcessOutcome::kFailed;
}

std::optional<Clock::time_point> LoadBalancingSinkProcessor::retry_at() const {
  if (!backoff_) return std::nullopt;  // no penalties: the runner's back-off paces the retries
  std::lock_guard lock(state_mu_);
  std::optional<Clock::time_point> first;
  for (const Entry& e : entries_)
    if (!first || e.blocked_until < *first) first = e.blocked_until;
  return first;
}

std::vector<SinkSlot*> LoadBalancingSinkProcessor::slots() {
  std::vector<SinkSlot*> out;
  for (auto& e : entries_)
    out.push_back(e.slot.get());
  return out;
}

std::string LoadBalancingSinkProcessor::state() const {
  std::lock_guard lock(state_mu_);
  std::string out = policy_ == Policy::kRoundRobin ? "round_robin" : "random";
  const auto now = clock_->now();
  for (const auto& e : entries_)
    if (e.blocked_until > now)
      out += " backoff:" + e.slot->sink->name() + "=" +
             std::to_string(
                 std::chrono::duration_cast<std::chrono::milliseconds>(e.blocked_until - now)
                     .count()) +
             "ms";
  return out;
}

}  // namespace flumen::pipeline
