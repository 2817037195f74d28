#pragma once
// Source: produces event batches and hands them to its ChannelProcessor.
//
// Lifecycle (called by the agent's thread): start() once, then stop() once. start() must not
// block for long: a source runs on a thread (and usually a libuv loop) of its own that it owns.
// stop() blocks until that thread has exited and every resource (sockets, child processes,
// files) is released. Between the two, the source's thread calls processor().process_batch().
//
// Backpressure: when process_batch() fails (channel full or down), the source keeps the batch,
// stops reading its input, and retries the same batch after a backoff. Never drop it.

#include <memory>
#include <string>

#include "agent/metrics/component_metrics.h"
#include "agent/util/result.h"

namespace flumen::pipeline {

class ChannelProcessor;

class Source {
 public:
  explicit Source(std::string name) : name_(std::move(name)) {}
  virtual ~Source() = default;
  const std::string& name() const { return name_; }

  // Wiring, done by the agent before start().
  void attach(std::shared_ptr<ChannelProcessor> processor,
              std::shared_ptr<metrics::ComponentMetrics> metrics);
  ChannelProcessor& processor() { return *processor_; }
  metrics::SourceCounters& counters() { return *counters_; }
  metrics::ComponentMetrics& metrics() { return *metrics_; }

  Status start();
  void stop();

 protected:
  virtual Status do_start() = 0;
  virtual void do_stop() = 0;

 private:
  std::string name_;
  std::shared_ptr<ChannelProcessor> processor_;
  std::shared_ptr<metrics::ComponentMetrics> metrics_;
  std::unique_ptr<metrics::SourceCounters> counters_;
  bool running_ = false;
};

}  // namespace flumen::pipeline
