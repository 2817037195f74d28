#pragma once
// Test doubles for the sink side of the pipeline: a sink whose answers a test scripts, a small
// memory channel and a slot joining them.

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "agent/pipeline/sink_processor.h"
#include "plugins/channels/memory/memory_channel.h"
#include "tests/unit/plugins/channels/channel_conformance.h"

namespace flumen::pipeline::testing_fixtures {

// A sink whose answers the test scripts; it records what it was given.
class ScriptedSink : public Sink {
 public:
  explicit ScriptedSink(std::string name, size_t batch = 10)
      : Sink(std::move(name)), batch_(batch) {
    attach_metrics(std::make_shared<metrics::ComponentMetrics>("SINK", this->name()));
  }
  size_t batch_size() const override { return batch_; }
  DeliveryResult deliver(const EventBatch& b) override {
    calls++;
    if (fail_all.load()) return DeliveryResult::retry("scripted: always failing");
    Delivery next = script.empty() ? Delivery::kDelivered : script.front();
    if (!script.empty()) script.pop_front();
    if (next == Delivery::kDelivered) {
      for (size_t i = 0; i < b.size(); ++i)
        got.emplace_back(b.body(i));
      if (!reject_bodies.empty()) {
        std::vector<uint32_t> bad;
        for (size_t i = 0; i < b.size(); ++i)
          for (const auto& r : reject_bodies)
            if (b.body(i) == r) bad.push_back(static_cast<uint32_t>(i));
        if (!bad.empty()) return DeliveryResult::partly_rejected(bad, "scripted: poison");
      }
    }
    DeliveryResult r{next, "scripted", {}, {}};
    r.markers = markers;
    return r;
  }
  int64_t resumes_take_recorded_at() const override { return resume_at; }
  std::vector<std::pair<std::string, std::string>> markers;  // given with every answer
  int64_t resume_at = 0;                                     // as Sink::resumes_take_recorded_at
  void delivery_not_committed() override { not_committed++; }
  // As a sink that syncs per batch (file_roll with sink.fsync): a sync window.
  bool groups_syncs() const override { return groups; }
  size_t sync_window_limit() const override { return window_limit; }
  size_t window_limit = SIZE_MAX;
  Status sync_delivered() override {
    syncs++;
    if (fail_sync) return make_error(ErrorCode::kIo, "scripted: sync failed");
    return Status::ok();
  }
  void deliveries_committed() override { windows_committed++; }
  // As a sink whose syncs overlap the next window (file_roll alone in its processor).
  bool overlaps_syncs() const override { return overlaps; }
  void begin_sync(size_t takes) override { begun.push_back(takes); }
  bool overlaps = false;
  std::vector<size_t> begun;  // the windows begun, in takes
  // In a window, after its sync: records which take it is told about (its first body) and
  // reports synced_reject_bodies rejected, as a forward sink learns from its receiver's answers.
  void delivery_synced(const EventBatch& b, DeliveryResult& r) override {
    synced.emplace_back(b.empty() ? std::string() : std::string(b.body(0)));
    std::vector<uint32_t> bad;
    for (size_t i = 0; i < b.size(); ++i)
      for (const auto& body : synced_reject_bodies)
        if (b.body(i) == body) bad.push_back(static_cast<uint32_t>(i));
    if (!bad.empty()) r = DeliveryResult::partly_rejected(bad, "scripted: refused after the sync");
  }
  std::vector<std::string> synced;
  std::vector<std::string> synced_reject_bodies;
  bool groups = false;
  bool fail_sync = false;
  int syncs = 0;
  int windows_committed = 0;
  void interrupt() override { interrupted = true; }
  std::deque<Delivery> script;
  std::vector<std::string> got;
  std::vector<std::string> reject_bodies;  // delivered batches report these bodies rejected
  std::atomic<int> calls{0};
  std::atomic<bool> fail_all{false};
  std::atomic<bool> interrupted{false};
  int not_committed = 0;

 private:
  size_t batch_;
};

inline std::unique_ptr<plugins::MemoryChannel> memory(const std::string& name) {
  plugins::MemoryChannelOptions o;
  o.capacity = 10000;
  o.transaction_capacity = 100;
  o.keep_alive_seconds = 0;
  return std::make_unique<plugins::MemoryChannel>(
      name, o, std::make_shared<metrics::ComponentMetrics>("CHANNEL", name));
}

inline std::unique_ptr<SinkSlot> slot(Sink* s, Channel* c) {
  auto sl = std::make_unique<SinkSlot>();
  sl->sink = s;
  sl->channel = c;
  return sl;
}

}  // namespace flumen::pipeline::testing_fixtures
