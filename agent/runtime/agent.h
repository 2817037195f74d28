#pragma once
// Agent: the running pipeline of one validated AgentConfig.
// start(): channels, then sink runners, then sources (so nothing is produced before it can be
// consumed). stop(): sources first (no new events), then sink runners drain their channels up
// to drain_timeout, then channels stop. Called from one thread (the CLI's main thread).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/pipeline/channel.h"
#include "agent/pipeline/channel_processor.h"
#include "agent/pipeline/sink_runner.h"
#include "agent/pipeline/source.h"
#include "agent/runtime/agent_config.h"

namespace flumen::runtime {

class Agent {
 public:
  Agent(AgentConfig config, std::shared_ptr<metrics::MetricsRegistry> metrics);
  ~Agent();

  Status start();
  // Returns true if every sink runner drained its channels before the timeout.
  bool stop(std::chrono::milliseconds drain_timeout);

  metrics::MetricsRegistry& metrics() { return *metrics_; }
  pipeline::Channel* channel(const std::string& name) const;

 private:
  Status build();
  std::shared_ptr<metrics::ComponentMetrics> create_metrics(const std::string& type,
                                                            const std::string& name);

  AgentConfig config_;
  std::shared_ptr<metrics::MetricsRegistry> metrics_;
  std::vector<std::unique_ptr<pipeline::Channel>> channels_;
  std::vector<std::shared_ptr<metrics::ComponentMetrics>> channel_metrics_;
  std::vector<std::shared_ptr<metrics::ComponentMetrics>> created_metrics_;
  std::vector<std::unique_ptr<pipeline::Sink>> sinks_;
  std::vector<std::unique_ptr<pipeline::SinkRunner>> runners_;
  std::vector<std::unique_ptr<pipeline::Source>> sources_;
  size_t started_sources_ = 0;
  bool running_ = false;
};

}  // namespace flumen::runtime
