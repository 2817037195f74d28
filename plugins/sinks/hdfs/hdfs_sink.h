#pragma once
// hdfs (alias rolling_file): Flume's HDFS sink semantics on the local filesystem. Each event goes
// to the file of its bucket (hdfs.path + hdfs.filePrefix with escapes expanded); a file is
// written under its in-use name (.tmp) and renamed when it rolls (interval, size, count, idle).
// A batch is written and synced before the take commits; with hdfs.fsync the batches of a sync
// window (Sink::groups_syncs) share one fdatasync per file they wrote.
//
// A batch is never left in the output twice: each uncommitted batch keeps a checkpoint (the
// lengths of the files it touched before it, the files it created, how many had rolled), and a
// failed write, a failed sync, or a take that did not commit (delivery_not_committed, newest
// batch first) cuts each file back to it and removes the files the batch created. So a file
// that rolls (count, size, LRU) within a batch is only closed and renamed once the batch is
// known committed: at deliveries_committed(), the next deliver() without a window, or tick().
//
// Transient failures (a full disk, too many open files, an I/O error, the configured directory
// itself unusable) retry the whole batch. An event that can never be placed (no usable
// timestamp for a time escape; a bucket path that cannot exist: a file in the way, a name too
// long, no permission below the configured directory) is rejected alone
// (DeliveryResult::partly_rejected): the others are delivered. Header values in the path are
// made safe (bucket_path.h), so no event writes outside hdfs.path. In-use files left by a crash
// are closed (renamed) at start. CompressedStream writes each batch as a complete gzip member or
// zstd frame, so every closed or crashed file decompresses.
//
// With a durable channel each in-use file's committed length goes with the take commit (a
// channel marker per file, "hdfs/<sink>/<in-use path>" -> length, written for the files the
// batch touched), and a new file is recorded (length 0) before it is created. At start, before
// the in-use files are closed, each recorded one is cut back to its committed length (removed
// if that is 0): what a take wrote before a kill -9 without committing is gone before those
// events are delivered again. Closed (renamed) files are never touched.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/pipeline/channel.h"
#include "agent/pipeline/sink.h"
#include "agent/util/free_space_guard.h"
#include "agent/util/log_throttle.h"
#include "plugins/sinks/hdfs/bucket_path.h"
#include "plugins/sinks/hdfs/config.h"

namespace flumen::plugins {

class HdfsSink : public pipeline::Sink {
 public:
  HdfsSink(std::string name, HdfsSinkOptions options);
  ~HdfsSink() override;

  size_t batch_size() const override { return static_cast<size_t>(options_.batch_size); }
  Status start() override;
  void stop() override;
  pipeline::DeliveryResult deliver(const EventBatch& batch) override;
  void delivery_not_committed() override;
  // With hdfs.fsync, the batches of a sync window share one fdatasync per file.
  bool groups_syncs() const override { return options_.fsync; }
  Status sync_delivered() override;
  void deliveries_committed() override { settle_committed_batch(); }
  void tick(std::chrono::steady_clock::time_point now) override;
  // Tests drive time-based rolling with their own clock.
  void set_clock(std::function<std::chrono::steady_clock::time_point()> clock) {
    clock_ = std::move(clock);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct OpenFile {
    std::string key, dir, in_use_path, final_path;
    int fd = -1;
    int64_t events = 0, bytes = 0;
    Clock::time_point opened_at, last_write;
    std::string pending;  // serialized, not yet written
    int64_t pending_events = 0;
    off_t length = 0;      // bytes in the file (what was written: compressed)
    bool touched = false;  // written by the batch being delivered (its length goes with it)
    bool dirty = false;    // written since its last sync
  };
  // What one uncommitted batch changed, to take it back: the files it created, those it wrote
  // to as they were before it, and how many files had rolled before it.
  struct Checkpoint {
    struct Before {
      std::string in_use_path;
      off_t length = 0;
      int64_t events = 0, bytes = 0;
    };
    std::vector<Before> before;
    std::vector<std::string> created;
    size_t retired_before = 0;
  };
  // Why a bucket's file could not be opened: the errno, and whether it can never work for this
  // path (so the event is rejected) or may work later (so the batch is retried).
  struct OpenError {
    std::string message;
    bool permanent = false;
  };

  OpenFile* file_for(const std::string& dir, const std::string& prefix, OpenError& error);
  void retire(std::map<std::string, OpenFile>::iterator it);
  Status write_pending(OpenFile& f);
  void close_file(OpenFile& f);
  void settle_committed_batch();
  // Takes back the last uncommitted batch (its checkpoint).
  void undo_batch();
  OpenFile* find_in_use(const std::string& in_use_path);
  pipeline::DeliveryResult fail_batch(const std::string& why);
  void recover_in_use_files();
  // At start, with a durable channel: cuts each recorded in-use file back to its committed length.
  void cut_back_uncommitted();
  // The committed lengths of the files this batch touched, and the records of closed files
  // removed, for the take commit.
  pipeline::DeliveryResult with_lengths(pipeline::DeliveryResult r);
  void compress(std::string& data);
  bool permanent_open_error(int err) const;

  HdfsSinkOptions options_;
  std::optional<BucketPath> path_, prefix_;
  TimeZoneSpec tz_;
  std::string root_;                       // hdfs.path up to its first escape
  std::map<std::string, OpenFile> files_;  // bucket (dir/prefix) -> open file
  std::vector<OpenFile> retired_;  // rolled within uncommitted batches: closed once they commit
  std::vector<Checkpoint> checkpoints_;  // one per uncommitted batch, oldest first
  int64_t counter_ = 0;
  std::string key_, dir_, prefix_text_, time_text_, compressed_;
  std::vector<uint32_t> rejected_;
  // The channel keeps this sink's records (durable channel).
  bool durable_ = false;
  std::string record_prefix_;
  std::vector<std::string> closed_records_;  // records of files closed since the last commit
  std::unique_ptr<util::FreeSpaceGuard> space_guard_;
  util::LogThrottle file_log_;
  metrics::Counter* rolls_ = nullptr;
  metrics::Counter* sync_count_ = nullptr;  // SyncCount: the fdatasync rounds of sync windows
  std::function<Clock::time_point()> clock_ = [] { return Clock::now(); };
};

}  // namespace flumen::plugins
