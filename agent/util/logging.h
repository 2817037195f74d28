#pragma once
// How the flumen process logs: one spdlog logger "flumen" writing "time level message" lines to
// stderr or to a size-rotated file. The level names are Flume's and log4j's (TRACE, DEBUG, INFO,
// WARN, ERROR, FATAL, OFF, ALL) as well as spdlog's, in any case, so `--log-level WARN` and
// `-Dflume.root.logger=DEBUG,console` both work; an unknown name is refused, never taken as "off".
//
// Threads: configure_logging() runs once on the main thread before other threads start.

#include <spdlog/common.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "agent/util/result.h"

namespace flumen::util {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);
// The names parse_log_level accepts, for help texts and errors.
inline constexpr const char* kLogLevelNames = "trace, debug, info, warn, error, fatal, off";

struct LogOptions {
  std::string level = "info";
  bool level_given = false;  // --log-level on the command line (wins over flume.root.logger)
  int verbosity = 0;         // +1 per -v (info -> debug -> trace), -1 per -q (-> warn -> error)
  std::string file;          // empty: stderr
  int64_t max_file_bytes = 100LL * 1024 * 1024;  // log4j's MaxFileSize in Flume's log4j2.xml
  int max_files = 10;                            // rotated files kept beside the current one
};

// Folds Flume's system properties into `opts`: flume.root.logger = LEVEL[,console|LOGFILE]
// (LOGFILE writes to ${flume.log.dir}/${flume.log.file}, by default ./logs/flume.log, as
// Flume's log4j2.xml does). Fails with the offending value when the level or the appender is
// unknown.
Result<LogOptions> apply_flume_logging_properties(LogOptions opts,
                                                  const std::map<std::string, std::string>& props);

// The level after -v/-q are applied to opts.level.
Result<spdlog::level::level_enum> effective_level(const LogOptions& opts);

// Installs the logger. Fails when the level is unknown or the log file cannot be opened.
Status configure_logging(const LogOptions& opts);

}  // namespace flumen::util
