#pragma once
// RocksDB's messages in flumen's log instead of RocksDB's own LOG file. That file lives in the
// channel's directory: on a full disk its writer fails, and the next message RocksDB logs to it
// (a failed flush reports itself) hits an assertion inside RocksDB and aborts the agent. With
// this logger RocksDB never writes a LOG file. Warnings and errors only, each level throttled
// (a flush that fails once a second while the disk is full is one line, then a summary).

#include <rocksdb/env.h>

#include <string>

#include "agent/util/log_throttle.h"

namespace flumen::plugins {

class RocksDbLogger : public rocksdb::Logger {
 public:
  explicit RocksDbLogger(std::string channel);
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override;

 private:
  std::string channel_;
  util::LogThrottle warnings_, errors_;
};

}  // namespace flumen::plugins
