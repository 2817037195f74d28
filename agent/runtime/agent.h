#pragma once
// Agent: the running pipeline of one validated AgentConfig.
//
// apply(config) is the one way the pipeline changes, at startup (from an empty pipeline) and on
// every reload: components whose keys are unchanged keep running (a channel keeps its events),
// the others are stopped and rebuilt, removed ones stopped. A changed channel keeps its events:
// reconfigured in place when its type can (memory), else its events move to its replacement. Order:
// affected sources stop, then affected sink runners, then channels are swapped; new channels start,
// then sink runners, then sources, so nothing is produced before it can be consumed. stop():
// sources first, then sink runners drain their channels up to drain_timeout, then channels stop.
// Called from one thread (the CLI's main thread).

#include <chrono>
#include <map>
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
  explicit Agent(std::shared_ptr<metrics::MetricsRegistry> metrics);
  ~Agent();

  // Brings the running pipeline to `config`. On failure the components that could not start
  // are reported; the ones that did start keep running.
  Status apply(AgentConfig config);
  // Returns true if every sink runner drained its channels before the timeout.
  bool stop(std::chrono::milliseconds drain_timeout);

  metrics::MetricsRegistry& metrics() { return *metrics_; }
  pipeline::Channel* channel(const std::string& name) const;

  struct ApplyStats {
    int started = 0, stopped = 0, kept = 0, reconfigured = 0;
  };
  const ApplyStats& last_apply() const { return stats_; }

 private:
  struct RunningChannel {
    std::string fingerprint;
    std::string type;
    std::unique_ptr<pipeline::Channel> channel;
    std::shared_ptr<metrics::ComponentMetrics> metrics;
  };
  struct RunningRunner {
    std::string fingerprint;  // group (or sink) keys + member sinks' keys + their channels'
    std::vector<std::unique_ptr<pipeline::Sink>> sinks;
    std::vector<std::unique_ptr<pipeline::SinkRunner>> runners;  // one per worker
    std::vector<std::shared_ptr<metrics::ComponentMetrics>> metrics;
  };
  struct RunningSource {
    std::string fingerprint;  // source keys + its channels' keys
    std::unique_ptr<pipeline::Source> source;
    std::shared_ptr<metrics::ComponentMetrics> metrics;
  };

  std::unique_ptr<pipeline::Channel> build_channel(const ComponentConfig& cc,
                                                   std::shared_ptr<metrics::ComponentMetrics>& m);
  RunningRunner build_runner(const std::string& name, const std::vector<const SinkConfig*>& sinks,
                             const SinkGroupConfig* group);
  RunningSource build_source(const SourceConfig& src);
  void drop_metrics(const std::shared_ptr<metrics::ComponentMetrics>& m);

  std::shared_ptr<metrics::MetricsRegistry> metrics_;
  std::string name_;
  std::map<std::string, RunningChannel> channels_;
  std::map<std::string, RunningRunner> runners_;
  std::map<std::string, RunningSource> sources_;
  ApplyStats stats_;
};

}  // namespace flumen::runtime
