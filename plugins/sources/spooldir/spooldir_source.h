#pragma once
// spooldir: ingests files dropped into a directory, one event per line, then marks each file
// done (renamed with fileSuffix, deleted, or recorded in trackerDir) — Flume's
// SpoolDirectorySource with its keys. Unlike Flume:
//  - progress inside a file is kept in trackerDir after every committed batch, so a restart
//    resumes where the committed data ends instead of re-reading the file; with a durable
//    channel the position is committed with the batch itself (marker
//    "spooldir/<source>/current": the file's identity and byte), so a kill -9 repeats nothing;
//  - a file that changes after it was picked up, a name used twice, or undecodable input is
//    reported (counted, logged) and moved aside, and the source goes on with the next file.
// Runs on a thread of its own. Up to kMaxInFlight batches are committed in flight, so that a
// durable channel merges their syncs (group commit); a file is completed only once all its
// batches committed. A full channel or a failed commit makes it read again, after a backoff,
// from the first batch that did not commit.

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/event/event_batch.h"
#include "agent/pipeline/commit_chain.h"
#include "agent/pipeline/notifier.h"
#include "agent/pipeline/source.h"
#include "agent/util/regex.h"
#include "plugins/sources/spooldir/config.h"

namespace flumen::plugins {

class SpoolDirSource : public pipeline::Source {
 public:
  SpoolDirSource(std::string name, SpoolDirSourceOptions options);
  ~SpoolDirSource() override;

 protected:
  Status do_start() override;
  void do_stop() override;

 private:
  struct Current {
    std::string path;
    int fd = -1;
    struct stat at_pickup {};
    uint64_t pos = 0;
    std::string progress_path;
  };

  void run();
  void ingest_files();
  std::optional<std::string> next_file();
  void collect(const std::string& dir, std::vector<std::pair<std::string, struct stat>>& out);
  bool open_file(const std::string& path);
  // Reads one batch and puts it in flight; false when the file is finished (EOF, everything
  // committed) or failed.
  bool ingest_batch();
  // Waits until at most `keep` batches are in flight. Each one committed moves the committed
  // position (and the .progress file) on; the first one that failed sends the read position
  // back to where it began (those after it fail with it: CommitChain). False after a failure.
  bool settle(size_t keep);
  // After a failed put: waits the backoff (doubling up to maxBackoff); false when stopping.
  bool back_off_after_failed_put();
  void finish_file();
  void move_aside(const std::string& why, const char* suffix);
  void save_progress(uint64_t committed_pos);
  void load_marker();
  static std::string marker_of(const struct stat& st, uint64_t pos, const std::string& path);
  static std::optional<uint64_t> marker_pos(const std::string& value, const struct stat& st,
                                            const std::string& path);
  bool sleep_ms(int64_t ms);
  std::string tracker_path(const std::string& file, const std::string& ext) const;

  SpoolDirSourceOptions options_;
  std::optional<Regex> include_, ignore_;
  std::string tracker_dir_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  pipeline::Notifier wake_;
  Current cur_;
  bool durable_ = false;  // some channel keeps markers
  std::string marker_key_;
  std::vector<std::string> committed_;  // the last run's markers, one per durable channel
  std::string buf_;
  size_t buf_len_ = 0;
  uint64_t buf_start_ = 0;
  EventBatch batch_;
  struct InFlight {
    uint64_t pos_before = 0;  // where its lines begin
    uint64_t pos_after = 0;   // and end: the committed position once it committed
    bool done = false;        // set by the channel's committer, under flight_mu_
    Status status;
  };
  static constexpr size_t kMaxInFlight = 8;
  std::deque<InFlight> in_flight_;  // oldest first; a deque's elements stay put as it grows
  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
  std::shared_ptr<pipeline::CommitChain> chain_ = std::make_shared<pipeline::CommitChain>();
  std::chrono::milliseconds put_backoff_{50};
  metrics::Counter* files_done_ = nullptr;
  metrics::Counter* files_failed_ = nullptr;
  metrics::Counter* lines_split_ = nullptr;
};

}  // namespace flumen::plugins
