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
// transaction is opened, handed to the sink, and committed or rolled back; events the sink
// rejects go to the slot's dead-letter channel when it has one.
//
// Time comes from an injected util::Clock (penalties, back-off), so tests move it by hand.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "agent/pipeline/channel.h"
#include "agent/pipeline/sink.h"
#include "agent/util/clock.h"
#include "agent/util/log_throttle.h"

namespace flumen::pipeline {

using Clock = std::chrono::steady_clock;  // util::Clock's time_point is this clock's

enum class ProcessOutcome {
  kReady,    // a batch moved (delivered or rejected): call again at once
  kBackoff,  // nothing to do (channel empty): wait for data
  kFailed,   // every eligible sink failed: back off before trying again
};

// How many batches a sink that groups its syncs (Sink::groups_syncs) delivers before one sync,
// and how long a window whose takes came back full waits for the next batch to be put when the
// channel is empty (the next one is usually on its way: a forward source's next batch, a
// source's next read) before it syncs what it has. 16 rather than 8: TAILDIR -> memory ->
// file_roll at Flume's defaults, 1M lines, 0.48-0.50 -> 0.33-0.37 s (1,250 -> 625 syncs); 32
// made a forward receiver at defaults slower (0.65 -> 0.79 s).
inline constexpr size_t kSyncWindow = 16;
inline constexpr std::chrono::milliseconds kSyncLinger{4};

// A take whose batch was delivered and waits for its commit.
struct PendingTake {
  std::unique_ptr<Transaction> txn;
  EventBatch batch;
  DeliveryResult result;
  // deliver() answered delivered (not rejected whole): the sink holds this take until it
  // commits or is given back.
  bool held_by_sink = false;
};

struct SinkSlot {
  Sink* sink = nullptr;
  Channel* channel = nullptr;
  // Where rejected events go (`<sink>.deadLetterChannel`), null: counted and dropped.
  Channel* dead_letter = nullptr;
  // The key the sink keeps its markers under in `channel` (Sink::bind_channel); empty: its name.
  std::string state_key;
  // The takes of one drain_once (one, or a sync window's), reused between calls.
  std::vector<PendingTake> window;
  // Windows overlap (Sink::overlaps_syncs) only for a sink alone in its processor: a group
  // moves between its members from one take to the next, and a failover must not find a
  // window of the failed member still open.
  bool overlap_syncs = false;
  // The window delivered by the last drain_once, its sync begun, not committed yet: committed
  // by the next drain_once after it delivered the next window, or by finish_open().
  std::vector<PendingTake> open;
  size_t open_count = 0;
  // Told when the channel has new events (the runner's notifier): a sync window's linger waits
  // on it. Null (no runner): a window does not linger.
  Notifier* wake = nullptr;
  std::chrono::milliseconds linger = kSyncLinger;
  EventBatch rejects;  // reused: what goes to the dead-letter channel
  // A failing sink says so once, then once per interval with how many attempts failed.
  util::LogThrottle failure_log;
  util::LogThrottle reject_log;
};

// The headers a dead-lettered event carries besides its own.
inline constexpr std::string_view kDeadLetterReasonHeader = "flumen.deadletter.reason";
inline constexpr std::string_view kDeadLetterSinkHeader = "flumen.deadletter.sink";

// Takes up to batch_size events from the slot's channel, delivers, commits or rolls back.
// With overlapping windows it commits the window the last call left open, after it delivered
// the next one (which it leaves open in turn).
ProcessOutcome drain_once(SinkSlot& slot);
// Commits the window drain_once left open, if any: kBackoff when there was none.
ProcessOutcome finish_open(SinkSlot& slot);

class SinkProcessor {
 public:
  virtual ~SinkProcessor() = default;
  virtual ProcessOutcome process() = 0;
  virtual std::vector<SinkSlot*> slots() = 0;
  virtual std::string state() const { return ""; }  // for metrics: active sink, penalties
  virtual const char* type() const = 0;
  // After kFailed: when a sink of the processor is due again (the end of the earliest penalty),
  // or nullopt when the processor keeps no penalties and the runner's own back-off decides.
  virtual std::optional<Clock::time_point> retry_at() const { return std::nullopt; }
  // Commits what a sink's overlapping windows left open (before a tick, at a stop's deadline):
  // kBackoff when nothing was open, kFailed when it could not commit (given back).
  virtual ProcessOutcome flush() { return ProcessOutcome::kBackoff; }
};

class DefaultSinkProcessor : public SinkProcessor {
 public:
  explicit DefaultSinkProcessor(std::unique_ptr<SinkSlot> slot) : slot_(std::move(slot)) {
    slot_->overlap_syncs = true;
  }
  ProcessOutcome process() override { return drain_once(*slot_); }
  ProcessOutcome flush() override { return finish_open(*slot_); }
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
  FailoverSinkProcessor(std::vector<Member> members, std::chrono::milliseconds max_penalty,
                        const util::Clock& clock = util::Clock::steady());
  ProcessOutcome process() override;
  std::vector<SinkSlot*> slots() override;
  std::string state() const override;
  const char* type() const override { return "failover"; }
  std::optional<Clock::time_point> retry_at() const override;
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
  const util::Clock* clock_;
  mutable std::mutex state_mu_;  // guards active_ and the penalties for scrapes
  std::string active_;
};

class LoadBalancingSinkProcessor : public SinkProcessor {
 public:
  enum class Policy { kRoundRobin, kRandom };
  LoadBalancingSinkProcessor(std::vector<std::unique_ptr<SinkSlot>> slots, Policy policy,
                             bool backoff, std::chrono::milliseconds max_timeout,
                             const util::Clock& clock = util::Clock::steady());
  ProcessOutcome process() override;
  std::vector<SinkSlot*> slots() override;
  std::string state() const override;
  const char* type() const override { return "load_balance"; }
  std::optional<Clock::time_point> retry_at() const override;

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
  const util::Clock* clock_;
  size_t next_ = 0;
  std::minstd_rand rng_{std::random_device{}()};
  mutable std::mutex state_mu_;
};

}  // namespace flumen::pipeline
