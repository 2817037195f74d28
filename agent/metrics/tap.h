#pragma once
// Tap: a sample of the events passing one component, for `flumen tap` (GET /tap on the metrics
// endpoint), without taking them from the pipeline: copies, never the events themselves.
//
// Zero cost while nobody listens: offer() is one relaxed atomic load per batch. A reader
// attaches by reading (read() with any cursor); from then on offer() copies events into a
// bounded ring (the most recent `capacity` of them, bodies cut at kMaxBody). When no reader has
// read for kLinger the tap detaches itself on the next offer() and frees the ring, so a
// `flumen tap` that was killed costs nothing after a few seconds.
//
// Where events are offered: a source's after its interceptors, once every required channel
// committed them; a channel's as a source commits them into it; a sink's once delivered.
//
// Threads: offer() from the component's thread(s), read() from the metrics endpoint's loop; a
// mutex guards the ring (taken only while attached).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/event/event_batch.h"

namespace flumen::metrics {

struct TappedEvent {
  uint64_t seq = 0;     // 1, 2, ... per tap, in the order offered
  int64_t time_ms = 0;  // wall clock when offered
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;      // at most Tap::kMaxBody bytes
  size_t body_size = 0;  // the whole body's size
};

class Tap {
 public:
  static constexpr size_t kMaxCapacity = 1000;
  static constexpr size_t kMaxBody = 16 * 1024;
  static constexpr std::chrono::seconds kLinger{5};

  // Copies the batch's events if a reader is attached (the first `capacity` events of a batch
  // larger than the ring).
  void offer(const EventBatch& batch) {
    if (attached_.load(std::memory_order_relaxed)) record(batch);
  }
  bool attached() const { return attached_.load(std::memory_order_relaxed); }

  struct Read {
    std::vector<TappedEvent> events;  // seq > since, oldest first, at most max
    uint64_t next = 0;                // the cursor for the next read (the last seq returned)
    uint64_t missed = 0;              // events after `since` that left the ring unread
  };
  // Attaches (or stays attached) for kLinger more, keeping at least `capacity` events
  // (1..kMaxCapacity), and returns what the ring holds after `since`. Without `since` (a
  // reader's first read) nothing is returned: only events offered after it are.
  Read read(std::optional<uint64_t> since, size_t max, size_t capacity);

 private:
  void record(const EventBatch& batch);

  std::atomic<bool> attached_{false};
  std::mutex mu_;
  std::deque<TappedEvent> ring_;
  size_t capacity_ = 0;
  uint64_t last_seq_ = 0;  // the last seq recorded (kept across detach, so cursors stay valid)
  std::chrono::steady_clock::time_point expires_{};
};

}  // namespace flumen::metrics
