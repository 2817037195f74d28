#include "plugins/channels/file/rocksdb_logger.h"

#include <cstdio>

namespace flumen::plugins {

RocksDbLogger::RocksDbLogger(std::string channel)
    : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL),
      channel_(std::move(channel)),
      warnings_(std::chrono::seconds(30)),
      errors_(std::chrono::seconds(30)) {}

void RocksDbLogger::Logv(const char* format, va_list ap) {
  Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void RocksDbLogger::Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (level < rocksdb::InfoLogLevel::WARN_LEVEL || level == rocksdb::InfoLogLevel::HEADER_LEVEL)
    return;
  char line[1024];
  std::vsnprintf(line, sizeof line, format, ap);
  if (level == rocksdb::InfoLogLevel::WARN_LEVEL)
    warnings_.warn("file channel {}: rocksdb: {}", channel_, line);
  else
    errors_.error("file channel {}: rocksdb: {}", channel_, line);
}

}  // namespace flumen::plugins
