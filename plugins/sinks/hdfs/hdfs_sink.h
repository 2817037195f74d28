#pragma once
// hdfs (alias rolling_file): Flume's HDFS sink semantics on the local filesystem. Each event goes
// to the file of its bucket (hdfs.path + hdfs.filePrefix with escapes expanded); a file is
// written under its in-use name (.tmp) and renamed when it rolls (interval, size, count, idle).
// A batch is written and synced before the take commits.
//
// A batch is never left in the output twice: every file it touched (several buckets, and files
// that rolled within it) remembers its length before the batch, and a failed write, a failed
// sync, or a take that did not commit (delivery_not_committed) cuts each back to it and removes
// the files the batch created. So a file that rolls (count, size, LRU) within a batch is only
// closed and renamed once the batch is known committed: at the next deliver() or tick().
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
    // What the current batch changed, to take it back: the length, counts before it.
    bool touched = false;
    bool created_in_batch = false;
    off_t batch_start = -1;
    int64_t events_before = 0, bytes_before = 0;
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
  void undo_batch();
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
  std::vector<OpenFile> retired_;          // rolled within the batch: closed once it commits
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
  std::function<Clock::time_point()> clock_ = [] { return Clock::now(); };
};

}  // namespace flumen::plugins
