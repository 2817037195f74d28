#include "plugins/channels/file/file_channel.h"

#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <thread>

#include "plugins/channels/file/event_codec.h"
#include "plugins/channels/file/rocksdb_logger.h"

namespace flumen::plugins {

namespace {

constexpr char kFormatKey[] = "m:format";
constexpr char kHeadKey[] = "m:head";
const std::string kMarkerPrefix = "k:";
constexpr char kFormatVersion[] = "1";

std::string event_key(uint64_t seq) {
  std::string k(9, '\0');
  k[0] = 'e';
  for (int i = 0; i < 8; ++i)
    k[1 + i] = static_cast<char>(seq >> (56 - 8 * i));
  return k;
}

uint64_t key_seq(const rocksdb::Slice& k) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<uint8_t>(k[1 + i]);
  return v;
}

std::string u64be(uint64_t v) {
  return event_key(v).substr(1);
}

uint64_t parse_u64be(const std::string& s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i)
    v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

bool is_event_key(const rocksdb::Slice& k) {
  return k.size() == 9 && k[0] == 'e';
}

Error db_error(const std::string& what, const rocksdb::Status& s) {
  ErrorCode code = s.IsCorruption()                 ? ErrorCode::kCorruption
                   : s.IsNoSpace() || s.IsIOError() ? ErrorCode::kIo
                                                    : ErrorCode::kInternal;
  return make_error(code, what + ": " + s.ToString());
}

// Hears about RocksDB's background errors (a failed flush or compaction: the disk filled) and
// keeps RocksDB from recovering on its own: the channel recovers the database itself, on the
// threads that commit and on its clock (FileChannel::maybe_recover), instead of RocksDB's
// recovery thread, which polls every 5 s and races the database's close.
class ErrorListener : public rocksdb::EventListener {
 public:
  explicit ErrorListener(std::atomic<bool>* seen) : seen_(seen) {}
  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
    if (error && !error->ok()) seen_->store(true);
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    if (auto_recovery) *auto_recovery = false;
  }

 private:
  std::atomic<bool>* seen_;
};

}  // namespace

class FileChannel::Txn : public pipeline::BasicTransaction {
 public:
  explicit Txn(FileChannel* ch) : BasicTransaction(*ch, ch->counters_), ch_(ch) {}
  ~Txn() override { rollback(); }

 protected:
  Status do_take(size_t max, EventBatch& taken) override {
    if (Status s = ch_->take(max, taken, ranges_); !s) {
      ch_->take_errors_->inc();
      return s;
    }
    return Status::ok();
  }
  Status do_commit_put(EventBatch& staged, const Markers& markers, bool wait_for_space) override {
    return ch_->commit_put(staged, markers, wait_for_space);
  }
  void do_commit_put_async(EventBatch& staged, const Markers& markers, bool wait_for_space,
                           std::function<void(Status)> done) override {
    ch_->commit_put_async(staged, markers, wait_for_space, chain(), ticket(), std::move(done));
  }
  Status do_commit_take(EventBatch& taken, const Markers& markers) override {
    if (Status s = ch_->commit_take(ranges_, taken.size(), markers); !s) return s;
    ranges_.clear();
    ch_->notify_space();
    return Status::ok();
  }
  void do_rollback_take(EventBatch& taken) override {
    if (!ranges_.empty()) ch_->rollback_take(taken, ranges_);
    ranges_.clear();
  }

 private:
  FileChannel* ch_;
  std::vector<Range> ranges_;  // the database keys of the taken events
};

FileChannel::FileChannel(std::string name, FileChannelOptions options,
                         std::shared_ptr<metrics::ComponentMetrics> metrics, FileChannelEnv env)
    : Channel(std::move(name)),
      options_(std::move(options)),
      env_(env),
      metrics_(std::move(metrics)),
      counters_(*metrics_),
      put_errors_(&metrics_->counter("EventPutErrorCount")),
      take_errors_(&metrics_->counter("EventTakeErrorCount")),
      syncs_(&metrics_->counter("SyncCount")),
      unhealthy_(&metrics_->counter("Unhealthy", metrics::MetricKind::kGauge)),
      resume_log_(std::chrono::seconds(30), *env_.clock),
      rocksdb_logger_(std::make_shared<RocksDbLogger>(this->name())) {
  counters_.channel_capacity->set(options_.capacity);
  dir_ = options_.database_dir(this->name());
  // RocksDB must not meet a full disk through our own puts: they stop while the disk still has
  // room for the memtables to be flushed (minimumRequiredSpace, raised to cover them if needed).
  const int64_t memtables = static_cast<int64_t>(options_.write_buffer_mb) * 3 << 20;
  space_guard_ = std::make_unique<util::FreeSpaceGuard>(
      dir_, std::max(options_.minimum_required_space, memtables + (1 << 20)), *env_.clock);
}

FileChannel::~FileChannel() {
  stop();
}

Status FileChannel::start() {
  if (db_) return Status::ok();
  if (Status s = open_database(); !s) return s;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  if (!committer_.joinable()) committer_ = std::thread([this] { run_committer(); });
  return Status::ok();
}

void FileChannel::run_committer() {
  std::unique_lock lock(mu_);
  for (;;) {
    committer_cv_.wait(lock, [&] { return (!put_queue_.empty() && !leader_active_) || stopping_; });
    // Stopping: what is queued is still written (its callers wait for their dones), then the
    // thread ends; commit_async refuses new requests from then on.
    if (put_queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    if (leader_active_) {
      committer_cv_.wait(lock, [&] { return !leader_active_; });
      continue;
    }
    lead_group_commit(lock);
  }
}

rocksdb::Status FileChannel::open_handle() {
  rocksdb::Options o;
  if (env_.rocksdb_env) o.env = env_.rocksdb_env;
  o.create_if_missing = true;
  o.paranoid_checks = true;
  o.write_buffer_size = static_cast<size_t>(options_.write_buffer_mb) << 20;
  o.max_write_buffer_number = 3;
  o.max_background_jobs = 2;
  o.compression = options_.compression == "lz4"    ? rocksdb::kLZ4Compression
                  : options_.compression == "zstd" ? rocksdb::kZSTD
                                                   : rocksdb::kNoCompression;
  // A consumed queue is mostly range tombstones over old chunks: compact them away promptly.
  o.level0_file_num_compaction_trigger = 2;
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Only WAL-less writes leave data to flush at close, and there are none; never wait for a
  // flush on close (a database in its error state would not run it).
  o.avoid_flush_during_shutdown = true;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.info_log = rocksdb_logger_;  // never a LOG file on the channel's disk (rocksdb_logger.h)
  o.listeners.push_back(std::make_shared<ErrorListener>(&background_error_));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(o, dir_, &raw);
  if (s.ok()) db_.reset(raw);
  return s;
}

Status FileChannel::open_database() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create " + dir_ + ": " + ec.message());
  rocksdb::Status s = open_handle();
  if (!s.ok()) {
    std::string msg =
        "channel " + name() + ": cannot open its database in " + dir_ + ": " + s.ToString();
    if (s.ToString().find("lock") != std::string::npos ||
        s.ToString().find("Lock") != std::string::npos)
      msg +=
          " (another channel or agent is using this directory: give each file channel its "
          "own dataDirs)";
    if (s.IsCorruption())
      msg += " (the database is damaged: `flumen repair-channel " + dir_ +
             "` salvages what can be read; or move the directory away to start empty)";
    return make_error(s.IsCorruption() ? ErrorCode::kCorruption : ErrorCode::kIo, msg);
  }

  std::string value;
  s = db_->Get(rocksdb::ReadOptions(), kFormatKey, &value);
  if (s.IsNotFound()) {
    s = db_->Put(rocksdb::WriteOptions(), kFormatKey, kFormatVersion);
  } else if (s.ok() && value != kFormatVersion) {
    db_.reset();
    return make_error(ErrorCode::kCorruption, "channel " + name() + ": " + dir_ +
                                                  " holds format version " + value +
                                                  ", this flumen reads version 1");
  }
  if (!s.ok()) return db_error("channel " + name() + ": reading metadata", s);

  uint64_t head = 0;
  s = db_->Get(rocksdb::ReadOptions(), kHeadKey, &value);
  if (s.ok()) head = parse_u64be(value);
  // The tail comes from the last chunk; the head's chunk is the one at or before the head.
  // Two seeks, whatever the size of the history.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  uint64_t tail = head;
  it->SeekForPrev(event_key(UINT64_MAX));
  if (it->Valid() && is_event_key(it->key())) {
    uint64_t first = key_seq(it->key());
    uint32_t n = chunk_count({it->value().data(), it->value().size()});
    tail = std::max(head, first + n);
  }
  if (!it->status().ok())
    return db_error("channel " + name() + ": reading the queue", it->status());

  {
    std::lock_guard lock(mu_);
    next_seq_ = tail_seq_ = tail;
    used_slots_ = static_cast<size_t>(tail - head);
  }
  {
    std::lock_guard lock(take_mu_);
    cursor_ = head_ = head;
    chunks_.clear();
  }
  publish_size();
  spdlog::info("file channel {}: {} events queued in {}", name(), tail - head, dir_);
  return Status::ok();
}

void FileChannel::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  space_cv_.notify_all();
  put_cv_.notify_all();
  committer_cv_.notify_all();
  if (committer_.joinable()) committer_.join();  // after it wrote what was queued
  std::lock_guard lock(mu_);
  std::unique_lock db_lock(db_mu_);
  if (db_) {
    // A database in its error state refuses the sync (and RocksDB asserts on a log writer that
    // saw an error): what it committed is already on disk.
    if (!db_failed_.load()) db_->SyncWAL();
    db_.reset();
  }
}

bool FileChannel::is_open() const {
  std::shared_lock db_lock(db_mu_);
  return db_ != nullptr || db_failed_.load();  // closed for a reopen after a failure: still ours
}

std::unique_ptr<pipeline::Transaction> FileChannel::begin() {
  return std::make_unique<Txn>(this);
}

size_t FileChannel::size() const {
  return static_cast<size_t>(counters_.channel_size->get());
}

void FileChannel::publish_size() {
  // Queued = published events not handed out yet (rolled back ones included).
  uint64_t tail;
  {
    std::lock_guard lock(mu_);
    tail = tail_seq_;
  }
  int64_t returned = 0;
  uint64_t cursor;
  {
    std::lock_guard lock(take_mu_);
    for (const auto& r : returned_)
      returned += static_cast<int64_t>(r.events.size());
    cursor = cursor_;
  }
  counters_.channel_size->set(static_cast<int64_t>(tail - std::min(cursor, tail)) + returned);
}

Status FileChannel::check_free_space(size_t incoming_bytes) {
  const bool ok = space_guard_->allows(static_cast<int64_t>(incoming_bytes));
  const int64_t free_bytes = space_guard_->estimated_free();
  const int64_t required = space_guard_->reserve() + static_cast<int64_t>(incoming_bytes);
  if (ok != space_ok_)
    spdlog::warn("file channel {}: {} bytes free on {} ({} required): puts {}", name(), free_bytes,
                 dir_, required, ok ? "resume" : "paused");
  space_ok_ = ok;
  unhealthy_->set(ok && !db_failed_.load() ? 0 : 1);
  if (ok) return Status::ok();
  return make_error(ErrorCode::kChannelFull,
                    "channel " + name() + ": only " + std::to_string(free_bytes) +
                        " bytes free on " + dir_ + ", puts need " + std::to_string(required) +
                        " (minimumRequiredSpace, or the memtables if larger)");
}

void FileChannel::maybe_recover() {
  if (!db_failed_.load() && !background_error_.load()) return;
  std::lock_guard lock(error_mu_);
  // Leaving the error state writes (a new log, the recovered memtables flushed): on a disk that
  // is still full it fails again, so it is tried at most once a second, however often the
  // callers retry.
  const auto now = env_.clock->now();
  if (now - last_recovery_ < std::chrono::seconds(1)) return;
  last_recovery_ = now;
  // Close and open again rather than DB::Resume(): Resume keeps the failed write-ahead log as
  // the current one when it has no memtable data to flush (RocksDB then asserts on its broken
  // writer at the next write), and can wait forever for a flush that is never scheduled. The
  // reopened database writes a new log; the old one is replayed up to the failed write, which
  // was not applied (a WriteBatch is atomic), so the in-memory queue state still matches it.
  std::unique_lock db_lock(db_mu_);
  db_.reset();
  rocksdb::Status s = open_handle();
  if (!s.ok()) {
    resume_log_.warn(
        "file channel {}: cannot reopen its database yet ({}); trying again once a "
        "second while commits are retried",
        name(), s.ToString());
    return;
  }
  const bool was_failed = db_failed_.exchange(false);
  background_error_ = false;
  const uint64_t attempts = resume_log_.clear() + 1;
  if (was_failed)
    spdlog::warn(
        "file channel {}: recovered from its failed write (database reopened after {} "
        "attempt(s)): commits succeed again",
        name(), attempts);
  unhealthy_->set(space_ok_ ? 0 : 1);
}

rocksdb::Status FileChannel::write(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch& wb) {
  maybe_recover();
  std::shared_lock db_lock(db_mu_);
  if (!db_) return rocksdb::Status::IOError("the database is closed after a failed write");
  // A database still in its error state refuses the write at once, without touching the disk.
  rocksdb::Status s = db_->Write(wo, &wb);
  // Lock order: error_mu_ before db_mu_ (maybe_recover holds the one and waits for the other).
  db_lock.unlock();
  if (!s.ok()) {
    std::lock_guard lock(error_mu_);
    if (!db_failed_.exchange(true)) {
      last_recovery_ = env_.clock->now();
      spdlog::error(
          "file channel {}: write failed: {}; commits fail until the database "
          "recovers (tried once a second)",
          name(), s.ToString());
    }
    space_guard_->write_failed();
    unhealthy_->set(1);
  }
  return s;
}

std::map<std::string, std::string> FileChannel::markers(std::string_view prefix) const {
  std::map<std::string, std::string> out;
  // Off: none are kept (those an earlier run with it on left are not read either).
  if (!options_.exactly_once) return out;
  std::lock_guard lock(mu_);
  std::shared_lock db_lock(db_mu_);
  if (!db_) return out;
  const std::string start = kMarkerPrefix + std::string(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next())
    out.emplace(it->key().ToString().substr(kMarkerPrefix.size()), it->value().ToString());
  return out;
}

void FileChannel::add_markers(rocksdb::WriteBatch& wb,
                              const std::vector<std::pair<std::string, std::string>>& markers) {
  for (const auto& [key, v] : markers) {
    if (v.empty())
      wb.Delete(kMarkerPrefix + key);
    else
      wb.Put(kMarkerPrefix + key, v);
  }
}

Status FileChannel::save_marker(std::string_view key, std::string_view value) {
  if (!options_.exactly_once) return Status::ok();
  if (!is_open()) return make_error(ErrorCode::kUnavailable, "channel " + name() + " is not open");
  rocksdb::WriteBatch wb;
  add_markers(wb, {{std::string(key), std::string(value)}});
  rocksdb::WriteOptions wo;
  // Written through to the operating system before it returns, so a kill -9 keeps it; not
  // synced, as take commits are not: a sync per take would halve a forward sink's throughput,
  // and what a power cut loses here only repeats a take (forward_sink.cc bumps its numbers
  // above what its receiver says it holds), never loses one.
  wo.sync = false;
  rocksdb::Status s = write(wo, wb);
  if (!s.ok()) return db_error("channel " + name() + ": marker write", s);
  return Status::ok();
}

Status FileChannel::reserve_put(std::unique_lock<std::mutex>& lock, const EventBatch& staged,
                                bool wait_for_space) {
  const size_t n = staged.size();
  const size_t cap = static_cast<size_t>(options_.capacity);
  if (!is_open()) return make_error(ErrorCode::kUnavailable, "channel " + name() + " is not open");
  if (Status s = check_free_space(staged.arena_bytes()); !s) {
    put_errors_->inc();
    return s;
  }
  if (used_slots_ + n > cap) {
    if (wait_for_space)
      space_cv_.wait_for(lock, std::chrono::seconds(options_.keep_alive_seconds),
                         [&] { return used_slots_ + n <= cap || stopping_; });
    if (used_slots_ + n > cap)
      return make_error(ErrorCode::kChannelFull,
                        "channel " + name() + " is full (" + std::to_string(used_slots_) + "/" +
                            std::to_string(cap) +
                            " events): sinks are not keeping up or are failing");
  }
  used_slots_ += n;  // reserved now so concurrent commits cannot overbook
  return Status::ok();
}

Status FileChannel::commit_put(const EventBatch& staged,
                               const std::vector<std::pair<std::string, std::string>>& markers,
                               bool wait_for_space) {
  PutRequest req{&staged, &markers, {}, nullptr, 0, false, {}};
  std::unique_lock lock(mu_);
  if (Status s = reserve_put(lock, staged, wait_for_space); !s) return s;
  put_queue_.push_back(&req);
  while (!req.done) {
    if (!leader_active_) {
      lead_group_commit(lock);
    } else {
      put_cv_.wait(lock);
    }
  }
  return req.status;
}

void FileChannel::commit_put_async(const EventBatch& staged,
                                   const std::vector<std::pair<std::string, std::string>>& markers,
                                   bool wait_for_space,
                                   std::shared_ptr<pipeline::CommitChain> chain, uint64_t ticket,
                                   std::function<void(Status)> done) {
  std::unique_lock lock(mu_);
  Status s = stopping_
                 ? Status(make_error(ErrorCode::kUnavailable, "channel " + name() + " is stopping"))
                 : reserve_put(lock, staged, wait_for_space);
  if (!s) {
    lock.unlock();
    done(std::move(s));
    return;
  }
  put_queue_.push_back(
      new PutRequest{&staged, &markers, std::move(done), std::move(chain), ticket, false, {}});
  if (!leader_active_) committer_cv_.notify_one();
}

std::chrono::microseconds group_commit_delay(int64_t window_us, bool sync_per_commit,
                                             size_t last_group_commits,
                                             std::chrono::microseconds last_sync_took) {
  if (window_us > 0) return std::chrono::microseconds(window_us);
  // Adaptive: when the last synced group carried several commits (a source with batches in
  // flight, a forward receiver's window, several writers), more are likely a moment away, and
  // waiting up to half a sync's time for them lets one sync serve them. A lone writer's groups
  // carry one commit: it never waits. At Flume's batch of 100, TAILDIR -> file channel -> null:
  // syncs per 1,000 lines 2.2 -> 1.3; the two-agent file-channel hop 1.33-1.40 -> 1.09-1.18 s
  // for 500,000 lines (bench/defaults_matrix.py).
  constexpr std::chrono::microseconds kMaxAdaptiveDelay{200};
  if (!sync_per_commit || last_group_commits < 2) return {};
  return std::min(kMaxAdaptiveDelay, last_sync_took / 2);
}

std::chrono::microseconds FileChannel::commit_delay() const {
  return group_commit_delay(options_.group_commit_window_us, options_.fsync_per_transaction,
                            last_group_commits_, last_sync_took_);
}

void FileChannel::lead_group_commit(std::unique_lock<std::mutex>& lock) {
  leader_active_ = true;
  if (const auto delay = commit_delay(); delay.count() > 0) {
    lock.unlock();
    std::this_thread::sleep_for(delay);
    lock.lock();
  }
  // A commit after a failed one of its chain (whose done ran) is not written: its marker must
  // not land without the failed commit's events.
  std::vector<PutRequest*> group, refused;
  size_t refused_events = 0;
  for (PutRequest* r : put_queue_) {
    if (r->chain && r->chain->refuses(r->ticket)) {
      refused.push_back(r);
      refused_events += r->batch->size();
    } else {
      group.push_back(r);
    }
  }
  put_queue_.clear();
  used_slots_ -= std::min(used_slots_, refused_events);
  uint64_t seq = next_seq_;
  const auto now = std::chrono::steady_clock::now();
  const bool sync = options_.fsync_per_transaction ||
                    now - last_sync_ >= std::chrono::seconds(options_.fsync_interval_seconds);
  lock.unlock();

  // Encoding and the write happen outside the lock: other commits queue up meanwhile and form
  // the next group. Queue order is write order, so of two commits that set the same marker
  // the later one's value is what the batch leaves.
  rocksdb::WriteBatch wb;
  std::string value;
  uint64_t next = seq;
  size_t events = 0;
  for (PutRequest* r : group) {
    encode_chunk(*r->batch, value);
    wb.Put(event_key(next), value);
    next += r->batch->size();
    events += r->batch->size();
    add_markers(wb, *r->markers);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  // On failure nothing was committed (a WriteBatch is atomic): every commit of the group
  // fails, and the sources keep their batches and retry.
  const auto write_started = std::chrono::steady_clock::now();
  rocksdb::Status s = group.empty() ? rocksdb::Status::OK() : write(wo, wb);
  const auto write_took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - write_started);

  lock.lock();
  if (s.ok() && !group.empty()) {
    space_guard_->wrote(static_cast<int64_t>(wb.GetDataSize()));
    next_seq_ = tail_seq_ = next;
    if (sync) {
      last_sync_ = now;
      last_group_commits_ = group.size();
      last_sync_took_ = write_took;
      syncs_->inc();
    }
  } else if (!s.ok()) {
    used_slots_ -= std::min(used_slots_, events);
  }
  lock.unlock();
  if (!refused.empty()) space_cv_.notify_all();
  Status result = s.ok() ? Status::ok() : Status(db_error("channel " + name() + ": write", s));
  if (s.ok() && !group.empty()) {
    counters_.event_put_success->inc(static_cast<int64_t>(events));
    publish_size();
    notify_waiters();
  } else if (!s.ok()) {
    put_errors_->inc(static_cast<int64_t>(group.size()));
    space_cv_.notify_all();
  }
  // The asynchronous commits hear first, in queue order, while this thread still leads: the
  // next group cannot complete (and call its dones) before these. A done may end its
  // transaction, so the request is not touched after it.
  std::vector<PutRequest*> waiting;  // synchronous commits, told below
  for (PutRequest* r : refused) {
    std::function<void(Status)> done = std::move(r->on_done);
    delete r;
    done(pipeline::broken_chain_error(*this));
  }
  for (PutRequest* r : group) {
    if (!r->on_done) {
      waiting.push_back(r);
      continue;
    }
    std::function<void(Status)> done = std::move(r->on_done);
    delete r;
    done(result);
  }
  lock.lock();
  for (PutRequest* r : waiting) {
    r->status = result;
    r->done = true;
  }
  leader_active_ = false;
  put_cv_.notify_all();
  if (!put_queue_.empty() || stopping_) committer_cv_.notify_one();
}

Status FileChannel::load_chunk(uint64_t next) {
  // Reads are point lookups: after the first chunk, the cursor always sits on a chunk boundary
  // (the next chunk's key is first + count). A seek is needed only for the chunk holding the
  // head after a restart, where the head may fall inside a chunk.
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), event_key(next), &value);
  uint64_t first = next;
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    it->SeekForPrev(event_key(next));
    if (!it->Valid() || !is_event_key(it->key())) {
      if (!it->status().ok()) return db_error("channel " + name() + ": read", it->status());
      return make_error(ErrorCode::kCorruption,
                        "channel " + name() + ": event " + std::to_string(next) + " is missing");
    }
    first = key_seq(it->key());
    value.assign(it->value().data(), it->value().size());
  } else if (!s.ok()) {
    return db_error("channel " + name() + ": read", s);
  }
  cached_chunk_.clear();
  cached_first_ = UINT64_MAX;
  if (!decode_chunk(value, cached_chunk_))
    return make_error(ErrorCode::kCorruption,
                      "channel " + name() + ": chunk " + std::to_string(first) +
                          " does not decode; run `flumen repair-channel " + dir_ + "`");
  if (next >= first + cached_chunk_.size())
    return make_error(ErrorCode::kCorruption,
                      "channel " + name() + ": event " + std::to_string(next) + " is missing");
  cached_first_ = first;
  if (chunks_.empty() || chunks_.back().first < first)
    chunks_.push_back({first, static_cast<uint32_t>(cached_chunk_.size())});
  return Status::ok();
}

Status FileChannel::read_events(uint64_t from, size_t max, EventBatch& out, uint64_t& next) {
  uint64_t tail;
  {
    std::lock_guard lock(mu_);
    tail = tail_seq_;
  }
  next = from;
  size_t got = 0;
  while (got < max && next < tail) {
    // The decoded chunk is cached: takes that split a chunk decode it once.
    if (cached_first_ == UINT64_MAX || next < cached_first_ ||
        next >= cached_first_ + cached_chunk_.size()) {
      if (Status s = load_chunk(next); !s) return s;
    }
    size_t offset = static_cast<size_t>(next - cached_first_);
    size_t n = std::min(max - got, cached_chunk_.size() - offset);
    out.append_range(cached_chunk_, offset, offset + n);
    got += n;
    next += n;
  }
  return Status::ok();
}

Status FileChannel::take(size_t max, EventBatch& out, std::vector<Range>& ranges) {
  std::lock_guard lock(take_mu_);
  maybe_recover();  // a failed reopen left the database closed: reads need it too
  std::shared_lock db_lock(db_mu_);
  if (!db_) return make_error(ErrorCode::kUnavailable, "channel " + name() + " is not open");
  size_t got = 0;
  while (got < max && !returned_.empty()) {
    Returned& r = returned_.front();
    if (r.events.size() > max - got) break;  // keep a rolled back batch whole
    got += r.events.size();
    out.append_all(r.events);
    ranges.insert(ranges.end(), r.ranges.begin(), r.ranges.end());
    returned_.pop_front();
  }
  if (got < max && returned_.empty()) {
    uint64_t next;
    if (Status s = read_events(cursor_, max - got, out, next); !s) return s;
    if (next > cursor_) {
      ranges.push_back({cursor_, next});
      outstanding_[cursor_] = next;
      cursor_ = next;
    }
  }
  // publish_size takes take_mu_ itself; update here directly.
  uint64_t tail;
  {
    std::lock_guard l(mu_);
    tail = tail_seq_;
  }
  int64_t ret = 0;
  for (const auto& r : returned_)
    ret += static_cast<int64_t>(r.events.size());
  counters_.channel_size->set(static_cast<int64_t>(tail - std::min(cursor_, tail)) + ret);
  return Status::ok();
}

Status FileChannel::commit_take(const std::vector<Range>& ranges, size_t events,
                                const std::vector<std::pair<std::string, std::string>>& markers) {
  rocksdb::WriteBatch wb;
  {
    std::lock_guard lock(take_mu_);
    for (const Range& r : ranges)
      outstanding_.erase(r.begin);
    uint64_t new_head = outstanding_.empty() ? cursor_ : outstanding_.begin()->first;
    for (const auto& r : returned_)
      for (const Range& rr : r.ranges)
        new_head = std::min(new_head, rr.begin);
    // A sink's markers are written even when the head cannot move (an older take of another
    // taker is still outstanding): they record this take's output, not the head.
    if (new_head > head_ || !markers.empty()) {
      // Chunks wholly below the new head are consumed. Each was written once, so SingleDelete
      // lets a flush or compaction drop the pair outright: the queue leaves no tombstone trail
      // that later reads would have to skip. Deletes, the new head and the sink's markers are
      // one atomic write.
      size_t consumed = 0;
      if (new_head > head_) {
        for (const auto& [first, count] : chunks_) {
          if (first + count > new_head) break;
          wb.SingleDelete(event_key(first));
          ++consumed;
        }
        wb.Put(kHeadKey, u64be(new_head));
      }
      add_markers(wb, markers);
      rocksdb::WriteOptions wo;
      // A take commit lost to a power cut only redelivers; puts carry the durability. The
      // write reaches the operating system before it returns, so a kill -9 loses none of it.
      wo.sync = false;
      rocksdb::Status s = write(wo, wb);
      if (!s.ok()) {
        take_errors_->inc();
        // Not committed: the ranges stay outstanding so the events are not lost.
        for (const Range& r : ranges)
          outstanding_[r.begin] = r.end;
        return db_error("channel " + name() + ": take commit", s);
      }
      chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<ptrdiff_t>(consumed));
      head_ = std::max(head_, new_head);
    }
  }
  {
    std::lock_guard lock(mu_);
    used_slots_ -= std::min(used_slots_, events);
  }
  space_cv_.notify_all();
  return Status::ok();
}

void FileChannel::rollback_take(EventBatch& events, std::vector<Range>& ranges) {
  {
    std::lock_guard lock(take_mu_);
    Returned r;
    r.events.swap(events);
    r.ranges = ranges;
    // Older events go first: insert in order of their first sequence number.
    auto pos = returned_.begin();
    uint64_t first = ranges.empty() ? 0 : ranges.front().begin;
    while (pos != returned_.end() && !pos->ranges.empty() && pos->ranges.front().begin < first)
      ++pos;
    returned_.insert(pos, std::move(r));
  }
  publish_size();
  notify_waiters();
}

}  // namespace flumen::plugins
