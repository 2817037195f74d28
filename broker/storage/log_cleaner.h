#pragma once
// LogCleaner: log compaction for topics with cleanup.policy=compact (or compact,delete), the
// way Kafka's LogCleaner does it: the latest record per key is kept, with its offset.
//
// A log is the clean part (already deduplicated: below its cleaner-offset-checkpoint), the dirty
// part, then what may not be cleaned yet: the active segment, anything at or after the last
// stable offset (an open transaction), and segments whose newest record is younger than
// min.compaction.lag.ms. The log whose dirty share of the cleanable bytes is highest and at
// least min.cleanable.dirty.ratio (or whose first dirty segment is older than
// max.compaction.lag.ms) is cleaned next:
//   1. map: key digest -> latest offset over the dirty part (OffsetMap, bounded by
//      log.cleaner.dedupe.buffer.size; when it fills, the dirty part mapped so far is cleaned
//      and the rest waits for the next round). Aborted transactions and control batches are not
//      mapped.
//   2. rewrite every segment from the log start to the end of the mapped part, grouped into
//      files of at most segment.bytes, to <base>.*.cleaned (fsynced). A record is dropped when a
//      later one has its key, when it has no key (as Kafka does: a compacted topic refuses them
//      on produce; older ones are invalid), when it belongs to an aborted transaction, or when it
//      is a tombstone (null value) past its delete horizon. Batches keep their base and last
//      offsets, producer id, epoch, base sequence and attributes; a batch that changes is
//      decompressed, filtered and recompressed with its codec; a batch left with no records
//      goes, unless it is its producer's last (then kept empty, for the producer's sequence).
//      Delete horizon (KIP-534): the first clean that keeps a tombstone sets its batch's
//      attributes bit 6 and stores now + delete.retention.ms as the base timestamp (record
//      timestamps are re-based, so they read the same); a later clean after that time drops it.
//      A transaction marker is dropped after its horizon once no batch of its transaction is
//      left (an abort marker at once its aborted batches are gone), so that the transaction
//      state rebuilt from the log at start-up never sees a transaction without its end.
//   3. swap each group in on the log's owner thread (segment_swap.h: crash-safe), then move the
//      checkpoint to the end of the mapped part.
// Steps 1 and 2 run on the cleaner's own thread, reading duplicated descriptors of the
// immutable segments; the loop thread only plans (in memory) and swaps (renames and three
// fsyncs), so produce and fetch are never blocked by a clean, only by a swap.
//
// Threads: poll(), clean_now() and stop() on the thread that owns the TopicStore; the stats
// from any thread.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/util/result.h"
#include "broker/storage/partition_log.h"
#include "broker/storage/txn_state.h"

namespace flumen::broker {

class TopicStore;

struct CleanerConfig {
  bool enable = true;                              // log.cleaner.enable
  int64_t dedupe_buffer_bytes = 128LL << 20;       // log.cleaner.dedupe.buffer.size
  int64_t backoff_ms = 15000;                      // log.cleaner.backoff.ms
  int64_t io_max_bytes_per_second = -1;            // log.cleaner.io.max.bytes.per.second
  int64_t max_inflated_batch_bytes = 256LL << 20;  // a batch inflating past this is kept as is
};

struct CleanerStats {
  std::atomic<int64_t> cleans{0};           // logs cleaned
  std::atomic<int64_t> bytes_read{0};       // log bytes read by the cleaner
  std::atomic<int64_t> bytes_written{0};    // cleaned log bytes written
  std::atomic<int64_t> records_removed{0};  // superseded, keyless, aborted records dropped
  std::atomic<int64_t> tombstones_removed{0};
  std::atomic<int64_t> markers_removed{0};  // transaction markers dropped
  std::atomic<int64_t> aborted{0};          // cleans abandoned (the log changed, an error, stop)
  std::atomic<int64_t> last_swap_us{0};     // the loop thread's time for the last swap
  std::atomic<int64_t> max_swap_us{0};
};

// One clean's input, taken on the owner thread.
struct CleanJob {
  struct Segment {
    SegmentInfo info;
    int fd = -1;  // a duplicate, owned by the job
  };
  std::string dir;
  std::string topic;
  std::string topic_id;
  int32_t partition = 0;
  LogConfig config;
  std::vector<Segment> segments;  // from the first segment up to the first uncleanable offset
  int64_t first_dirty = 0;
  int64_t first_uncleanable = 0;
  std::vector<AbortedTxn> aborted;
  int64_t now_ms = 0;

  CleanJob() = default;
  CleanJob(const CleanJob&) = delete;
  CleanJob& operator=(const CleanJob&) = delete;
  ~CleanJob();
};

// What a clean produced: the groups to swap in, and the new checkpoint.
struct CleanOutcome {
  struct Group {
    int64_t base = 0;
    int64_t end = 0;                                     // the next segment's base
    std::vector<std::pair<int64_t, uint64_t>> replaced;  // (base, size) as read
  };
  std::vector<Group> groups;
  int64_t next_dirty = 0;
};

// Steps 1 and 2 for one job, on any thread: the .cleaned files are written and fsynced.
// `stop` is checked between batches (kUnavailable when set; the files written so far are
// deleted).
Result<CleanOutcome> clean_log(const CleanJob& job, const CleanerConfig& config,
                               CleanerStats& stats, const std::atomic<bool>& stop);

class LogCleaner {
 public:
  // `clock` gives wall-clock milliseconds (delete horizons, compaction lags). `background`:
  // cleans run on the cleaner's thread (else poll() runs them inline: tests).
  LogCleaner(CleanerConfig config, std::function<int64_t()> clock, bool background = true);
  ~LogCleaner();
  LogCleaner(const LogCleaner&) = delete;
  LogCleaner& operator=(const LogCleaner&) = delete;

  // Owner thread, often (the broker's tick): swaps in a finished clean, and starts the next one
  // when one is due.
  void poll(TopicStore& store);
  // Owner thread: plans, runs and swaps one clean now; whether a log was cleaned.
  bool clean_now(TopicStore& store);
  // Stops the thread (an unfinished clean is abandoned, its files deleted). Idempotent.
  void stop();

  const CleanerStats& stats() const { return stats_; }
  // The log that most needs cleaning, as a job; null when none is due.
  std::unique_ptr<CleanJob> plan(TopicStore& store);

 private:
  void apply(TopicStore& store, CleanJob& job, Result<CleanOutcome>& outcome);
  void run_thread();

  CleanerConfig config_;
  std::function<int64_t()> clock_;
  bool background_;
  CleanerStats stats_;
  std::atomic<bool> stop_{false};
  int64_t next_plan_ms_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<CleanJob> job_;  // handed to the thread
  std::unique_ptr<Result<CleanOutcome>> done_;
  bool busy_ = false;  // a job is with the thread or done and not applied
  std::thread thread_;
};

}  // namespace flumen::broker
