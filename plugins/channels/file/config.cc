#include "plugins/channels/file/config.h"

#include <cstdlib>

namespace flumen::plugins {

std::string FileChannelOptions::database_dir(const std::string& channel_name) const {
  std::string first = data_dirs.substr(0, data_dirs.find(','));
  first = std::string(config::trim(first));
  if (!first.empty()) return first;
  // A Flume conf that names only checkpointDir still gets a directory of its own, not the
  // shared default (two agents on one host would collide there).
  std::string checkpoint(config::trim(checkpoint_dir));
  if (!checkpoint.empty()) return checkpoint;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.flumen/file-channel/" + channel_name;
}

const config::PropertyTable<FileChannelOptions>& file_channel_table() {
  using T = FileChannelOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("dataDirs", &T::data_dirs, "",
                  "Directory of the channel's RocksDB database (its data and write-ahead log); "
                  "with a comma-separated list the first is used. Default: checkpointDir if "
                  "set, else ~/.flumen/file-channel/<channel>.")
          .string("checkpointDir", &T::checkpoint_dir, "",
                  "Flume's checkpoint directory: the database when dataDirs is not set (the "
                  "database is its own checkpoint: no separate checkpoint, no replay).")
          .integer("capacity", &T::capacity, "1000000", 1, 10'000'000'000LL,
                   "Maximum events held (queued plus taken by open transactions).")
          .integer("transactionCapacity", &T::transaction_capacity, "10000", 1, 10'000'000,
                   "Maximum events in one put or take transaction.")
          .integer("keep-alive", &T::keep_alive_seconds, "3", 0, 3600,
                   "Seconds a put waits for free capacity before failing with channel full.")
          .integer("minimumRequiredSpace", &T::minimum_required_space, "524288000", 1'048'576,
                   INT64_MAX,
                   "Bytes that must stay free on the data disk; below it puts fail "
                   "(backpressure) until space returns.")
          .boolean("fsyncPerTransaction", &T::fsync_per_transaction, "true",
                   "Sync every put commit before it returns (concurrent commits share one sync).")
          .integer("fsyncInterval", &T::fsync_interval_seconds, "5", 1, 3600,
                   "With fsyncPerTransaction false: longest time between syncs, in seconds.")
          .integer("groupCommitWindowMicros", &T::group_commit_window_us, "0", 0, 100'000,
                   "flumen: microseconds a commit waits for others to share its sync; 0 = "
                   "adaptive: when the last sync was shared by several commits, up to half a "
                   "sync's time (at most 200), else none.")
          .integer("rocksdb.writeBufferSizeMB", &T::write_buffer_mb, "64", 1, 4096,
                   "flumen: RocksDB memtable size; bigger absorbs longer bursts before a flush.")
          .boolean("exactlyOnce", &T::exactly_once, "true",
                   "flumen: keep what sources and sinks commit with their events (read "
                   "positions, offsets, forward batch numbers, files' committed lengths), so a "
                   "kill -9 neither loses nor repeats an event; false: at least once, and one "
                   "write less per forward sink take.")
          .one_of("rocksdb.compression", &T::compression, "none", {"none", "lz4", "zstd"},
                  "flumen: compression of the database's table files.")
          .integer("checkpointInterval", &T::checkpoint_interval, "30000", 0, INT64_MAX,
                   "Accepted for Flume compatibility; no effect.")
          .integer("maxFileSize", &T::max_file_size, "2146435071", 0, INT64_MAX,
                   "Accepted for Flume compatibility; no effect.")
          .boolean("useDualCheckpoints", &T::use_dual_checkpoints, "false",
                   "Accepted for Flume compatibility; no effect.")
          .string("backupCheckpointDir", &T::backup_checkpoint_dir, "",
                  "Accepted for Flume compatibility; no effect.")
          .boolean("checkpointOnClose", &T::checkpoint_on_close, "true",
                   "Accepted for Flume compatibility; no effect.")
          .boolean("use-log-replay-v1", &T::use_log_replay_v1, "false",
                   "Accepted for Flume compatibility; no effect.")
          .boolean("use-fast-replay", &T::use_fast_replay, "false",
                   "Accepted for Flume compatibility; no effect.");
  return table;
}

void validate(const FileChannelOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  // The database directory (created with its parents at start) must be writable: said now, not
  // as a failed start.
  std::string name = where.key_prefix;  // "a1.channels.c1."
  if (!name.empty() && name.back() == '.') name.pop_back();
  name = name.substr(name.rfind('.') + 1);
  const std::string dir = o.database_dir(name);
  if (auto why = config::check_writable(dir, config::PathUse::kWritableDir))
    diags.error(where.where, where.description + ": its database directory " + dir +
                                 " cannot be written: " + *why);
  if (o.transaction_capacity > o.capacity)
    diags.error(where.where, where.description + ": transactionCapacity (" +
                                 std::to_string(o.transaction_capacity) +
                                 ") must not exceed capacity (" + std::to_string(o.capacity) + ")");
}

}  // namespace flumen::plugins
