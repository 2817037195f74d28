#include "agent/pipeline/source.h"

#include "agent/pipeline/channel_processor.h"
#include "agent/util/thread_name.h"

namespace flumen::pipeline {

void Source::attach(std::shared_ptr<ChannelProcessor> processor,
                    std::shared_ptr<metrics::ComponentMetrics> metrics) {
  processor_ = std::move(processor);
  metrics_ = std::move(metrics);
  counters_ = std::make_unique<metrics::SourceCounters>(*metrics_);
  processor_->set_counters(counters_.get());
}

Status Source::start() {
  // Every thread the source starts (its loop, a reader thread, a client library's) is named
  // after it.
  util::ThreadNameScope naming(util::thread_name("src-", name()));
  Status s = do_start();
  if (s.is_ok()) {
    running_ = true;
    metrics_->mark_started();
  }
  return s;
}

void Source::stop() {
  if (!running_) return;
  do_stop();
  running_ = false;
  metrics_->mark_stopped();
}

}  // namespace flumen::pipeline
