#include "agent/pipeline/sink.h"

namespace flumen::pipeline {

void Sink::attach_metrics(std::shared_ptr<metrics::ComponentMetrics> m) {
  metrics_ = std::move(m);
  counters_ = std::make_unique<metrics::SinkCounters>(*metrics_);
}

}  // namespace flumen::pipeline
