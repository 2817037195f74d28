#pragma once
// The agent's main thread once the pipeline runs: it waits for a signal, looks at the conf files'
// modification times every poll interval, reloads on SIGHUP or a change, and on SIGTERM or
// SIGINT stops the pipeline (sources first, then the sinks drain) and gives the exit code.
//
// What it waits on (clock, signals, files) and what it acts on (the pipeline) are interfaces:
// agent_command.cc passes the process's own (cli/process_environment.h) and a ReloadableAgent
// (cli/reloadable_agent.h); the unit tests drive it with a fake clock, scripted signals and file
// changes, without sleeping (tests/unit/cli/control_loop_test.cc).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace flumen::cli {

// The loop's view of the process. Called from the loop's thread only.
class ControlEnvironment {
 public:
  virtual ~ControlEnvironment() = default;
  virtual std::chrono::steady_clock::time_point now() = 0;
  // Waits up to `timeout` for SIGHUP, SIGTERM or SIGINT: the signal's number, or 0 when none
  // came (a timeout or an interrupted wait).
  virtual int wait_signal(std::chrono::milliseconds timeout) = 0;
  // One value per conf file that changes when the file does (its mtime; -1 when unreadable).
  virtual std::vector<int64_t> conf_versions() = 0;
};

// What the loop acts on. Called from the loop's thread only.
class ControlledPipeline {
 public:
  virtual ~ControlledPipeline() = default;
  // Re-reads the conf and applies it only when it validates; otherwise the running pipeline
  // stays as it is. False when the conf was refused.
  virtual bool reload() = 0;
  // Stops the sources, then lets the sinks drain for up to `drain_timeout`: true when they did.
  virtual bool stop(std::chrono::milliseconds drain_timeout) = 0;
};

struct ControlOptions {
  std::vector<std::string> conf_files;  // the log names the ones that changed
  bool reload_conf = true;              // false: only SIGHUP reloads (--no-reload-conf)
  std::chrono::seconds poll_interval{30};
  std::chrono::milliseconds drain_timeout{10'000};
  // The longest one wait for a signal lasts, so a poll is at most this late.
  std::chrono::milliseconds tick{200};
};

// Runs until SIGTERM or SIGINT; returns kExitOk when the sinks drained, kExitDrainTimeout when
// they did not.
int run_control_loop(ControlEnvironment& env, ControlledPipeline& pipeline,
                     const ControlOptions& options);

}  // namespace flumen::cli
