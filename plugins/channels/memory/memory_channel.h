#pragma once
// Memory channel: an in-process queue with Flume's MemoryChannel semantics.
//
// Queue: committed batches are kept whole (a deque of EventBatch chunks with a read cursor), so a
// put commit moves its staged batch in without per-event work. A take copies events out of the
// head chunk(s); a take rollback pushes them back as a new head chunk, preserving order.
//
// Capacity counts committed events plus events taken by open transactions (their slots are freed
// at take commit), like Flume's queueRemaining semaphore, so a rollback always has room.
// A put commit waits up to keep-alive for space, then fails with kChannelFull.
// Not durable: a restart starts empty.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "agent/pipeline/basic_transaction.h"
#include "agent/pipeline/channel.h"
#include "plugins/channels/memory/config.h"

namespace flumen::plugins {

class MemoryChannel : public pipeline::Channel {
 public:
  MemoryChannel(std::string name, MemoryChannelOptions options,
                std::shared_ptr<metrics::ComponentMetrics> metrics);
  ~MemoryChannel() override;

  std::unique_ptr<pipeline::Transaction> begin() override;
  size_t size() const override;
  size_t capacity() const override { return static_cast<size_t>(options_.capacity); }
  size_t transaction_capacity() const override {
    return static_cast<size_t>(options_.transaction_capacity);
  }
  bool durable() const override { return false; }
  void stop() override;  // wakes puts waiting for space so they fail fast
  // Every key can change in place: a smaller capacity than the events held keeps them all and
  // refuses puts until the sinks have taken the channel below it.
  bool reconfigure(const void* options) override;

 private:
  class Txn;
  friend class Txn;

  struct Chunk {
    EventBatch batch;
    size_t next = 0;  // first event not yet taken
  };

  Status commit_put(EventBatch& staged, bool wait_for_space);
  size_t take_locked(size_t max, EventBatch& out);
  void return_taken(EventBatch& taken, size_t released_events, size_t released_bytes);
  void release_slots(size_t events, size_t bytes);

  MemoryChannelOptions options_;
  std::shared_ptr<metrics::ComponentMetrics> metrics_;
  metrics::ChannelCounters counters_;

  mutable std::mutex mu_;
  std::condition_variable space_cv_;
  std::deque<Chunk> queue_;
  size_t queued_events_ = 0;  // committed, not taken
  size_t used_slots_ = 0;     // queued + taken by open transactions
  size_t used_bytes_ = 0;     // body bytes, same accounting as slots
  bool stopping_ = false;
  // Counts the times room was freed: a put that found the channel full spins on it briefly
  // (util::spin_until) before it sleeps on space_cv_.
  std::atomic<uint64_t> room_freed_{0};
};

}  // namespace flumen::plugins
