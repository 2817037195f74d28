#pragma once
#include <cstdint>
#include <string>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct FileChannelOptions {
  std::string data_dirs;
  std::string checkpoint_dir;
  int64_t capacity = 1'000'000;
  int64_t transaction_capacity = 10'000;
  int64_t keep_alive_seconds = 3;
  int64_t minimum_required_space = 524'288'000;
  bool fsync_per_transaction = true;
  int64_t fsync_interval_seconds = 5;
  int64_t group_commit_window_us = 0;
  int64_t write_buffer_mb = 64;
  std::string compression = "none";
  bool exactly_once = true;
  // Flume keys that have no meaning here; accepted so Flume confs run unchanged.
  int64_t checkpoint_interval = 30000;
  int64_t max_file_size = 2146435071;
  bool use_dual_checkpoints = false;
  std::string backup_checkpoint_dir;
  bool checkpoint_on_close = true;
  bool use_log_replay_v1 = false;
  bool use_fast_replay = false;

  // The directory of the RocksDB database: the first of dataDirs.
  std::string database_dir(const std::string& channel_name) const;
};

const config::PropertyTable<FileChannelOptions>& file_channel_table();
void validate(const FileChannelOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
