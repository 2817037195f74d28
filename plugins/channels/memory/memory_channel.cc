#include "plugins/channels/memory/memory_channel.h"

#include <chrono>

#include "agent/util/spin_wait.h"

namespace flumen::plugins {

class MemoryChannel::Txn : public pipeline::BasicTransaction {
 public:
  explicit Txn(MemoryChannel* ch) : BasicTransaction(*ch, ch->counters_), ch_(ch) {}
  ~Txn() override { rollback(); }

 protected:
  Status do_take(size_t max, EventBatch& taken) override {
    std::lock_guard lock(ch_->mu_);
    ch_->take_locked(max, taken);
    return Status::ok();
  }
  Status do_commit_put(EventBatch& staged, const Markers&, bool wait_for_space) override {
    return ch_->commit_put(staged, wait_for_space);
  }
  Status do_commit_take(EventBatch& taken, const Markers&) override {
    if (released_events_ < taken.size())
      ch_->release_slots(taken.size() - released_events_, taken.body_bytes() - released_bytes_);
    released_events_ = released_bytes_ = 0;
    return Status::ok();
  }
  void do_rollback_take(EventBatch& taken) override {
    ch_->return_taken(taken, released_events_, released_bytes_);
    released_events_ = released_bytes_ = 0;
  }

 public:
  void hold_for_sync() override {
    // The room of what was taken so far is free now; a commit releases only the rest.
    const EventBatch& t = taken();
    if (t.size() <= released_events_) return;
    ch_->release_slots(t.size() - released_events_, t.body_bytes() - released_bytes_);
    released_events_ = t.size();
    released_bytes_ = t.body_bytes();
  }

 private:
  MemoryChannel* ch_;
  // What hold_for_sync() gave back of the taken events' slots and bytes.
  size_t released_events_ = 0;
  size_t released_bytes_ = 0;
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

bool MemoryChannel::reconfigure(const void* options) {
  {
    std::lock_guard lock(mu_);
    options_ = *static_cast<const MemoryChannelOptions*>(options);
    counters_.channel_capacity->set(options_.capacity);
  }
  space_cv_.notify_all();  // a larger capacity may let a waiting put in
  return true;
}

Status MemoryChannel::commit_put(EventBatch& staged, bool wait_for_space) {
  const size_t n = staged.size();
  const size_t bytes = staged.body_bytes();
  std::unique_lock lock(mu_);
  const size_t cap = static_cast<size_t>(options_.capacity);
  const size_t byte_limit = static_cast<size_t>(options_.effective_byte_limit());
  auto fits = [&] {
    return used_slots_ + n <= cap && (byte_limit == 0 || used_bytes_ + bytes <= byte_limit ||
                                      used_bytes_ == 0);  // one batch larger than the limit
                                                          // still passes an empty channel
  };
  {
    if (!fits() && wait_for_space) {
      // The sink usually frees room within microseconds (its take runs on the other core):
      // a short spin saves both threads a sleep and a wake-up.
      const uint64_t freed = room_freed_.load();
      lock.unlock();
      util::spin_until([&] { return room_freed_.load(std::memory_order_relaxed) != freed; });
      lock.lock();
    }
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
  lock.unlock();
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

void MemoryChannel::return_taken(EventBatch& taken, size_t released_events, size_t released_bytes) {
  {
    std::lock_guard lock(mu_);
    // Slots stay reserved until the commit, so this cannot overflow the capacity; those given
    // back early (hold_for_sync) are taken again, past the capacity if puts filled it since.
    used_slots_ += released_events;
    used_bytes_ += released_bytes;
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
  room_freed_.fetch_add(1);
  space_cv_.notify_all();
  notify_space();
}

}  // namespace flumen::plugins
