#pragma once
// file_roll: writes events to local files in one directory, starting a new file every
// rollInterval seconds (Flume's RollingFileSink, same keys and file names). Unlike Flume it
// creates no empty files, fsyncs a batch before it is committed (sink.fsync: the batches of a sync
// window, Sink::groups_syncs, share one fdatasync), and never leaves a
// batch in its output twice: a failed write truncates the file back to where the batch began,
// and so does a batch that was written but whose take commit failed (delivery_not_committed:
// a full disk under a file channel), so the retry writes it once. It stops writing (retry,
// backpressure) while the disk has less than sink.minimumFreeSpace free, which leaves room for a
// file channel on the same disk to commit its takes.
//
// With a durable channel the file's committed length goes with each take commit (a channel
// marker "file_roll/<sink>" -> "1 <length> <path>"), and a new file is recorded (length 0)
// before it is created. At start the file the last run had open is cut back to that length:
// what a take wrote before a kill -9 and did not commit is gone before those events are
// delivered again, into a new file. A file is never written again once closed or left by a
// run, and a closed file is never touched at start (its length is what was committed).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/pipeline/begun_windows.h"
#include "agent/pipeline/channel.h"
#include "agent/pipeline/sink.h"
#include "agent/util/background_sync.h"
#include "agent/util/free_space_guard.h"
#include "agent/util/log_throttle.h"
#include "plugins/sinks/file_roll/config.h"

namespace flumen::plugins {

class FileRollSink : public pipeline::Sink {
 public:
  FileRollSink(std::string name, FileRollSinkOptions options);
  ~FileRollSink() override;

  size_t batch_size() const override { return static_cast<size_t>(options_.batch_size); }
  Status start() override;
  void stop() override;
  pipeline::DeliveryResult deliver(const EventBatch& batch) override;
  void delivery_not_committed() override;
  // With sink.fsync, the batches of a sync window share one fdatasync; alone in its processor,
  // that fdatasync runs on a thread of the sink while it writes the next window.
  bool groups_syncs() const override { return options_.fsync; }
  bool overlaps_syncs() const override { return options_.fsync; }
  void begin_sync(size_t takes) override;
  Status sync_delivered() override;
  void deliveries_committed() override;
  void tick(std::chrono::steady_clock::time_point now) override;

  const std::string& current_path() const { return path_; }

 private:
  std::string next_file_name();
  Status open_next();
  void close_current();
  void serialize(const EventBatch& batch, std::string& out) const;
  pipeline::DeliveryResult undo_batch(std::string why);
  // The record of `path` holding `length` committed bytes, for the channel.
  static std::string record(off_t length, const std::string& path);
  // At start: cuts the file the last run had open back to its committed length.
  void cut_back_uncommitted();

  FileRollSinkOptions options_;
  int64_t series_millis_ = 0;
  int64_t file_index_ = 0;
  int fd_ = -1;
  std::string path_;
  std::chrono::steady_clock::time_point opened_at_{};
  std::chrono::steady_clock::time_point last_roll_{};
  std::string buffer_;  // reused serialization buffer
  // The length of the current file before each batch written to it whose take has not
  // committed yet, oldest first: one without a sync window, up to two windows' worth with them.
  std::vector<off_t> uncommitted_starts_;
  // Overlapping windows: each one's sync ticket (tag), and the thread that syncs them.
  pipeline::BegunWindows begun_;
  std::unique_ptr<util::BackgroundSync> syncer_;
  metrics::Counter* sync_count_ = nullptr;  // SyncCount: the fdatasyncs of sync windows
  // The channel keeps this sink's record (durable channel).
  bool durable_ = false;
  std::string record_key_;
  std::unique_ptr<util::FreeSpaceGuard> space_guard_;
  util::LogThrottle undo_log_;
};

}  // namespace flumen::plugins
