#pragma once
// The control loop's environment in the process (cli/control_loop.h): the steady clock, SIGHUP,
// SIGTERM and SIGINT taken with sigtimedwait, and the conf files' modification times.

#include <signal.h>

#include "cli/control_loop.h"

namespace flumen::cli {

class ProcessEnvironment : public ControlEnvironment {
 public:
  // Blocks the three signals in the calling thread, so that they wait for sigtimedwait here.
  // Construct it before any other thread starts: threads inherit the mask, so none of them is
  // interrupted by these signals. Also ignores SIGPIPE (a peer closing a socket).
  explicit ProcessEnvironment(std::vector<std::string> conf_files);

  std::chrono::steady_clock::time_point now() override;
  int wait_signal(std::chrono::milliseconds timeout) override;
  std::vector<int64_t> conf_versions() override;

 private:
  std::vector<std::string> conf_files_;
  sigset_t signals_;
};

}  // namespace flumen::cli
