#include "cli/reloadable_agent.h"

#include <spdlog/spdlog.h>

namespace flumen::cli {

void log_diagnostics(const config::Diagnostics& diags) {
  for (const auto& d : diags.sorted()) {
    std::string where = d.where.file.empty() ? std::string("<config>") : d.where.file;
    if (d.where.line > 0) where += ":" + std::to_string(d.where.line);
    spdlog::log(d.severity == config::Severity::kError ? spdlog::level::err : spdlog::level::warn,
                "{}: {}", where, d.message);
  }
}

ReloadableAgent::ReloadableAgent(runtime::Agent& agent, runtime::Fingerprints running, Loader load)
    : agent_(agent), running_(std::move(running)), load_(std::move(load)) {}

bool ReloadableAgent::reload() {
  config::Diagnostics diags;
  auto cfg = load_(diags);
  log_diagnostics(diags);
  if (!cfg) {
    spdlog::error("reload refused: {} configuration error(s); the running pipeline is unchanged",
                  diags.error_count());
    return false;
  }
  runtime::Fingerprints next = runtime::fingerprints_of(*cfg);
  const std::string changes = runtime::describe_changes(running_, next);
  running_ = std::move(next);  // only for the next reload's log line: apply() diffs by itself
  if (Status s = agent_.apply(std::move(*cfg)); !s)
    spdlog::error("reload applied with failures ({}): {}", changes, s.message());
  else
    spdlog::info("reload applied ({})", changes);
  return true;
}

bool ReloadableAgent::stop(std::chrono::milliseconds drain_timeout) {
  return agent_.stop(drain_timeout);
}

}  // namespace flumen::cli
