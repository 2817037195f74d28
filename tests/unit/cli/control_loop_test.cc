#include "cli/control_loop.h"

#include <doctest/doctest.h>
#include <signal.h>

#include <deque>
#include <utility>

#include "cli/exit_codes.h"

namespace flumen::cli {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A process on a script: signals and conf file changes at times since the start. A wait moves
// the clock to the next signal, or by its whole timeout when none comes before; nothing sleeps.
class ScriptedEnvironment : public ControlEnvironment {
 public:
  void signal_at(Clock::duration at, int sig) { signals_.emplace_back(start_ + at, sig); }
  void conf_changes_at(Clock::duration at) { changes_.push_back(start_ + at); }

  Clock::time_point now() override { return now_; }
  Clock::duration elapsed() const { return now_ - start_; }

  int wait_signal(std::chrono::milliseconds timeout) override {
    CHECK(timeout == 200ms);  // a poll is never more than one tick late
    const auto until = now_ + timeout;
    if (!signals_.empty() && signals_.front().first <= until) {
      now_ = std::max(now_, signals_.front().first);
      const int sig = signals_.front().second;
      signals_.pop_front();
      return sig;
    }
    now_ = until;
    if (elapsed() > 24h) {  // the script's SIGTERM was not acted on
      FAIL("the loop did not stop");
      return SIGTERM;
    }
    return 0;
  }

  // The one conf file's version: how many changes the script has made by now.
  std::vector<int64_t> conf_versions() override {
    int64_t version = 0;
    for (auto at : changes_)
      if (at <= now_) ++version;
    return {version};
  }

 private:
  Clock::time_point start_ = Clock::time_point() + 1000h;  // any fixed point
  Clock::time_point now_ = start_;
  std::deque<std::pair<Clock::time_point, int>> signals_;
  std::vector<Clock::time_point> changes_;
};

// Records when the loop reloaded and how it stopped.
class RecordingPipeline : public ControlledPipeline {
 public:
  explicit RecordingPipeline(ScriptedEnvironment& env) : env_(env) {}

  bool reload() override {
    reloads.push_back(env_.elapsed());
    return conf_valid;
  }
  bool stop(std::chrono::milliseconds drain_timeout) override {
    CHECK(stops == 0);
    ++stops;
    stopped_with = drain_timeout;
    return drains;
  }

  bool conf_valid = true;
  bool drains = true;
  std::vector<Clock::duration> reloads;
  int stops = 0;
  std::chrono::milliseconds stopped_with{-1};

 private:
  ScriptedEnvironment& env_;
};

ControlOptions options_polling_every(std::chrono::seconds interval) {
  ControlOptions o;
  o.conf_files = {"/etc/flumen/a1.conf"};
  o.poll_interval = interval;
  o.drain_timeout = 7s;
  return o;
}

using Reloads = std::vector<Clock::duration>;

TEST_CASE("control loop: SIGHUP reloads at once, without waiting for the poll") {
  ScriptedEnvironment env;
  RecordingPipeline pipeline(env);
  env.signal_at(1s, SIGHUP);
  env.signal_at(1500ms, SIGHUP);
  env.signal_at(2s, SIGTERM);
  CHECK(run_control_loop(env, pipeline, options_polling_every(30s)) == kExitOk);
  CHECK(pipeline.reloads == Reloads{1s, 1500ms});
}

TEST_CASE("control loop: a changed conf file reloads at the next poll, once") {
  ScriptedEnvironment env;
  RecordingPipeline pipeline(env);
  env.conf_changes_at(5s);
  env.signal_at(100s, SIGTERM);
  CHECK(run_control_loop(env, pipeline, options_polling_every(30s)) == kExitOk);
  // Seen at the poll at 30 s; the polls at 60 and 90 s find nothing new.
  CHECK(pipeline.reloads == Reloads{30s});
}

TEST_CASE("control loop: an unchanged conf is never reloaded") {
  ScriptedEnvironment env;
  RecordingPipeline pipeline(env);
  env.signal_at(1h, SIGTERM);
  CHECK(run_control_loop(env, pipeline, options_polling_every(1s)) == kExitOk);
  CHECK(pipeline.reloads.empty());
  CHECK(env.elapsed() == 1h);
}

TEST_CASE("control loop: with --no-reload-conf a change waits for SIGHUP") {
  ScriptedEnvironment env;
  RecordingPipeline pipeline(env);
  env.conf_changes_at(5s);
  env.signal_at(100s, SIGHUP);
  env.signal_at(200s, SIGTERM);
  auto options = options_polling_every(30s);
  options.reload_conf = false;
  CHECK(run_control_loop(env, pipeline, options) == kExitOk);
  CHECK(pipeline.reloads == Reloads{100s});
}

TEST_CASE("control loop: a change a SIGHUP's reload has read does not reload again") {
  ScriptedEnvironment env;
  RecordingPipeline pipeline(env);
  env.conf_changes_at(5s);
  env.signal_at(10s, SIGHUP);
  env.conf_changes_at(40s);
  env.signal_at(100s, SIGTERM);
  CHECK(run_control_loop(env, pipeline, options_polling_every(30s)) == kExitOk);
  // The poll at 30 s finds what the SIGHUP read; the one at 60 s the change at 40 s.
  CHECK(pipeline.reloads == Reloads{10s, 60s});
}

TEST_CASE("control loop: a conf refused on reload is not retried at every poll") {
  ScriptedEnvironment env;
  RecordingPipeline pipeline(env);
  pipeline.conf_valid = false;  // the pipeline keeps running as it was
  env.conf_changes_at(5s);
  env.conf_changes_at(70s);  // the next edit
  env.signal_at(200s, SIGTERM);
  CHECK(run_control_loop(env, pipeline, options_polling_every(30s)) == kExitOk);
  CHECK(pipeline.reloads == Reloads{30s, 90s});
  CHECK(pipeline.stops == 1);
}

TEST_CASE("control loop: SIGTERM and SIGINT drain the sinks, then give the exit code") {
  for (int sig : {SIGTERM, SIGINT}) {
    for (bool drains : {true, false}) {
      CAPTURE(sig);
      CAPTURE(drains);
      ScriptedEnvironment env;
      RecordingPipeline pipeline(env);
      pipeline.drains = drains;
      env.signal_at(3s, sig);
      env.signal_at(4s, SIGHUP);  // after the stop: never acted on
      CHECK(run_control_loop(env, pipeline, options_polling_every(30s)) ==
            (drains ? kExitOk : kExitDrainTimeout));
      CHECK(pipeline.stops == 1);
      CHECK(pipeline.stopped_with == 7s);
      CHECK(pipeline.reloads.empty());
      CHECK(env.elapsed() == 3s);
    }
  }
}

}  // namespace
}  // namespace flumen::cli
