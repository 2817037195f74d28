#pragma once
// PartitionLog: one partition's append-only log of the producers' record batches, as received.
//
// On-disk layout, in the partition's directory (<data-dir>/<topic>-<partition>/):
//   <base offset, 20 digits>.log        batches back to back, base offsets rewritten on append
//   <base offset, 20 digits>.index      sparse offset index: (relative offset u32, position u32)
//                                       big-endian, one entry per index-interval bytes of log
//   <base offset, 20 digits>.timeindex  (max timestamp i64, relative offset u32) big-endian, one
//                                       entry each time a batch raises the segment's max timestamp
//                                       at an index point
//   log-start-offset                    the log start offset DeleteRecords set, decimal text;
//                                       absent: the first segment's base
// A segment is named after the first offset it holds. Indexes are hints: a lookup lands at or
// before the wanted batch and the batch headers are scanned from there.
//
// Recovery: the last segment is scanned from its last index entry to its end; each batch's
// length and CRC-32C are checked and the log is truncated at the first torn or corrupt batch
// (a crash in the middle of an append). Older segments and their indexes are trusted (an index
// whose size is not a whole number of entries is rebuilt by a scan).
//
// Threads: not thread-safe; the broker's loop owns every log.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/util/result.h"
#include "broker/protocol/record_batch.h"

namespace flumen::broker {

struct LogConfig {
  int64_t segment_bytes = 1 << 30;          // roll when the active segment reaches this size
  int64_t segment_ms = 7LL * 24 * 3600000;  // ... or this age
  int64_t retention_bytes = -1;             // delete old segments beyond this size (-1 = no limit)
  int64_t retention_ms = 7LL * 24 * 3600000;  // ... or older than this (-1 = forever)
  int64_t index_interval_bytes = 4096;
  int64_t max_message_bytes = 1048588;
  bool log_append_time = false;  // message.timestamp.type=LogAppendTime
  // Which of the members above the broker's conf file set (a LogConfigKey bit each), so that
  // DescribeConfigs can say STATIC_BROKER_CONFIG for those and DEFAULT_CONFIG for the rest,
  // as Kafka does.
  uint32_t set_in_conf = 0;
};

enum LogConfigKey : uint32_t {
  kConfSegmentBytes = 1u << 0,
  kConfSegmentMs = 1u << 1,
  kConfRetentionBytes = 1u << 2,
  kConfRetentionMs = 1u << 3,
  kConfIndexIntervalBytes = 1u << 4,
  kConfMaxMessageBytes = 1u << 5,
};

class PartitionLog {
 public:
  static Result<std::unique_ptr<PartitionLog>> open(const std::string& dir, LogConfig config);
  ~PartitionLog();
  PartitionLog(const PartitionLog&) = delete;
  PartitionLog& operator=(const PartitionLog&) = delete;

  const LogConfig& config() const { return config_; }
  // A topic's configs changed (AlterConfigs): applies from the next append, roll and retention.
  void set_config(const LogConfig& c) { config_ = c; }

  int64_t log_start_offset() const;
  int64_t log_end_offset() const { return next_offset_; }
  uint64_t size_bytes() const;
  size_t segment_count() const { return segments_.size(); }
  // Bytes truncated from a torn tail when the log was opened.
  uint64_t recovered_truncation() const { return truncated_bytes_; }

  // Appends one validated batch with its base offset set to the log end offset (the stored
  // bytes differ from `batch_in` only there and in the leader epoch), to the page cache.
  // Returns the base offset it got.
  Result<int64_t> append(std::string_view batch_in);
  // fsyncs what was appended since the last flush (acks=all).
  Status flush();
  // For an fsync off the loop: a duplicate of the active segment's descriptor when something
  // was appended since the last one (the caller syncs and closes it), else -1. Marks it clean.
  int take_dirty_fd();
  // After a failed fsync: what was taken must be synced again by the next round.
  void mark_dirty() { dirty_ = true; }
  bool dirty() const { return dirty_; }

  // Whole batches from the one containing `offset` on, appended to `out` while the total stays
  // within max_bytes; the first batch is returned even when larger (KIP-74) if `at_least_one`.
  Status read(int64_t offset, size_t max_bytes, bool at_least_one, std::string& out) const;

  // The offset of the first record whose timestamp is >= ts (-1 when none), and its timestamp.
  // In a compressed batch: the batch's base offset and max timestamp.
  int64_t offset_for_timestamp(int64_t ts, int64_t& found_timestamp) const;
  // The offset of the record with the largest timestamp (-1 when empty), and that timestamp.
  int64_t offset_of_max_timestamp(int64_t& found_timestamp) const;

  // Calls `visit` with the header of every batch of the last `segments` segments, oldest first
  // (the broker rebuilds its idempotent producers' sequences from them at start-up).
  void visit_recent_batches(size_t segments,
                            const std::function<void(const BatchHeader&)>& visit) const;

  // DeleteRecords: moves the log start offset up to `offset` (at most the log end offset),
  // persists it (synced) before anything is deleted, then deletes the segments wholly below it
  // (rolling the active one first when it is). A lower offset changes nothing. Returns the log
  // start offset after the call.
  Result<int64_t> advance_start(int64_t offset);

  // Deletes whole segments past retention (never the active one); returns how many.
  int enforce_retention(int64_t now_ms);

  // Deletes every file of the log (topic deletion).
  void destroy();

 private:
  struct Segment;
  PartitionLog(std::string dir, LogConfig config);
  Status load();
  Status open_segment(int64_t base, bool create);
  Status roll();
  Status recover_tail(Segment& s);
  Status rebuild_index(Segment& s, uint64_t from_position, bool verify);
  const Segment* segment_for(int64_t offset) const;
  void index_batch(Segment& s, int64_t base_offset, int64_t max_timestamp, uint64_t position);

  std::string dir_;
  LogConfig config_;
  std::vector<std::unique_ptr<Segment>> segments_;  // by base offset
  int64_t next_offset_ = 0;
  int64_t start_offset_ = 0;  // DeleteRecords' start; the first segment's base may be lower
  bool dirty_ = false;
  uint64_t truncated_bytes_ = 0;
};

}  // namespace flumen::broker
