#pragma once
// The logging options every long-running subcommand (agent, broker) takes, and how they combine
// with Flume's -Dflume.root.logger: --log-level wins over the property, -v/-q move the result.

#include <map>
#include <string>

#include "agent/util/logging.h"

namespace CLI {
class App;
}

namespace flumen::cli {

void add_log_options(CLI::App* cmd, util::LogOptions& opts);

// Installs the logger from the options and the -D properties. Returns 0, or the exit code after
// printing why (2: an unknown level or appender; 3: the log file cannot be opened).
int start_logging(util::LogOptions opts, const std::map<std::string, std::string>& sys_props);

}  // namespace flumen::cli
