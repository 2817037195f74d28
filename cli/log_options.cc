#include "cli/log_options.h"

#include <CLI/CLI.hpp>

#include <iostream>

#include "agent/util/units.h"
#include "cli/commands.h"

namespace flumen::cli {

void add_log_options(CLI::App* cmd, util::LogOptions& opts) {
  cmd->add_option("--log-level", opts.level,
                  std::string("Log level: ") + util::kLogLevelNames +
                      " (any case; Flume's -Dflume.root.logger=LEVEL,console|LOGFILE also works)")
      ->check(CLI::Validator(
          [](const std::string& v) {
            return util::parse_log_level(v)
                       ? std::string()
                       : "unknown log level '" + v + "' (use one of " + util::kLogLevelNames + ")";
          },
          "LEVEL", "log level"))
      ->each([&opts](const std::string&) { opts.level_given = true; })
      ->capture_default_str();
  cmd->add_flag(
      "-v,--verbose", [&opts](int64_t n) { opts.verbosity += static_cast<int>(n); },
      "One level more detail per -v (info -> debug -> trace)");
  cmd->add_flag(
      "-q,--quiet", [&opts](int64_t n) { opts.verbosity -= static_cast<int>(n); },
      "One level less per -q (info -> warn -> error)");
  cmd->add_option("--log-file", opts.file,
                  "Write the log to this file instead of stderr, rotated by size");
  cmd->add_option_function<std::string>(
         "--log-max-size",
         [&opts](const std::string& v) {
           auto size = util::parse_size(v);
           if (!size || size.value() < 1024)
             throw CLI::ValidationError("--log-max-size",
                                        size ? "at least 1k" : size.error().message);
           opts.max_file_bytes = size.value();
         },
         "Rotate the log file at this size (default 100MB)")
      ->type_name("SIZE");
  cmd->add_option("--log-max-files", opts.max_files, "Rotated log files kept (default 10)")
      ->check(CLI::Range(1, 1000));
}

int start_logging(util::LogOptions opts, const std::map<std::string, std::string>& sys_props) {
  auto merged = util::apply_flume_logging_properties(std::move(opts), sys_props);
  if (!merged) {
    std::cerr << "flumen: " << merged.error().message << "\n";
    return kExitUsage;
  }
  if (Status s = util::configure_logging(merged.value()); !s) {
    std::cerr << "flumen: " << s.message() << "\n";
    return s.code() == ErrorCode::kInvalidConfig ? kExitUsage : kExitStartFailed;
  }
  return kExitOk;
}

}  // namespace flumen::cli
