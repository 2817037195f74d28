#include "broker/storage/log_cleaner.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>

#include "agent/util/byte_order.h"
#include "agent/util/log_throttle.h"
#include "broker/storage/batch_records.h"
#include "broker/storage/offset_map.h"
#include "broker/storage/segment_swap.h"
#include "broker/storage/topic_store.h"

namespace flumen::broker {

namespace {

util::LogThrottle& failure_log() {
  static util::LogThrottle t;
  return t;
}

int64_t saturating_add(int64_t a, int64_t b) {
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}

bool pread_all(int fd, uint64_t pos, size_t n, std::string& out) {
  out.resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, out.data() + done, n - done, static_cast<off_t>(pos + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

// The batches of one segment, in order. A header that does not make sense ends the segment (the
// log's own reader stops there too).
class BatchReader {
 public:
  BatchReader(const CleanJob::Segment& s) : s_(s) {}
  // The next batch's header; with `body`, its bytes too.
  bool next(BatchHeader& h, std::string* body) {
    if (pos_ + kBatchHeaderSize > s_.info.size) return false;
    if (!pread_all(s_.fd, pos_, kBatchHeaderSize, head_) || !read_batch_header(head_, h) ||
        h.magic != 2 || pos_ + h.total_size() > s_.info.size)
      return false;
    if (body && !pread_all(s_.fd, pos_, h.total_size(), *body)) return false;
    pos_ += h.total_size();
    return true;
  }

 private:
  const CleanJob::Segment& s_;
  uint64_t pos_ = 0;
  std::string head_;
};

// log.cleaner.io.max.bytes.per.second: sleeps the cleaner thread when it reads ahead of it.
class Throttle {
 public:
  Throttle(int64_t per_second, const std::atomic<bool>& stop) : limit_(per_second), stop_(stop) {}
  void charge(size_t bytes) {
    if (limit_ <= 0) return;
    bytes_ += static_cast<double>(bytes);
    const double due_s = bytes_ / static_cast<double>(limit_);
    for (;;) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      if (elapsed >= due_s || stop_.load()) return;
      std::this_thread::sleep_for(std::chrono::duration<double>(std::min(due_s - elapsed, 0.05)));
    }
  }

 private:
  int64_t limit_;
  const std::atomic<bool>& stop_;
  double bytes_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Aborted transactions by producer, for "is this batch part of one".
class AbortedSet {
 public:
  explicit AbortedSet(const std::vector<AbortedTxn>& list) {
    for (const AbortedTxn& a : list)
      by_producer_[a.producer_id].push_back(a);
  }
  bool contains(int64_t producer_id, int64_t offset) const {
    auto it = by_producer_.find(producer_id);
    if (it == by_producer_.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [offset](const AbortedTxn& a) {
      return a.first_offset <= offset && offset <= a.last_offset;
    });
  }

 private:
  std::map<int64_t, std::vector<AbortedTxn>> by_producer_;
};

bool is_aborted_batch(const BatchHeader& h, const AbortedSet& aborted) {
  return (h.attributes & kTransactionalBit) != 0 && !h.is_control() &&
         aborted.contains(h.producer_id, h.base_offset);
}

// One cleaned output file with its two indexes, built like PartitionLog's appends build them.
class CleanedSegment {
 public:
  CleanedSegment(const std::string& dir, int64_t base, int64_t index_interval)
      : dir_(dir), base_(base), interval_(index_interval) {}
  ~CleanedSegment() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status open() {
    fd_ = ::open(path(".log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return error("cannot create", path(".log"));
    return Status::ok();
  }
  Status add(std::string_view batch, int64_t base_offset, int64_t max_timestamp) {
    const uint64_t pos = size_ + buffer_.size();
    if (index_.empty() || pos - last_index_pos_ >= static_cast<uint64_t>(interval_)) {
      const auto rel = static_cast<uint32_t>(base_offset - base_);
      util::append_be<uint32_t>(index_, rel);
      util::append_be<uint32_t>(index_, static_cast<uint32_t>(pos));
      last_index_pos_ = pos;
      if (max_timestamp > last_time_) {
        util::append_be<int64_t>(time_index_, max_timestamp);
        util::append_be<uint32_t>(time_index_, rel);
        last_time_ = max_timestamp;
      }
    }
    buffer_.append(batch);
    if (buffer_.size() >= (1 << 20)) return drain();
    return Status::ok();
  }
  // Writes the rest and both indexes, each fsynced.
  Status finish() {
    if (Status s = drain(); !s) return s;
    if (::fsync(fd_) != 0) return error("cannot sync", path(".log"));
    if (Status s = write_file(".index", index_); !s) return s;
    return write_file(".timeindex", time_index_);
  }
  uint64_t size() const { return size_ + buffer_.size(); }

 private:
  std::string path(const char* ext) const { return segment_file(dir_, base_, ext) + ".cleaned"; }
  static Status error(const char* what, const std::string& p) {
    return make_error(ErrorCode::kIo, std::string(what) + " " + p + ": " + std::strerror(errno));
  }
  static bool write_all(int fd, std::string_view b) {
    while (!b.empty()) {
      const ssize_t w = ::write(fd, b.data(), b.size());
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      b.remove_prefix(static_cast<size_t>(w));
    }
    return true;
  }
  Status drain() {
    if (!write_all(fd_, buffer_)) return error("cannot write", path(".log"));
    size_ += buffer_.size();
    buffer_.clear();
    return Status::ok();
  }
  Status write_file(const char* ext, const std::string& bytes) const {
    const int fd = ::open(path(ext).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return error("cannot create", path(ext));
    const bool ok = write_all(fd, bytes) && ::fsync(fd) == 0;
    ::close(fd);
    return ok ? Status::ok() : error("cannot write", path(ext));
  }

  std::string dir_;
  int64_t base_;
  int64_t interval_;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string buffer_;
  std::string index_, time_index_;
  uint64_t last_index_pos_ = 0;
  int64_t last_time_ = -1;
};

// Step 1: the offset map over the dirty part. Returns the last offset mapped (first_dirty - 1
// when not even one batch fit).
int64_t build_offset_map(const CleanJob& job, const AbortedSet& aborted, OffsetMap& map,
                         size_t max_inflated, CleanerStats& stats, Throttle& throttle,
                         const std::atomic<bool>& stop) {
  int64_t latest = job.first_dirty - 1;
  std::string bytes;
  BatchRecords records;
  for (const CleanJob::Segment& s : job.segments) {
    if (s.info.next_offset <= job.first_dirty) continue;
    BatchReader reader(s);
    BatchHeader h;
    while (!stop.load() && reader.next(h, &bytes)) {
      stats.bytes_read += static_cast<int64_t>(bytes.size());
      throttle.charge(bytes.size());
      if (h.last_offset() < job.first_dirty) continue;
      if (!h.is_control() && !is_aborted_batch(h, aborted) &&
          read_batch_records(bytes, max_inflated, records)) {
        // All of the batch or none of it: a batch half in the map would be half cleaned.
        if (map.size() + records.records.size() >
            static_cast<size_t>(static_cast<double>(map.capacity()) * OffsetMap::kLoadFactor))
          return latest;
        for (const RecordView& r : records.records) {
          const int64_t offset = h.base_offset + r.offset_delta;
          if (r.has_key && offset >= job.first_dirty) (void)map.put(r.key, offset);
        }
      }
      latest = h.last_offset();
    }
  }
  return latest;
}

// Step 2's decisions, batch by batch, over the whole cleaned range in offset order.
class BatchFilter {
 public:
  BatchFilter(const CleanJob& job, const OffsetMap& map, int64_t latest, const AbortedSet& aborted,
              std::map<int64_t, int64_t> last_batch_of_producer, size_t max_inflated,
              CleanerStats& stats)
      : job_(job),
        map_(map),
        latest_(latest),
        aborted_(aborted),
        last_batch_(std::move(last_batch_of_producer)),
        max_inflated_(max_inflated),
        stats_(stats) {}

  // What replaces `batch` in the cleaned segment: `out` (true), or nothing (false). `out` may
  // be `batch` itself (unchanged: `unchanged` set).
  bool filter(std::string_view batch, const BatchHeader& h, std::string& out, bool& unchanged) {
    unchanged = false;
    const bool horizon_set = (h.attributes & kDeleteHorizonBit) != 0;
    const bool horizon_passed = horizon_set && job_.now_ms >= h.base_timestamp;
    if (h.is_control()) {
      // A marker may go once no batch of its transaction is left before it, and after its
      // delete horizon: the first clean that finds it removable sets one.
      const bool removable = txn_batches_kept_.erase(h.producer_id) == 0;
      if (removable && horizon_passed) {
        ++stats_.markers_removed;
        return false;
      }
      if (!removable || horizon_set) return keep_as_is(unchanged);
      BatchRecords r;
      if (!read_batch_records(batch, max_inflated_, r)) return keep_as_is(unchanged);
      std::vector<const RecordView*> all;
      for (const RecordView& v : r.records)
        all.push_back(&v);
      return rebuild(h, true, all, batch, out, unchanged);
    }
    BatchRecords r;
    std::vector<const RecordView*> kept;
    bool needs_horizon = false;
    if (is_aborted_batch(h, aborted_)) {
      stats_.records_removed += h.records_count;
    } else if (h.last_offset() > latest_) {
      return kept_batch(h, keep_as_is(unchanged));  // past the map: left for the next round
    } else if (!read_batch_records(batch, max_inflated_, r)) {
      return kept_batch(h, keep_as_is(unchanged));  // unreadable here: never dropped
    } else {
      for (const RecordView& v : r.records) {
        const int64_t offset = h.base_offset + v.offset_delta;
        if (offset > latest_) {
          kept.push_back(&v);
        } else if (!v.has_key || map_.get(v.key) > offset) {
          ++stats_.records_removed;
        } else if (!v.has_value && horizon_passed) {
          ++stats_.tombstones_removed;
        } else {
          needs_horizon |= !v.has_value && !horizon_set;
          kept.push_back(&v);
        }
      }
      if (kept.size() == r.records.size() && !needs_horizon)
        return kept_batch(h, keep_as_is(unchanged));
    }
    if (kept.empty()) {
      // Its producer's last batch stays, empty: the sequence check after a restart reads it.
      auto last = last_batch_.find(h.producer_id);
      if (h.producer_id < 0 || last == last_batch_.end() || last->second != h.base_offset)
        return false;
    }
    return kept_batch(h, rebuild(h, needs_horizon, kept, batch, out, unchanged));
  }

 private:
  static bool keep_as_is(bool& unchanged) {
    unchanged = true;
    return true;
  }
  // A transactional data batch that stays keeps its transaction's marker.
  bool kept_batch(const BatchHeader& h, bool kept) {
    if (kept && (h.attributes & kTransactionalBit) != 0) txn_batches_kept_.insert(h.producer_id);
    return kept;
  }
  bool rebuild(const BatchHeader& h, bool set_horizon, const std::vector<const RecordView*>& kept,
               std::string_view batch, std::string& out, bool& unchanged) {
    BatchHeader nh = h;
    int64_t base_ts = h.base_timestamp;
    if (set_horizon) {
      nh.attributes = static_cast<int16_t>(nh.attributes | kDeleteHorizonBit);
      base_ts = saturating_add(job_.now_ms, job_.config.delete_retention_ms);
    }
    if (!build_batch(nh, base_ts, h.base_timestamp, kept, batch_payload(batch), out))
      return keep_as_is(unchanged);  // cannot recompress: keep the original
    return true;
  }

  const CleanJob& job_;
  const OffsetMap& map_;
  int64_t latest_;
  const AbortedSet& aborted_;
  std::map<int64_t, int64_t> last_batch_;  // producer id -> base offset of its last batch
  size_t max_inflated_;
  CleanerStats& stats_;
  std::set<int64_t> txn_batches_kept_;  // producers whose open-in-the-walk transaction kept data
};

}  // namespace

CleanJob::~CleanJob() {
  for (Segment& s : segments)
    if (s.fd >= 0) ::close(s.fd);
}

Result<CleanOutcome> clean_log(const CleanJob& job, const CleanerConfig& config,
                               CleanerStats& stats, const std::atomic<bool>& stop) {
  const auto max_inflated = static_cast<size_t>(config.max_inflated_batch_bytes);
  const AbortedSet aborted(job.aborted);
  Throttle throttle(config.io_max_bytes_per_second, stop);
  // The map is sized for the records of the dirty part (their count is in the batch headers),
  // within log.cleaner.dedupe.buffer.size.
  size_t expected = 0;
  for (const CleanJob::Segment& s : job.segments) {
    if (s.info.next_offset <= job.first_dirty) continue;
    BatchReader reader(s);
    BatchHeader h;
    while (reader.next(h, nullptr))
      expected += static_cast<size_t>(std::max(h.records_count, 0));
  }
  OffsetMap map(static_cast<size_t>(config.dedupe_buffer_bytes), expected);
  const int64_t latest = build_offset_map(job, aborted, map, max_inflated, stats, throttle, stop);
  if (stop.load()) return make_error(ErrorCode::kUnavailable, "cleaner stopped");
  if (latest < job.first_dirty)
    return make_error(ErrorCode::kRejected,
                      "log.cleaner.dedupe.buffer.size is too small for one batch of " + job.dir);

  // The segments from the log start to the one holding the last mapped offset, in groups that
  // stay within segment.bytes and the 32-bit relative offsets of the index.
  std::vector<std::vector<const CleanJob::Segment*>> groups;
  uint64_t group_bytes = 0;
  for (const CleanJob::Segment& s : job.segments) {
    if (s.info.base > latest) break;
    const bool fits =
        !groups.empty() &&
        group_bytes + s.info.size <= static_cast<uint64_t>(job.config.segment_bytes) &&
        s.info.next_offset - groups.back().front()->info.base <= INT32_MAX;
    if (!fits) {
      groups.emplace_back();
      group_bytes = 0;
    }
    groups.back().push_back(&s);
    group_bytes += s.info.size;
  }
  // Each producer's last batch in the range (kept even when emptied).
  std::map<int64_t, int64_t> last_batch;
  for (const auto& g : groups)
    for (const CleanJob::Segment* s : g) {
      BatchReader reader(*s);
      BatchHeader h;
      while (reader.next(h, nullptr))
        if (h.producer_id >= 0 && !h.is_control()) last_batch[h.producer_id] = h.base_offset;
    }

  BatchFilter filter(job, map, latest, aborted, std::move(last_batch), max_inflated, stats);
  CleanOutcome outcome;
  outcome.next_dirty = latest + 1;
  auto fail = [&](Status s) -> Result<CleanOutcome> {
    discard_cleaned(job.dir);
    return s.error();
  };
  std::string bytes, rebuilt;
  for (const auto& g : groups) {
    CleanOutcome::Group og;
    og.base = g.front()->info.base;
    og.end = g.back()->info.next_offset;
    CleanedSegment out(job.dir, og.base, job.config.index_interval_bytes);
    if (Status s = out.open(); !s) return fail(s);
    for (const CleanJob::Segment* s : g) {
      og.replaced.emplace_back(s->info.base, s->info.size);
      BatchReader reader(*s);
      BatchHeader h;
      while (reader.next(h, &bytes)) {
        if (stop.load()) return fail(make_error(ErrorCode::kUnavailable, "cleaner stopped"));
        stats.bytes_read += static_cast<int64_t>(bytes.size());
        throttle.charge(bytes.size());
        bool unchanged = false;
        if (!filter.filter(bytes, h, rebuilt, unchanged)) continue;
        const std::string& kept = unchanged ? bytes : rebuilt;
        BatchHeader kh;
        (void)read_batch_header(kept, kh);
        if (Status st = out.add(kept, kh.base_offset, kh.max_timestamp); !st) return fail(st);
      }
    }
    if (Status s = out.finish(); !s) return fail(s);
    stats.bytes_written += static_cast<int64_t>(out.size());
    outcome.groups.push_back(std::move(og));
  }
  return outcome;
}

LogCleaner::LogCleaner(CleanerConfig config, std::function<int64_t()> clock, bool background)
    : config_(config), clock_(std::move(clock)), background_(background) {
  if (background_ && config_.enable) thread_ = std::thread([this] { run_thread(); });
}

LogCleaner::~LogCleaner() {
  stop();
}

void LogCleaner::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // A clean the thread finished but nobody applied: its files go (a restart would delete them
  // too, as they have no cleaner-swap).
  if (done_ && job_) discard_cleaned(job_->dir);
}

void LogCleaner::run_thread() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_.load() || (job_ && !done_); });
    if (stop_.load()) return;
    CleanJob* job = job_.get();
    lock.unlock();
    auto outcome = std::make_unique<Result<CleanOutcome>>(clean_log(*job, config_, stats_, stop_));
    lock.lock();
    done_ = std::move(outcome);
  }
}

std::unique_ptr<CleanJob> LogCleaner::plan(TopicStore& store) {
  const int64_t now = clock_();
  struct Candidate {
    Topic* topic = nullptr;
    size_t partition = 0;
    bool forced = false;
    double ratio = -1;
    int64_t first_dirty = 0, first_uncleanable = 0;
  } best;
  for (const auto& [name, topic] : store.topics()) {
    for (size_t p = 0; p < topic->partitions.size(); ++p) {
      const PartitionLog& log = *topic->partitions[p];
      const LogConfig& c = log.config();
      if (!c.cleanup_compact || log.segment_count() < 2) continue;
      const std::vector<SegmentInfo> segs = log.segment_infos();
      int64_t uncleanable =
          std::min(segs.back().base, topic->txns[p].last_stable_offset(log.log_end_offset()));
      for (size_t i = 0; i + 1 < segs.size() && c.min_compaction_lag_ms > 0; ++i)
        if (segs[i].max_timestamp > now - c.min_compaction_lag_ms) {
          uncleanable = std::min(uncleanable, segs[i].base);
          break;
        }
      const int64_t first_dirty = log.clean_offset();
      uint64_t clean = 0, dirty = 0;
      int64_t end = segs.front().base;  // the end of the last whole cleanable segment
      bool forced = false;
      for (size_t i = 0; i + 1 < segs.size() && segs[i].next_offset <= uncleanable; ++i) {
        end = segs[i].next_offset;
        if (segs[i].next_offset <= first_dirty) {
          clean += segs[i].size;
          continue;
        }
        if (dirty == 0 && c.max_compaction_lag_ms < INT64_MAX && segs[i].max_timestamp >= 0 &&
            now - segs[i].max_timestamp > c.max_compaction_lag_ms)
          forced = true;
        dirty += segs[i].size;
      }
      if (dirty == 0) continue;
      const double ratio = static_cast<double>(dirty) / static_cast<double>(clean + dirty);
      if (ratio < c.min_cleanable_dirty_ratio && !forced) continue;
      if (std::make_pair(forced, ratio) > std::make_pair(best.forced, best.ratio))
        best = {topic.get(), p, forced, ratio, first_dirty, end};
    }
  }
  if (!best.topic) return nullptr;
  const PartitionLog& log = *best.topic->partitions[best.partition];
  auto job = std::make_unique<CleanJob>();
  job->dir = log.dir();
  job->topic = best.topic->name;
  job->topic_id = best.topic->id;
  job->partition = static_cast<int32_t>(best.partition);
  job->config = log.config();
  job->first_dirty = best.first_dirty;
  job->first_uncleanable = best.first_uncleanable;
  job->now_ms = now;
  for (const SegmentInfo& s : log.segment_infos()) {
    if (s.next_offset > best.first_uncleanable) break;
    const int fd = log.dup_segment_fd(s.base);
    if (fd < 0) return nullptr;
    job->segments.push_back({s, fd});
  }
  job->aborted = best.topic->txns[best.partition].aborted_in(job->segments.front().info.base,
                                                             best.first_uncleanable);
  return job;
}

void LogCleaner::apply(TopicStore& store, CleanJob& job, Result<CleanOutcome>& outcome) {
  Topic* topic = store.find(job.topic);
  PartitionLog* log = topic && topic->id == job.topic_id &&
                              static_cast<size_t>(job.partition) < topic->partitions.size()
                          ? topic->partitions[static_cast<size_t>(job.partition)].get()
                          : nullptr;
  if (!outcome) {
    ++stats_.aborted;
    if (outcome.status().code() != ErrorCode::kUnavailable)
      failure_log().warn("broker cleaner: {}", outcome.status().message());
    return;  // clean_log deleted its files
  }
  if (!log || !log->config().cleanup_compact) {
    ++stats_.aborted;
    if (log) discard_cleaned(job.dir);  // (a deleted topic's directory is gone with them)
    return;
  }
  for (const CleanOutcome::Group& g : outcome.value().groups) {
    const auto t0 = std::chrono::steady_clock::now();
    Status s = log->swap_in_cleaned(g.base, g.end, g.replaced);
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    stats_.last_swap_us = us;
    stats_.max_swap_us = std::max<int64_t>(stats_.max_swap_us.load(), us);
    if (!s) {
      ++stats_.aborted;
      // A log that changed meanwhile: the rest is dropped. An I/O error after the commit point
      // is finished by recovery at the next start, so its files must stay.
      if (s.code() == ErrorCode::kUnavailable) {
        discard_cleaned(job.dir);
      } else {
        failure_log().error("broker cleaner: swapping into {} failed: {}", job.dir, s.message());
      }
      return;
    }
  }
  if (Status s = log->set_clean_offset(outcome.value().next_dirty); !s)
    failure_log().warn("broker cleaner: {}", s.message());
  ++stats_.cleans;
  spdlog::debug("broker cleaner: {}-{} cleaned up to offset {}", job.topic, job.partition,
                outcome.value().next_dirty);
}

bool LogCleaner::clean_now(TopicStore& store) {
  std::unique_ptr<CleanJob> job = plan(store);
  if (!job) return false;
  Result<CleanOutcome> outcome = clean_log(*job, config_, stats_, stop_);
  apply(store, *job, outcome);
  return outcome.is_ok();
}

void LogCleaner::poll(TopicStore& store) {
  if (!config_.enable || stop_.load()) return;
  const int64_t now = clock_();
  if (!background_) {
    if (now < next_plan_ms_) return;
    if (!clean_now(store)) next_plan_ms_ = now + config_.backoff_ms;
    return;
  }
  std::unique_ptr<CleanJob> finished;
  std::unique_ptr<Result<CleanOutcome>> outcome;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) {
      finished = std::move(job_);
      outcome = std::move(done_);
    }
  }
  if (finished) {
    apply(store, *finished, *outcome);
    busy_ = false;
    // Another log (or the rest of this one) may be due now; after a failure, wait.
    next_plan_ms_ = outcome->is_ok() ? now : now + config_.backoff_ms;
  }
  if (busy_ || now < next_plan_ms_) return;
  std::unique_ptr<CleanJob> job = plan(store);
  if (!job) {
    next_plan_ms_ = now + config_.backoff_ms;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = std::move(job);
  }
  busy_ = true;
  cv_.notify_all();
}

}  // namespace flumen::broker
