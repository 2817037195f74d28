#pragma once
// hdfs (alias rolling_file): Flume's HDFS sink semantics on the local filesystem. Each event goes
// to the file of its bucket (hdfs.path + hdfs.filePrefix with escapes expanded); a file is
// written under its in-use name (.tmp) and renamed when it rolls (interval, size, count, idle).
// A batch is written and synced before the take commits; a failed write truncates the touched
// files back and the batch is retried. An event that cannot be placed (no timestamp for a time
// escape, a missing header) is rejected: counted and logged, never retried forever. In-use files
// left by a crash are closed (renamed) at start. CompressedStream writes each batch as a complete
// gzip member or zstd frame, so every closed or crashed file decompresses.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "agent/pipeline/sink.h"
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
  void tick(std::chrono::steady_clock::time_point now) override;
  // Tests drive time-based rolling with their own clock.
  void set_clock(std::function<std::chrono::steady_clock::time_point()> clock) {
    clock_ = std::move(clock);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct OpenFile {
    std::string dir, in_use_path, final_path;
    int fd = -1;
    int64_t events = 0, bytes = 0;
    Clock::time_point opened_at, last_write;
    std::string pending;  // serialized, not yet written
    int64_t pending_events = 0;
    off_t batch_start = -1;  // size before this batch (to undo a failed batch)
  };

  OpenFile* file_for(const std::string& dir, const std::string& prefix, std::string& error);
  Status write_pending(OpenFile& f);
  void close_file(OpenFile& f);
  void recover_in_use_files();
  void compress(std::string& data);

  HdfsSinkOptions options_;
  std::optional<BucketPath> path_, prefix_;
  TimeZoneSpec tz_;
  std::map<std::string, OpenFile> files_;  // bucket (dir/prefix) -> open file
  int64_t counter_ = 0;
  std::string key_, dir_, prefix_text_, compressed_;
  metrics::Counter* rolls_ = nullptr;
  std::function<Clock::time_point()> clock_ = [] { return Clock::now(); };
};

}  // namespace flumen::plugins
