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
//   cleaner-offset-checkpoint           compacted topics: the first offset the cleaner has not
//                                       deduplicated yet (decimal text; absent: the log start)
//   cleaner-swap, *.cleaned             a clean being swapped in (see segment_swap.h)
// A segment is named after the first offset it holds. Indexes are hints: a lookup lands at or
// before the wanted batch and the batch headers are scanned from there.
//
// Compaction (cleanup.policy=compact) rewrites segments other than the active one: their batches
// keep their offsets, so a segment's offsets can have gaps (a batch may hold fewer records than
// its offset range, or none) and reads land on the next offset that exists.
//
// Recovery: a swap of cleaned segments that a crash interrupted is completed first, an
// unfinished clean deleted (segment_swap.h). Then the last segment is scanned from its last index
// entry to its end; each batch's length and CRC-32C are checked and the log is truncated at the
// first torn or corrupt batch (a crash in the middle of an append). Older segments and their
// indexes are trusted (an index whose size is not a whole number of entries is rebuilt by a scan).
//
// Threads: not thread-safe; the broker's loop owns every log.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/util/result.h"
#include "broker/protocol/record_batch.h"

namespace flumen::broker {

inline constexpr int kStoreAsProduced = -1;

struct LogConfig {
  int64_t segment_bytes = 1 << 30;          // roll when the active segment reaches this size
  int64_t segment_ms = 7LL * 24 * 3600000;  // ... or this age
  int64_t retention_bytes = -1;             // delete old segments beyond this size (-1 = no limit)
  int64_t retention_ms = 7LL * 24 * 3600000;  // ... or older than this (-1 = forever)
  int64_t index_interval_bytes = 4096;
  int64_t max_message_bytes = 1048588;
  bool log_append_time = false;  // message.timestamp.type=LogAppendTime
  // compression.type: the codec every batch is stored with (0-4, recompressed on produce when
  // a batch has another), or kStoreAsProduced ("producer", the default).
  int compression_codec = kStoreAsProduced;
  // cleanup.policy: delete (retention deletes old segments), compact (the cleaner keeps the
  // latest record per key), or both.
  bool cleanup_delete = true;
  bool cleanup_compact = false;
  double min_cleanable_dirty_ratio = 0.5;
  int64_t delete_retention_ms = 86400000;  // tombstones and markers outlive their clean this long
  int64_t min_compaction_lag_ms = 0;       // records younger than this are not compacted
  int64_t max_compaction_lag_ms = INT64_MAX;  // ... and older ones are, whatever the ratio
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
  kConfCleanupPolicy = 1u << 6,
  kConfMinCleanableRatio = 1u << 7,
  kConfDeleteRetentionMs = 1u << 8,
  kConfMinCompactionLagMs = 1u << 9,
  kConfMaxCompactionLagMs = 1u << 10,
};

// One segment as the cleaner plans with it.
struct SegmentInfo {
  int64_t base = 0;
  int64_t next_offset = 0;  // one past its last offset (the next segment's base)
  uint64_t size = 0;
  int64_t max_timestamp = -1;
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

  // Deletes whole segments past retention (never the active one); returns how many. Nothing for a
  // compact-only topic.
  int enforce_retention(int64_t now_ms);

  // For the cleaner (compacted topics). Every segment, oldest first; the last is the active one.
  std::vector<SegmentInfo> segment_infos() const;
  // A duplicate of a segment's log descriptor (the caller closes it), -1 when there is none.
  int dup_segment_fd(int64_t base) const;
  const std::string& dir() const { return dir_; }
  // The first offset the cleaner has not deduplicated (cleaner-offset-checkpoint), at least
  // the log start offset.
  int64_t clean_offset() const { return std::max(clean_offset_, log_start_offset()); }
  // Persists it (not synced: a lost checkpoint only makes the next clean redo work).
  Status set_clean_offset(int64_t offset);
  // Replaces the segments with base offsets in [base, end) by the cleaned files the cleaner
  // wrote (<base>.*.cleaned), through the crash-safe swap of segment_swap.h. `expected` lists
  // the replaced segments as the cleaner read them (base, size): when the log changed since
  // (retention, DeleteRecords), nothing is swapped and kUnavailable is returned.
  Status swap_in_cleaned(int64_t base, int64_t end,
                         const std::vector<std::pair<int64_t, uint64_t>>& expected);

  // Deletes every file of the log (topic deletion).
  void destroy();

 private:
  struct Segment;
  PartitionLog(std::string dir, LogConfig config);
  Status load();
  Status open_segment(int64_t base, bool create);
  Result<std::unique_ptr<Segment>> load_segment(int64_t base, bool create);
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
  int64_t clean_offset_ = 0;  // cleaner-offset-checkpoint
  bool dirty_ = false;
  uint64_t truncated_bytes_ = 0;
};

}  // namespace flumen::broker
