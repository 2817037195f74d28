#pragma once
// SinkRunner: one thread per sink group (or ungrouped sink). It calls the processor in a loop;
// when the channels are empty it sleeps until a channel signals a commit (no polling), when every
// sink failed it backs off exponentially (100 ms doubling up to max_backoff), and about once a
// second it lets each sink do time-based work (tick).
//
// stop(drain_timeout): keeps delivering until the processor reports empty channels or the
// timeout passes, then exits and joins. A zero timeout stops after the current batch.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "agent/pipeline/notifier.h"
#include "agent/pipeline/sink_processor.h"

namespace flumen::pipeline {

class SinkRunner {
 public:
  SinkRunner(std::string name, std::unique_ptr<SinkProcessor> processor,
             std::chrono::milliseconds max_backoff = std::chrono::milliseconds(5000));
  ~SinkRunner();

  const std::string& name() const { return name_; }
  SinkProcessor& processor() { return *processor_; }

  Status start();  // starts the sinks, then the thread
  // Returns true if the channels were drained before the timeout.
  bool stop(std::chrono::milliseconds drain_timeout);

 private:
  void run();

  std::string name_;
  std::unique_ptr<SinkProcessor> processor_;
  std::chrono::milliseconds max_backoff_;
  Notifier notifier_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> drained_{false};
  std::atomic<int64_t> drain_deadline_ns_{0};
  bool started_ = false;
};

}  // namespace flumen::pipeline
