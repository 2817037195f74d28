#include "plugins/channels/memory/memory_channel.h"

#include <chrono>

namespace flumen::plugins {

class MemoryChannel::Txn : public pipeline::Transaction {
 public:
  explicit Txn(MemoryChannel* ch) : ch_(ch) {}
  ~Txn() override { rollback(); }

  Status put(const EventBatch& events) override {
    if (staged_.size() + events.size() > ch_->transaction_capacity())
      return make_error(ErrorCode::kRejected, "put of " +
                                                  std::to_string(staged_.size() + events.size()) +
                                                  " events exceeds transactionCapacity " +
                                                  std::to_string(ch_->transaction_capacity()) +
                                                  " of channel " + ch_->name());
    ch_->counters_.event_put_attempt->inc(static_cast<int64_t>(events.size()));
    staged_.append_all(events);
    return Status::ok();
  }

  Status take(size_t max, EventBatch& out) override {
    size_t room = ch_->transaction_capacity() - taken_.size();
    if (max > room) max = room;
    if (max == 0) {
      if (room == 0)
        return make_error(ErrorCode::kRejected, "take exceeds transactionCapacity " +
                                                    std::to_string(ch_->transaction_capacity()) +
                                                    " of channel " + ch_->name());
      return Status::ok();
    }
    size_t before = taken_.size();
    size_t n;
    {
      std::lock_guard lock(ch_->mu_);
      n = ch_->take_locked(max, taken_);
    }
    // Flume counts one attempt per take() call, and its sinks call take() until it returns
    // nothing or the batch is full: n successes plus one empty call on underflow.
    ch_->counters_.event_take_attempt->inc(static_cast<int64_t>(n + (n < max ? 1 : 0)));
    out.append_range(taken_, before, before + n);
    return Status::ok();
  }

  Status commit() override {
    if (!staged_.empty()) {
      Status s = ch_->commit_put(staged_, wait_for_space_);
      if (!s) return s;  // staged events stay; the caller rolls back (guard) or retries
      staged_.clear();
    }
    if (!taken_.empty()) {
      ch_->counters_.event_take_success->inc(static_cast<int64_t>(taken_.size()));
      ch_->release_slots(taken_.size(), taken_.body_bytes());
      taken_.clear();
    }
    return Status::ok();
  }

  void rollback() override {
    staged_.clear();
    if (!taken_.empty()) ch_->return_taken(taken_);
    taken_.clear();
  }

 private:
  MemoryChannel* ch_;
  EventBatch staged_;
  EventBatch taken_;
};

MemoryChannel::MemoryChannel(std::string name, MemoryChannelOptions options,
                             std::shared_ptr<metrics::ComponentMetrics> metrics)
    : Channel(std::move(name)),
      options_(options),
      metrics_(std::move(metrics)),
      counters_(*metrics_) {
  counters_.channel_capacity->set(options_.capacity);
}

MemoryChannel::~MemoryChannel() = default;

std::unique_ptr<pipeline::Transaction> MemoryChannel::begin() {
  return std::make_unique<Txn>(this);
}

size_t MemoryChannel::size() const {
  std::lock_guard lock(mu_);
  return queued_events_;
}

void MemoryChannel::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  space_cv_.notify_all();
}

Status MemoryChannel::commit_put(EventBatch& staged, bool wait_for_space) {
  const size_t n = staged.size();
  const size_t bytes = staged.body_bytes();
  const size_t cap = static_cast<size_t>(options_.capacity);
  const size_t byte_limit = static_cast<size_t>(options_.effective_byte_limit());
  auto fits = [&] {
    return used_slots_ + n <= cap && (byte_limit == 0 || used_bytes_ + bytes <= byte_limit ||
                                      used_bytes_ == 0);  // one batch larger than the limit
                                                          // still passes an empty channel
  };
  {
    std::unique_lock lock(mu_);
    if (!fits()) {
      if (wait_for_space)
        space_cv_.wait_for(lock, std::chrono::seconds(options_.keep_alive_seconds),
                           [&] { return fits() || stopping_; });
      if (!fits())
        return make_error(ErrorCode::kChannelFull,
                          "channel " + name() + " is full (" + std::to_string(used_slots_) + "/" +
                              std::to_string(cap) +
                              " events): sinks are not keeping up or are failing");
    }
    used_slots_ += n;
    used_bytes_ += bytes;
    queued_events_ += n;
    queue_.emplace_back();
    queue_.back().batch.swap(staged);
    counters_.channel_size->set(static_cast<int64_t>(queued_events_));
  }
  counters_.event_put_success->inc(static_cast<int64_t>(n));
  notify_waiters();
  return Status::ok();
}

size_t MemoryChannel::take_locked(size_t max, EventBatch& out) {
  size_t taken = 0;
  while (taken < max && !queue_.empty()) {
    Chunk& head = queue_.front();
    size_t avail = head.batch.size() - head.next;
    size_t n = std::min(avail, max - taken);
    if (out.empty() && head.next == 0 && n == avail) {
      // The whole chunk goes: hand its batch over instead of copying it.
      out.swap(head.batch);
      queue_.pop_front();
      taken += n;
      continue;
    }
    out.append_range(head.batch, head.next, head.next + n);
    head.next += n;
    taken += n;
    if (head.next == head.batch.size()) queue_.pop_front();
  }
  queued_events_ -= taken;
  counters_.channel_size->set(static_cast<int64_t>(queued_events_));
  return taken;
}

void MemoryChannel::return_taken(EventBatch& taken) {
  {
    std::lock_guard lock(mu_);
    // Slots stay reserved (they were never released), so this cannot overflow the capacity.
    queue_.emplace_front();
    queue_.front().batch.swap(taken);
    queued_events_ += queue_.front().batch.size();
    counters_.channel_size->set(static_cast<int64_t>(queued_events_));
  }
  notify_waiters();
}

void MemoryChannel::release_slots(size_t events, size_t bytes) {
  {
    std::lock_guard lock(mu_);
    used_slots_ -= events;
    used_bytes_ -= bytes;
  }
  space_cv_.notify_all();
}

}  // namespace flumen::plugins
