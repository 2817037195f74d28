#include "agent/pipeline/sink_runner.h"

#include <spdlog/spdlog.h>

namespace flumen::pipeline {

using namespace std::chrono_literals;

SinkRunner::SinkRunner(std::string name, std::unique_ptr<SinkProcessor> processor,
                       std::chrono::milliseconds max_backoff)
    : name_(std::move(name)), processor_(std::move(processor)), max_backoff_(max_backoff) {}

SinkRunner::~SinkRunner() {
  stop(0ms);
}

Status SinkRunner::start() {
  std::vector<Sink*> started;
  for (SinkSlot* s : processor_->slots()) {
    if (Status st = s->sink->start(); !st) {
      for (Sink* k : started)
        k->stop();
      return make_error(st.code(), "sink " + s->sink->name() + ": " + st.message());
    }
    s->sink->metrics().mark_started();
    started.push_back(s->sink);
    s->channel->add_waiter(&notifier_);
  }
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
  started_ = true;
  return Status::ok();
}

void SinkRunner::run() {
  auto backoff = 100ms;
  auto last_tick = Clock::now();
  auto tick_all = [&] {
    auto now = Clock::now();
    if (now - last_tick < 1s) return;
    last_tick = now;
    for (SinkSlot* s : processor_->slots())
      s->sink->tick(now);
  };
  for (;;) {
    if (stopping_.load()) {
      int64_t deadline = drain_deadline_ns_.load();
      if (Clock::now().time_since_epoch().count() >= deadline) return;
    }
    ProcessOutcome out = processor_->process();
    tick_all();
    switch (out) {
      case ProcessOutcome::kReady:
        backoff = 100ms;
        break;
      case ProcessOutcome::kBackoff:
        backoff = 100ms;
        if (stopping_.load()) {
          drained_ = true;
          return;
        }
        notifier_.wait_for(1000ms);
        break;
      case ProcessOutcome::kFailed:
        if (stopping_.load()) {
          // Shutting down and the destination is failing: waiting longer would only delay exit;
          // the events stay in the channel (durable channels keep them).
          return;
        }
        notifier_.wait_for(backoff);  // a stop() notifies too, so this never delays shutdown
        backoff = std::min(backoff * 2, max_backoff_);
        break;
    }
  }
}

bool SinkRunner::stop(std::chrono::milliseconds drain_timeout) {
  if (!started_) return drained_;
  drain_deadline_ns_ = (Clock::now() + drain_timeout).time_since_epoch().count();
  stopping_ = true;
  notifier_.notify();
  if (thread_.joinable()) thread_.join();
  for (SinkSlot* s : processor_->slots()) {
    s->channel->remove_waiter(&notifier_);
    s->sink->stop();
    s->sink->metrics().mark_stopped();
  }
  started_ = false;
  return drained_;
}

}  // namespace flumen::pipeline
