#include "agent/util/logging.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace flumen::util {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

Error bad(std::string message) {
  return make_error(ErrorCode::kInvalidConfig, std::move(message));
}

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  using spdlog::level::level_enum;
  const std::string n = lower(trim(name));
  if (n == "trace" || n == "all") return level_enum::trace;
  if (n == "debug") return level_enum::debug;
  if (n == "info") return level_enum::info;
  if (n == "warn" || n == "warning") return level_enum::warn;
  if (n == "error" || n == "err") return level_enum::err;
  if (n == "fatal" || n == "critical") return level_enum::critical;
  if (n == "off") return level_enum::off;
  return std::nullopt;
}

Result<LogOptions> apply_flume_logging_properties(LogOptions opts,
                                                  const std::map<std::string, std::string>& props) {
  auto root = props.find("flume.root.logger");
  if (root == props.end()) return opts;
  const std::string& value = root->second;
  const size_t comma = value.find(',');
  std::string_view level = trim(std::string_view(value).substr(0, comma));
  std::string_view appender = comma == std::string::npos
                                  ? std::string_view()
                                  : trim(std::string_view(value).substr(comma + 1));
  if (!parse_log_level(level))
    return bad("-Dflume.root.logger=" + value + ": unknown level '" + std::string(level) +
               "' (use one of " + kLogLevelNames + ")");
  if (!opts.level_given) opts.level = std::string(level);
  const std::string a = lower(appender);
  if (a == "logfile") {
    if (opts.file.empty()) {
      auto dir = props.find("flume.log.dir");
      auto file = props.find("flume.log.file");
      std::filesystem::path p = dir != props.end() ? dir->second : "./logs";
      p /= file != props.end() ? file->second : "flume.log";
      opts.file = p.string();
    }
  } else if (!a.empty() && a != "console") {
    return bad("-Dflume.root.logger=" + value + ": unknown appender '" + std::string(appender) +
               "' (use console or LOGFILE)");
  }
  return opts;
}

Result<spdlog::level::level_enum> effective_level(const LogOptions& opts) {
  auto level = parse_log_level(opts.level);
  if (!level)
    return bad("unknown log level '" + opts.level + "' (use one of " + kLogLevelNames + ")");
  if (*level == spdlog::level::off) return *level;  // -v does not turn logging back on
  int l = static_cast<int>(*level) - opts.verbosity;
  l = std::clamp(l, static_cast<int>(spdlog::level::trace),
                 static_cast<int>(spdlog::level::critical));
  return static_cast<spdlog::level::level_enum>(l);
}

Status configure_logging(const LogOptions& opts) {
  auto level = effective_level(opts);
  if (!level) return level.error();
  std::shared_ptr<spdlog::logger> logger;
  if (opts.file.empty()) {
    logger = spdlog::stderr_color_mt("flumen");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  } else {
    std::error_code ec;
    const auto parent = std::filesystem::path(opts.file).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    try {
      logger =
          spdlog::rotating_logger_mt("flumen", opts.file, static_cast<size_t>(opts.max_file_bytes),
                                     static_cast<size_t>(opts.max_files));
    } catch (const spdlog::spdlog_ex& e) {
      return make_error(ErrorCode::kIo, "log file " + opts.file + ": " + e.what());
    }
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %-5l %v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(level.value());
  spdlog::flush_on(spdlog::level::info);
  return {};
}

}  // namespace flumen::util
