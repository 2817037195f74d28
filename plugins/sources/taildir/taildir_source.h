#pragma once
// TAILDIR: tails the files of each file group (a directory and a regex on file names) and turns
// each line into an event, keeping Flume's keys and position file, and fixing where Flume loses
// or duplicates data:
//  - identity is device + inode + a fingerprint of the first bytes, so a renamed file is
//    followed (not re-read), and a reused inode is not mistaken for the file it replaced;
//  - a rotated file is read to its end (and for rotatedFileGrace after) even when its new name
//    no longer matches, then let go; a file deleted while open is drained, then closed;
//  - copytruncate (the file shrinks, or its first bytes change) restarts the file at 0, and
//    the rotated copy, if its name is tailed, is read from where the original was left;
//  - positions advance only for committed events and reach disk atomically;
//  - a partial last line waits for its newline; it is emitted only when the file goes idle or
//    is let go (counted); longer lines than maxLineLength are split (counted).
// One loop thread per source: inotify (libuv fs events on the group directories) wakes it, and a
// poll with backoff covers what notifications miss. A full channel stops reading (backpressure).

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/event/event_batch.h"
#include "agent/pipeline/source.h"
#include "agent/runtime/loop_thread.h"
#include "agent/util/regex.h"
#include "plugins/sources/taildir/config.h"
#include "plugins/sources/taildir/position_file.h"

namespace flumen::plugins {

class TaildirSource : public pipeline::Source {
 public:
  TaildirSource(std::string name, TaildirSourceOptions options);
  ~TaildirSource() override;

 protected:
  Status do_start() override;
  void do_stop() override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Group {
    Group(std::string n, std::string d, Regex r)
        : name(std::move(n)), dir(std::move(d)), regex(std::move(r)) {}
    std::string name;
    std::string dir;
    Regex regex;
    std::vector<std::pair<std::string, std::string>> headers;
    struct timespec dir_mtime {};
    std::vector<std::pair<std::string, struct stat>> listing;  // cached matches
    uv_fs_event_t* watch = nullptr;
    metrics::Counter* lines = nullptr;
    metrics::Counter* bytes = nullptr;
    metrics::Counter* open_files = nullptr;
    metrics::Counter* lag = nullptr;
  };
  struct File {
    size_t group;
    std::string path;
    uint64_t dev, ino;
    int fd = -1;
    uint64_t pos = 0;  // next byte not yet committed to the channel
    uint64_t fp = 0, fp_len = 0;
    uint64_t size = 0;
    bool matched = true;  // its current name matches its group
    Clock::time_point last_growth;
    Clock::time_point drained_since{};  // let-go files: when their end was reached
  };

  Status init_on_loop();
  void schedule(uint64_t delay_ms);
  void work();
  void scan(bool startup);
  void list_group(Group& g, bool force);
  bool read_batch(File& f, bool flush_partial, bool& more);
  bool put(EventBatch& batch);
  bool position_copy(File& f);
  // The file shrank or its head changed: read it again from 0, remembering where we were.
  void restart_truncated(File& f, Clock::time_point now);
  void refresh_fingerprint(File& f);
  bool fingerprint_matches(const File& f, uint64_t fp, uint64_t fp_len);
  void close_file(File& f, const char* why);
  void save_positions_now();
  void update_lag();

  TaildirSourceOptions options_;
  runtime::LoopThread loop_;
  std::vector<Group> groups_;
  std::map<std::pair<uint64_t, uint64_t>, File> files_;  // (dev, inode) -> file
  struct Truncated {
    uint64_t fp, fp_len, pos;
    Clock::time_point when;
  };
  std::vector<Truncated> truncated_;  // recent copytruncate victims, for their copies
  std::vector<PositionEntry> saved_;  // loaded at start, matched at first scan
  std::string position_path_;
  uv_timer_t* timer_ = nullptr;
  int64_t backoff_ms_ = 0;
  bool positions_dirty_ = false;
  Clock::time_point last_position_write_{};
  Clock::time_point last_position_sync_{};
  Clock::time_point last_scan_{};
  bool stopping_ = false;

  // One read-ahead buffer for the file being read.
  std::string buf_;
  std::pair<uint64_t, uint64_t> buf_file_{~0ULL, ~0ULL};
  uint64_t buf_start_ = 0;
  size_t buf_len_ = 0;
  EventBatch batch_;

  metrics::Counter* lines_split_ = nullptr;
  metrics::Counter* partial_lines_ = nullptr;
  metrics::Counter* truncations_ = nullptr;
  metrics::Counter* rotations_ = nullptr;
};

}  // namespace flumen::plugins
