#pragma once
// The running agent as the control loop sees it (cli/control_loop.h): a reload loads the conf
// again and applies it only when it validates completely; otherwise the problems are logged and
// the running pipeline goes on untouched.

#include <functional>
#include <optional>

#include "agent/config/diagnostics.h"
#include "agent/runtime/agent.h"
#include "agent/runtime/agent_config.h"
#include "agent/runtime/config_summary.h"
#include "cli/control_loop.h"

namespace flumen::cli {

// Each problem as "file:line: message" at its own level: the log line already says "error" or
// "warning", so the text must not say it again.
void log_diagnostics(const config::Diagnostics& diags);

class ReloadableAgent : public ControlledPipeline {
 public:
  // Reads the conf files again, their problems into the diagnostics (whose strictness it sets);
  // nullopt on errors.
  using Loader = std::function<std::optional<runtime::AgentConfig>(config::Diagnostics&)>;

  // `running` holds the fingerprints of what `agent` runs now (it has applied a conf already).
  ReloadableAgent(runtime::Agent& agent, runtime::Fingerprints running, Loader load);

  bool reload() override;
  bool stop(std::chrono::milliseconds drain_timeout) override;

 private:
  runtime::Agent& agent_;
  runtime::Fingerprints running_;
  Loader load_;
};

}  // namespace flumen::cli
