#pragma once
// TAILDIR: tails the files of each file group (a directory and a regex on file names) and turns
// each line into an event, keeping Flume's keys and position file, and fixing where Flume loses
// or duplicates data:
//  - identity is device + inode + the file's head (its first fingerprintBytes, file_head.h), so
//    a renamed file is followed (not re-read), and a reused inode is not mistaken for the file
//    it replaced;
//  - a rotated file is read to its end (and for rotatedFileGrace after) even when its new name
//    no longer matches, then let go; a file deleted while open is drained, then closed;
//  - copytruncate is seen from the content: whenever a file changes (size, mtime, ctime, or a
//    change notification naming it), its head must still be the bytes read; if not (or if it
//    shrank below the position) it is read again from 0, counted (TruncationCount) and logged;
//  - a copy of a tailed file (copytruncate's f.1, under a name the group matches) is recognised
//    by its head and read only from where the original was; a new file too short to tell waits
//    (at most rotatedFileGrace) before it is read;
//  - positions advance only for committed events. With a durable channel the position of the
//    batch's file is committed in the same write as its events (a channel marker,
//    "taildir/<source>/<slot>"), and a restart resumes from the markers: nothing is lost or read
//    twice by a kill -9. The position file (Flume's format, plus flumen's identities next to it,
//    position_file.h) is written after, every writePosInterval, for Flume's tools and for
//    channels that keep nothing across a restart;
//  - a partial last line waits for its newline; it is emitted only when the file goes idle or
//    is let go (counted); longer lines than maxLineLength are split (counted).
// One loop thread per source: inotify (libuv fs events on the group directories) wakes it, and a
// poll with backoff covers what notifications miss. A full channel stops reading (backpressure).

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/event/event_batch.h"
#include "agent/pipeline/commit_chain.h"
#include "agent/pipeline/source.h"
#include "agent/runtime/loop_thread.h"
#include "agent/util/log_throttle.h"
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
    // The first min(pos, fingerprintBytes) bytes, as read: the bytes the position counts.
    std::string head;
    // The file as last looked at: a change of any of these (or a notification naming the file)
    // makes the head be checked again.
    uint64_t size = 0;
    struct timespec mtime {
    }, ctime{};
    // New, and its head is a prefix of a known head (or it is empty): maybe a copy being
    // written. Not read until that is decided (at the latest rotatedFileGrace after first_seen).
    bool undecided = false;
    // Positioned as a copy beyond its current end: the copy is still being written, its being
    // shorter than the position is no truncation.
    bool copy_filling = false;
    // A copy found while its original is still intact and tailed (cp done, truncate not yet):
    // both hold the same bytes, so the copy is not read while the original is. Its position
    // follows the original's; when the original is truncated (copytruncate) the copy is read on
    // from where the original was, and when the original is let go, from where it ended.
    std::optional<std::pair<uint64_t, uint64_t>> copy_of;
    // A copy of this file was found before its truncation was noticed: the truncation need not
    // be remembered for a copy that shows up later.
    bool copy_found = false;
    bool matched = true;  // its current name matches its group
    int slot = -1;        // its marker key in durable channels
    Clock::time_point first_seen;
    Clock::time_point last_growth;
    Clock::time_point drained_since{};  // let-go files: when their end was reached
  };
  struct Truncated {  // a copytruncate victim, for its copy that may show up after
    std::string head;
    uint64_t pos;
    Clock::time_point when;
  };

  Status init_on_loop();
  void schedule(uint64_t delay_ms);
  void work();
  void scan(bool startup);
  void list_group(Group& g, bool force);
  void track_new_file(size_t group, const std::string& path, std::pair<uint64_t, uint64_t> key,
                      bool startup, Clock::time_point now);
  bool read_batch(File& f, bool flush_partial, bool& more);
  // With a durable channel a batch is committed asynchronously and the next one read while it
  // syncs (the commits in flight share syncs). Waits until at most `keep` batches are in flight,
  // and applies what completed, in order: counts, marks positions dirty. After a failed commit
  // it waits for every batch in flight, puts each file back to its position before its oldest
  // uncommitted batch (the failed one's and those after it are read again), starts a new
  // commit chain and returns false.
  bool settle(size_t keep);
  // Records what the stat says and reports whether the file changed since it was last looked
  // at (or a notification named it).
  bool note_stat(File& f, const struct stat& st);
  // The file changed: is its content still what the position counts? If not, restart it.
  void check_content(File& f, const struct stat& st, Clock::time_point now);
  // The file shrank or its head changed: read it again from 0, remembering where we were.
  void restart_truncated(File& f, Clock::time_point now);
  // An undecided file: a copy (positioned where its original was), a new file (from 0), or
  // still undecided.
  void decide_identity(File& f, Clock::time_point now);
  // Linked copies (File::copy_of) take their original's position, and are let go of an
  // original that is gone or that they no longer copy.
  void follow_originals();
  // Where `copy` stops holding `original`'s bytes in [from, end) (copy_parts_at), counted only
  // while the original holds its head before and after the comparison; nothing otherwise.
  std::optional<uint64_t> parted_from_intact(const File& copy, const File& original, uint64_t from,
                                             uint64_t end) const;
  // The original `f` was truncated or is let go: its linked copies are read on from its position.
  // Returns whether it had any.
  bool release_copies(File& f, const char* why);
  bool apply_saved_position(File& f);
  bool identifies(const PositionEntry& e, const File& f) const;
  PositionEntry entry_of(const File& f) const;
  int take_slot(int wanted);
  void release(File& f);
  void load_markers();
  void forget_last_run();
  void close_file(File& f, const char* why);
  void save_positions_now();
  void update_lag();

  TaildirSourceOptions options_;
  runtime::LoopThread loop_;
  std::vector<Group> groups_;
  std::map<std::pair<uint64_t, uint64_t>, File> files_;  // (dev, inode) -> file
  std::vector<Truncated> truncated_;  // recent copytruncate victims, for their copies
  std::vector<PositionEntry> saved_;  // loaded at start, matched while the last run is recalled
  // Durable channels' markers (slot, entry) per channel, loaded at start, matched likewise.
  std::vector<std::vector<std::pair<int, PositionEntry>>> marked_;
  // Until then a file seen for the first time is looked up in the last run's positions, not
  // only at the first scan: a rotation that renames a file while the starting agent lists its
  // directory can hide the file from that listing (readdir and a concurrent rename), and it
  // shows up in the next one. Then the positions are forgotten and their slots freed.
  Clock::time_point recall_last_run_until_{};
  bool durable_ = false;             // some channel keeps markers: commit positions with the events
  std::vector<char> slot_used_;      // marker slots held by tracked files
  std::vector<char> slot_reserved_;  // slots of the last run's markers, while it is recalled
  std::string position_path_;
  uv_timer_t* timer_ = nullptr;
  int64_t backoff_ms_ = 0;
  bool positions_dirty_ = false;
  // A position was set without a commit (a copy, skipToEnd): written at once, since no marker
  // carries it.
  bool positions_urgent_ = false;
  Clock::time_point last_position_write_{};
  Clock::time_point last_position_sync_{};
  Clock::time_point last_scan_{};
  bool stopping_ = false;
  // Paths named by change notifications since the last work(); all of them on an overflow.
  std::set<std::string> changed_paths_;
  bool all_changed_ = false;
  util::LogThrottle truncation_log_;
  util::LogThrottle position_log_;

  // One read-ahead buffer for the file being read.
  std::string buf_;
  std::pair<uint64_t, uint64_t> buf_file_{~0ULL, ~0ULL};
  uint64_t buf_start_ = 0;
  size_t buf_len_ = 0;
  EventBatch batch_;
  // Batches committed asynchronously, oldest first: only within one work(), which leaves none
  // in flight. A file's pos and head are advanced past them as they are read (so that the next
  // batch reads on) and put back if one fails; the position file and markers carry only
  // committed positions (markers go with their commits, the file is written after settle).
  struct InFlight {
    std::pair<uint64_t, uint64_t> file;
    uint64_t pos_before;
    std::string head_before;
    size_t lines;
    uint64_t bytes;
    bool done = false;  // set by the channel's committer, under flight_mu_
    Status status;
  };
  // How many batches may be in flight: 8, or as many as make about 3,200 events (32 at
  // Flume's batch of 100), so that a durable channel's group commit merges enough of them.
  // TAILDIR -> file channel -> null at the defaults, 1M lines: 0.97 -> 0.68 s (8 -> 32).
  static constexpr size_t kMinInFlight = 8;
  static constexpr size_t kMaxInFlight = 32;
  static constexpr size_t kInFlightEvents = 3200;
  size_t max_in_flight() const {
    return std::clamp<size_t>(kInFlightEvents / std::max<size_t>(1, options_.batch_size),
                              kMinInFlight, kMaxInFlight);
  }
  std::deque<InFlight> in_flight_;
  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
  std::shared_ptr<pipeline::CommitChain> chain_ = std::make_shared<pipeline::CommitChain>();
  std::string head_read_;  // the head bytes a batch read, while a head is not complete
  std::string marker_key_, marker_value_;

  metrics::Counter* lines_split_ = nullptr;
  metrics::Counter* partial_lines_ = nullptr;
  metrics::Counter* truncations_ = nullptr;
  metrics::Counter* rotations_ = nullptr;
};

}  // namespace flumen::plugins
