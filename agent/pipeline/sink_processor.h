#pragma once
// Sink processors pick which sink of a group handles the next batch.
//  - default: the one sink.
//  - failover: the live sink with the highest priority; a failed sink is penalised for
//    min(maxpenalty, 1000 ms * 2^failures) and the next one is tried in the same call. A penalised
//    sink comes back when its penalty ends and it delivers again.
//  - load_balance: an order per batch from round_robin or random; tries sinks in that order until
//    one succeeds. With backoff, a failed sink is skipped for min(maxTimeOut, 1000 ms * 2^n).
//
// A SinkSlot is one sink with its channel. drain_once() is the one place where a take
// transaction is opened, handed to the sink, and committed or rolled back.

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "agent/pipeline/channel.h"
#include "agent/pipeline/sink.h"

namespace flumen::pipeline {

using Clock = std::chrono::steady_clock;

enum class ProcessOutcome {
  kReady,    // a batch moved (delivered or rejected): call again at once
  kBackoff,  // nothing to do (channel empty): wait for data
  kFailed,   // every eligible sink failed: back off before trying again
};

struct SinkSlot {
  Sink* sink = nullptr;
  Channel* channel = nullptr;
  EventBatch batch;  // reused between takes
};

// Takes up to batch_size events from the slot's channel, delivers, commits or rolls back.
ProcessOutcome drain_once(SinkSlot& slot);

class SinkProcessor {
 public:
  virtual ~SinkProcessor() = default;
  virtual ProcessOutcome process() = 0;
  virtual std::vector<SinkSlot*> slots() = 0;
  virtual std::string state() const { return ""; }  // for metrics: active sink, penalties
  virtual const char* type() const = 0;
};

class DefaultSinkProcessor : public SinkProcessor {
 public:
  explicit DefaultSinkProcessor(std::unique_ptr<SinkSlot> slot) : slot_(std::move(slot)) {}
  ProcessOutcome process() override { return drain_once(*slot_); }
  std::vector<SinkSlot*> slots() override { return {slot_.get()}; }
  const char* type() const override { return "default"; }

 private:
  std::unique_ptr<SinkSlot> slot_;
};

class FailoverSinkProcessor : public SinkProcessor {
 public:
  struct Member {
    std::unique_ptr<SinkSlot> slot;
    int64_t priority;
  };
  FailoverSinkProcessor(std::vector<Member> members, std::chrono::milliseconds max_penalty);
  ProcessOutcome process() override;
  std::vector<SinkSlot*> slots() override;
  std::string state() const override;
  const char* type() const override { return "failover"; }
  // The sink that handled the last batch ("" before the first).
  std::string active_sink() const;

 private:
  struct Entry {
    std::unique_ptr<SinkSlot> slot;
    int64_t priority;
    int failures = 0;
    Clock::time_point penalty_until{};
  };
  std::vector<Entry> entries_;  // highest priority first
  std::chrono::milliseconds max_penalty_;
  mutable std::mutex state_mu_;  // guards active_ for scrapes
  std::string active_;
};

class LoadBalancingSinkProcessor : public SinkProcessor {
 public:
  enum class Policy { kRoundRobin, kRandom };
  LoadBalancingSinkProcessor(std::vector<std::unique_ptr<SinkSlot>> slots, Policy policy,
                             bool backoff, std::chrono::milliseconds max_timeout);
  ProcessOutcome process() override;
  std::vector<SinkSlot*> slots() override;
  std::string state() const override;
  const char* type() const override { return "load_balance"; }

 private:
  struct Entry {
    std::unique_ptr<SinkSlot> slot;
    int failures = 0;
    Clock::time_point blocked_until{};
    Clock::time_point last_failure{};
  };
  std::vector<Entry> entries_;
  Policy policy_;
  bool backoff_;
  std::chrono::milliseconds max_timeout_;
  size_t next_ = 0;
  std::minstd_rand rng_{std::random_device{}()};
  mutable std::mutex state_mu_;
};

}  // namespace flumen::pipeline
