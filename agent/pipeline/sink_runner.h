#pragma once
// SinkRunner: one thread per sink group (or ungrouped sink, or sink worker). It calls the
// processor in a loop:
//  - a batch moved: again at once;
//  - the channels are empty: sleep until a channel signals a commit (no polling), at most a
//    second so time-based work (Sink::tick) still runs;
//  - every eligible sink failed: sleep until the processor's next penalty ends, or (for a
//    processor without penalties) for the runner's own exponential back-off with jitter.
//    Nothing but stop() cuts that sleep short: a rollback returning the events to the channel
//    notifies its readers, and waking on that would make the back-off a tight retry loop.
//
// stop(drain_timeout): keeps delivering (and retrying with back-off) until the processor reports
// empty channels or the deadline passes, then exits and joins. At the deadline the sinks are
// interrupted (Sink::interrupt) so a delivery waiting on a dead peer ends too.
//
// step() is the loop's body, public so that unit tests drive the runner with a ManualClock
// instead of a thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/pipeline/notifier.h"
#include "agent/pipeline/retry_backoff.h"
#include "agent/pipeline/sink_processor.h"
#include "agent/util/clock.h"

namespace flumen::pipeline {

struct SinkRunnerOptions {
  // Back-off after failed deliveries of a processor without penalties of its own (an ungrouped
  // sink, load_balance without backoff): initial doubling up to max (Flume's SinkRunner: 5 s).
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  const util::Clock* clock = &util::Clock::steady();
};

class SinkRunner {
 public:
  SinkRunner(std::string name, std::unique_ptr<SinkProcessor> processor,
             SinkRunnerOptions options = {});
  ~SinkRunner();

  const std::string& name() const { return name_; }
  SinkProcessor& processor() { return *processor_; }

  // The runner thread's name, and that of every thread its sinks start (util/thread_name.h);
  // "sink-<name>" unless set before start().
  void set_thread_name(std::string name) { thread_name_ = std::move(name); }
  Status start();  // starts the sinks, then the thread
  // Returns true if the channels were drained before the timeout.
  bool stop(std::chrono::milliseconds drain_timeout);

  // What the loop does after one step.
  struct Step {
    enum class Kind {
      kAgain,        // a batch moved: step again at once
      kWaitForData,  // channels empty: wait for a commit (or `until`, for ticks)
      kSleepUntil,   // back-off: wait until `until`, woken early only by stop()
      kExit,         // drained, or the drain deadline passed
    };
    Kind kind = Kind::kAgain;
    util::Clock::time_point until{};
  };
  // One round: a process() call (unless backing off) and the ticks that are due.
  Step step();
  // Tells step() that a stop was asked with this deadline (stop() does it, and tests).
  void begin_stop(util::Clock::time_point deadline);

  // For /metrics: "idle", "delivering", or "backoff"; with the failures and the next try.
  std::string state() const;
  int consecutive_failures() const;
  // Milliseconds until the next try while backing off, else 0.
  int64_t next_try_in_ms() const;

 private:
  void run();
  void sleep_until(util::Clock::time_point until);

  std::string name_;
  std::string thread_name_;
  std::unique_ptr<SinkProcessor> processor_;
  SinkRunnerOptions options_;
  const util::Clock& clock_;
  Notifier notifier_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> drained_{false};
  std::atomic<util::Clock::duration::rep> drain_deadline_{0};
  util::Clock::time_point last_tick_{};

  mutable std::mutex state_mu_;  // guards backoff_, state_, retry_until_ for scrapes
  RetryBackoff backoff_;
  util::Clock::time_point retry_until_{};  // when backing off: the next try
  enum class State { kIdle, kDelivering, kBackoff } state_ = State::kIdle;

  std::mutex sleep_mu_;  // with wake_cv_: the back-off sleep, ended early by stop() only
  std::condition_variable wake_cv_;
  bool wake_ = false;
  std::mutex exit_mu_;  // with exit_cv_: stop() waits for the thread until the deadline
  std::condition_variable exit_cv_;
  bool exited_ = false;
  bool started_ = false;
};

}  // namespace flumen::pipeline
