#include "agent/pipeline/sink_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/util/thread_name.h"

namespace flumen::pipeline {

using namespace std::chrono_literals;
using TimePoint = util::Clock::time_point;

namespace {
// How long a delivery still running at the drain deadline may take before its sink is
// interrupted: enough for a batch that is being acknowledged to finish.
constexpr auto kInterruptGrace = 500ms;
constexpr auto kTickInterval = 1s;
}  // namespace

SinkRunner::SinkRunner(std::string name, std::unique_ptr<SinkProcessor> processor,
                       SinkRunnerOptions options)
    : name_(std::move(name)),
      processor_(std::move(processor)),
      options_(options),
      clock_(*options.clock),
      backoff_(options.initial_backoff, options.max_backoff) {}

SinkRunner::~SinkRunner() {
  stop(0ms);
}

Status SinkRunner::start() {
  const std::string thread_name =
      thread_name_.empty() ? util::thread_name("sink-", name_) : thread_name_;
  util::ThreadNameScope naming(thread_name);  // threads the sinks start are named after them
  std::vector<Sink*> started;
  for (SinkSlot* s : processor_->slots()) {
    s->sink->bind_channel(s->channel, s->state_key);
    if (Status st = s->sink->start(); !st) {
      for (Sink* k : started)
        k->stop();
      return make_error(st.code(), "sink " + s->sink->name() + ": " + st.message());
    }
    s->sink->metrics().mark_started();
    started.push_back(s->sink);
    s->channel->add_waiter(&notifier_);
    s->wake = &notifier_;
  }
  stopping_ = false;
  drained_ = false;
  exited_ = false;
  wake_ = false;
  last_tick_ = clock_.now();
  thread_ = std::thread([this, thread_name] {
    util::set_thread_name(thread_name);
    run();
  });
  started_ = true;
  return Status::ok();
}

void SinkRunner::begin_stop(TimePoint deadline) {
  drain_deadline_ = deadline.time_since_epoch().count();
  stopping_ = true;
}

SinkRunner::Step SinkRunner::step() {
  const TimePoint now = clock_.now();
  const bool stopping = stopping_.load();
  const TimePoint deadline{util::Clock::duration(drain_deadline_.load())};
  if (stopping && now >= deadline) {
    // A window left open (overlapping syncs) commits, or goes back to its channel, before the
    // thread ends: its sink is stopped next.
    (void)processor_->flush();
    return {Step::Kind::kExit, {}};
  }
  auto bounded = [&](TimePoint t) { return stopping ? std::min(t, deadline) : t; };
  {
    std::lock_guard lock(state_mu_);
    if (state_ == State::kBackoff && now < retry_until_)
      return {Step::Kind::kSleepUntil, bounded(retry_until_)};
  }
  ProcessOutcome out = processor_->process();
  const TimePoint after = clock_.now();
  if (after - last_tick_ >= kTickInterval) {
    last_tick_ = after;
    // A tick may roll a sink's file: no window of it stays open across one.
    if (processor_->flush() == ProcessOutcome::kFailed) out = ProcessOutcome::kFailed;
    for (SinkSlot* s : processor_->slots())
      s->sink->tick(after);
  }
  std::lock_guard lock(state_mu_);
  switch (out) {
    case ProcessOutcome::kReady:
      backoff_.reset();
      state_ = State::kDelivering;
      return {Step::Kind::kAgain, {}};
    case ProcessOutcome::kBackoff:
      backoff_.reset();
      state_ = State::kIdle;
      if (stopping) {
        drained_ = true;
        return {Step::Kind::kExit, {}};
      }
      return {Step::Kind::kWaitForData, after + kTickInterval};
    case ProcessOutcome::kFailed:
      break;
  }
  // Every eligible sink failed. A processor with penalties knows when its first sink is due;
  // otherwise the runner's own back-off decides. A stop keeps retrying until its deadline.
  const TimePoint own = backoff_.failed(after);
  const auto due = processor_->retry_at();
  retry_until_ = due && *due > after ? *due : own;
  state_ = State::kBackoff;
  return {Step::Kind::kSleepUntil, bounded(retry_until_)};
}

void SinkRunner::sleep_until(TimePoint until) {
  std::unique_lock lock(sleep_mu_);
  const auto left = until - clock_.now();
  if (left <= util::Clock::duration::zero()) return;
  // Only stop() sets wake_: a channel's notification (a commit, or this runner's own rollback)
  // must not end a back-off.
  wake_cv_.wait_for(lock, left, [this] { return wake_; });
  wake_ = false;
}

void SinkRunner::run() {
  for (;;) {
    const Step s = step();
    switch (s.kind) {
      case Step::Kind::kAgain:
        continue;
      case Step::Kind::kExit: {
        std::lock_guard lock(exit_mu_);
        exited_ = true;
        exit_cv_.notify_all();
        return;
      }
      case Step::Kind::kWaitForData: {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(s.until - clock_.now());
        notifier_.wait_for(std::clamp(left, 0ms, std::chrono::milliseconds(kTickInterval)));
        break;
      }
      case Step::Kind::kSleepUntil:
        sleep_until(s.until);
        break;
    }
  }
}

bool SinkRunner::stop(std::chrono::milliseconds drain_timeout) {
  if (!started_) return drained_;
  const TimePoint deadline = clock_.now() + drain_timeout;
  begin_stop(deadline);
  notifier_.notify();
  {
    std::lock_guard lock(sleep_mu_);
    wake_ = true;
  }
  wake_cv_.notify_all();
  {
    // A delivery still running past the deadline (a dead peer, librdkafka waiting out its
    // message timeout) is interrupted so the stop stays bounded.
    std::unique_lock lock(exit_mu_);
    const auto wait =
        std::max(deadline - clock_.now(), util::Clock::duration::zero()) + kInterruptGrace;
    if (!exit_cv_.wait_for(lock, wait, [this] { return exited_; })) {
      lock.unlock();
      spdlog::warn(
          "sink runner {}: a delivery is still running at the drain deadline; "
          "interrupting it",
          name_);
      for (SinkSlot* s : processor_->slots())
        s->sink->interrupt();
    }
  }
  if (thread_.joinable()) thread_.join();
  for (SinkSlot* s : processor_->slots()) {
    s->channel->remove_waiter(&notifier_);
    s->wake = nullptr;
    s->sink->stop();
    s->sink->metrics().mark_stopped();
  }
  started_ = false;
  return drained_;
}

std::string SinkRunner::state() const {
  std::lock_guard lock(state_mu_);
  switch (state_) {
    case State::kIdle:
      return "idle";
    case State::kDelivering:
      return "delivering";
    case State::kBackoff:
      break;
  }
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(retry_until_ - clock_.now());
  return "backoff (" + std::to_string(backoff_.failures()) + " failures, next try in " +
         std::to_string(std::max<int64_t>(0, left.count())) + " ms)";
}

int SinkRunner::consecutive_failures() const {
  std::lock_guard lock(state_mu_);
  return backoff_.failures();
}

int64_t SinkRunner::next_try_in_ms() const {
  std::lock_guard lock(state_mu_);
  if (state_ != State::kBackoff) return 0;
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(retry_until_ - clock_.now());
  return std::max<int64_t>(0, left.count());
}

}  // namespace flumen::pipeline
