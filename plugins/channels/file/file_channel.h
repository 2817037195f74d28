#pragma once
// File channel: a durable channel kept in a RocksDB database.
//
// On-disk layout (format version 1), all in the default column family:
//   "m:format"        -> "1"
//   "m:head"          -> u64be: sequence number of the first event not yet take-committed
//   "k:" + key        -> a marker (Transaction::set_marker): a source's, written with its puts;
//                        a sink's, written with its take commit or alone (save_marker)
//   "e" + u64be(seq)  -> one chunk: the events of one put transaction (event_codec.h), whose
//                        first event has number seq; events are numbered consecutively, so the
//                        next chunk's key is seq + count.
// Every event ever put has a sequence number; events below "m:head" are consumed.
//
// Put: a commit reserves its room (waiting for it, or failing as full, on the caller's thread)
// and queues its staged batch; one committer writes every queued batch as chunks in one RocksDB
// WriteBatch and syncs it once, so the commits in flight share one fsync (group commit). The
// committer is the first waiting thread of a synchronous commit() (leader/follower), or the
// channel's committer thread for commit_async(), whose `done` it calls, in queue order, once the
// write is durable. Queue order is write order: a marker of a later commit overwrites an earlier
// one in the same WriteBatch, and dones come in the order of the commits. A failed write fails
// every commit it carried. Sequence numbers are assigned by the committer in write order, so
// takers never see a gap. Published only after the write returned.
// Take: reads ahead from an in-memory cursor (no per-event bookkeeping in memory); a rolled back
// take keeps its decoded events in memory and hands them out first, preserving order. A take
// commit advances the head past every event below the oldest still-outstanding one and
// SingleDeletes the fully consumed chunks in the same atomic write.
// Disk full: puts stop (backpressure) while free space is below the reserve (FreeSpaceGuard,
// which counts the bytes of a burst). Another writer can still fill the disk under RocksDB; a
// write that fails then leaves the database in its background-error state, where every later
// write fails. Each take and write first tries to leave it (at most once a second) while it
// lasts, by closing and opening the database (RocksDB's own recovery is turned off; see
// maybe_recover), so the channel recovers by itself once space returns: no restart. Nothing
// that failed was committed (a WriteBatch is atomic), so a failed take's events are handed out
// again. RocksDB logs into flumen's log, never into a LOG file on the full disk
// (rocksdb_logger.h).
// Restart: open the database, read the head and the last chunk: O(1) in the history, no replay.
// Duplicates after a crash are bounded by the takes outstanding at that moment (with several
// concurrent takers, a committed take above an outstanding one is redelivered too).

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "agent/pipeline/basic_transaction.h"
#include "agent/pipeline/channel.h"
#include "agent/util/clock.h"
#include "agent/util/free_space_guard.h"
#include "agent/util/log_throttle.h"
#include "plugins/channels/file/config.h"

namespace flumen::plugins {

// What the channel reads from its surroundings; tests give a fake disk and a manual clock.
struct FileChannelEnv {
  rocksdb::Env* rocksdb_env = nullptr;  // nullptr: RocksDB's default (POSIX) environment
  const util::Clock* clock = &util::Clock::steady();
};

// How long a group commit's leader waits for more commits before it writes: `window_us` when
// set (groupCommitWindowMicros), else adaptive: half the last sync's time, at most 200 us, when
// syncs are per commit and the last synced group carried several commits; otherwise none.
std::chrono::microseconds group_commit_delay(int64_t window_us, bool sync_per_commit,
                                             size_t last_group_commits,
                                             std::chrono::microseconds last_sync_took);

class FileChannel : public pipeline::Channel {
 public:
  FileChannel(std::string name, FileChannelOptions options,
              std::shared_ptr<metrics::ComponentMetrics> metrics, FileChannelEnv env = {});
  ~FileChannel() override;

  Status start() override;
  void stop() override;
  std::unique_ptr<pipeline::Transaction> begin() override;
  size_t size() const override;
  size_t capacity() const override { return static_cast<size_t>(options_.capacity); }
  size_t transaction_capacity() const override {
    return static_cast<size_t>(options_.transaction_capacity);
  }
  bool durable() const override { return true; }
  bool keeps_markers() const override { return options_.exactly_once; }
  std::map<std::string, std::string> markers(std::string_view prefix) const override;
  Status save_marker(std::string_view key, std::string_view value) override;

  const std::string& directory() const { return dir_; }

 private:
  class Txn;
  friend class Txn;

  struct Range {
    uint64_t begin, end;  // [begin, end) event sequence numbers
  };
  struct Returned {  // a rolled back take, handed out again before anything newer
    EventBatch events;
    std::vector<Range> ranges;
  };
  struct PutRequest {
    const EventBatch* batch;
    const std::vector<std::pair<std::string, std::string>>* markers;
    // commit_async: called by the committer once the write is durable (or failed); the request
    // is the committer's to delete then. Empty: a synchronous commit waits for `done`.
    std::function<void(Status)> on_done;
    // An earlier commit of the chain failed before this one's write: this one fails unwritten.
    std::shared_ptr<pipeline::CommitChain> chain;
    uint64_t ticket = 0;
    bool done = false;
    Status status;
  };

  rocksdb::Status open_handle();
  Status open_database();
  bool is_open() const;
  Status check_free_space(size_t incoming_bytes);
  // Every write goes through here: it tries to leave the error state first, and enters it when
  // the write fails (error_mu_ guards that state; callers may hold mu_ or take_mu_).
  rocksdb::Status write(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch& wb);
  void maybe_recover();
  Status commit_put(const EventBatch& staged,
                    const std::vector<std::pair<std::string, std::string>>& markers,
                    bool wait_for_space);
  void commit_put_async(const EventBatch& staged,
                        const std::vector<std::pair<std::string, std::string>>& markers,
                        bool wait_for_space, std::shared_ptr<pipeline::CommitChain> chain,
                        uint64_t ticket, std::function<void(Status)> done);
  // Checks that a put of `staged` may go ahead (open, disk space, room: waiting up to the
  // keep-alive for it when asked) and reserves its room. Called with mu_ held.
  Status reserve_put(std::unique_lock<std::mutex>& lock, const EventBatch& staged,
                     bool wait_for_space);
  void lead_group_commit(std::unique_lock<std::mutex>& lock);
  void run_committer();
  // How long a group's leader waits for more commits to join before it writes (mu_ held).
  std::chrono::microseconds commit_delay() const;
  Status take(size_t max, EventBatch& out, std::vector<Range>& ranges);
  Status load_chunk(uint64_t next);
  Status read_events(uint64_t from, size_t max, EventBatch& out, uint64_t& next);
  Status commit_take(const std::vector<Range>& ranges, size_t events,
                     const std::vector<std::pair<std::string, std::string>>& markers);
  static void add_markers(rocksdb::WriteBatch& wb,
                          const std::vector<std::pair<std::string, std::string>>& markers);
  void rollback_take(EventBatch& events, std::vector<Range>& ranges);
  void publish_size();

  FileChannelOptions options_;
  FileChannelEnv env_;
  std::shared_ptr<metrics::ComponentMetrics> metrics_;
  metrics::ChannelCounters counters_;
  metrics::Counter* put_errors_;
  metrics::Counter* take_errors_;
  metrics::Counter* syncs_;
  metrics::Counter* unhealthy_;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;

  // Put side (mu_): sequence numbers, capacity, the group-commit queue.
  mutable std::mutex mu_;
  std::condition_variable put_cv_;        // group commit done / leader free
  std::condition_variable space_cv_;      // capacity freed
  std::condition_variable committer_cv_;  // commit_async queued while no committer leads
  std::deque<PutRequest*> put_queue_;
  bool leader_active_ = false;
  std::thread committer_;  // leads the groups that hold only commit_async requests
  uint64_t next_seq_ = 0;  // number of the next event to be written
  uint64_t tail_seq_ = 0;  // one past the last published (readable) event
  size_t used_slots_ = 0;  // tail - head (queued + outstanding takes) + reserved puts
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_sync_{};
  // The last synced group: how many commits it carried and how long its write took. With
  // groupCommitWindowMicros 0 they decide the adaptive commit delay (commit_delay()).
  size_t last_group_commits_ = 0;
  std::chrono::microseconds last_sync_took_{0};
  std::unique_ptr<util::FreeSpaceGuard> space_guard_;
  bool space_ok_ = true;

  // The database's error state: after a failed write, or a failed flush or compaction that
  // RocksDB reported (background_error_). error_mu_ serialises the attempts to resume.
  std::mutex error_mu_;
  std::atomic<bool> db_failed_{false};
  std::atomic<bool> background_error_{false};
  util::Clock::time_point last_recovery_{};
  // db_ itself: shared by every use of the database, exclusive to close and reopen it.
  mutable std::shared_mutex db_mu_;
  util::LogThrottle resume_log_;
  std::shared_ptr<rocksdb::Logger> rocksdb_logger_;

  // Take side (take_mu_): read cursor, outstanding ranges, head.
  std::mutex take_mu_;
  uint64_t cursor_ = 0;                               // next never-handed-out event
  std::deque<Returned> returned_;                     // rolled back takes, oldest first
  std::map<uint64_t, uint64_t> outstanding_;          // handed out, not committed: begin -> end
  uint64_t head_ = 0;                                 // persisted head
  std::deque<std::pair<uint64_t, uint32_t>> chunks_;  // read, not deleted: (first, count)
  EventBatch cached_chunk_;  // last decoded chunk, for takes that split one
  uint64_t cached_first_ = UINT64_MAX;
  std::string value_buf_;
};

}  // namespace flumen::plugins
