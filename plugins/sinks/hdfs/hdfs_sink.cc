#include "plugins/sinks/hdfs/hdfs_sink.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "agent/metrics/component_metrics.h"
#include "plugins/sinks/file_common/event_text.h"

namespace flumen::plugins {

namespace fs = std::filesystem;

namespace {

// The fixed part of a path pattern (before any escape): the directory every bucket is under.
std::string fixed_root(const std::string& pattern) {
  std::string root = pattern.substr(0, pattern.find('%'));
  const size_t slash = root.rfind('/');
  return slash == std::string::npos ? std::string() : root.substr(0, slash + 1);
}

// True when a component of the path is "..": the bucket would leave the configured directory.
bool climbs_out(std::string_view path) {
  size_t from = 0;
  while (from <= path.size()) {
    size_t end = path.find('/', from);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(from, end - from) == "..") return true;
    from = end + 1;
  }
  return false;
}

}  // namespace

HdfsSink::HdfsSink(std::string name, HdfsSinkOptions options)
    : Sink(std::move(name)), options_(std::move(options)), file_log_(std::chrono::seconds(30)) {
  std::string error;
  const std::string path = local_directory(options_.path);
  path_ = BucketPath::compile(path, error);
  prefix_ = BucketPath::compile(options_.file_prefix, error);
  tz_ = TimeZoneSpec::parse(options_.time_zone).value_or(TimeZoneSpec{});
  if (options_.empty_in_use_suffix) options_.in_use_suffix.clear();
  root_ = fixed_root(path);
  space_guard_ = std::make_unique<util::FreeSpaceGuard>(root_.empty() ? "/" : root_,
                                                        options_.minimum_free_space);
}

HdfsSink::~HdfsSink() {
  stop();
}

Status HdfsSink::start() {
  counter_ = metrics::now_millis();
  rolls_ = &metrics().counter("FileRollCount");
  sync_count_ = &metrics().counter("SyncCount");
  durable_ = channel() != nullptr && channel()->keeps_markers();
  closed_records_.clear();
  if (durable_) {
    record_prefix_ = "hdfs/" + state_key() + "/";
    cut_back_uncommitted();
  }
  recover_in_use_files();
  return Status::ok();
}

void HdfsSink::cut_back_uncommitted() {
  for (const auto& [key, value] : channel()->markers(record_prefix_)) {
    const std::string path = key.substr(record_prefix_.size());
    const off_t committed = std::strtoll(value.c_str(), nullptr, 10);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && st.st_size > committed) {
      const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || ::ftruncate(fd, committed) != 0) {
        spdlog::error("sink {}: cannot cut {} back to its committed {} bytes: {}", name(), path,
                      committed, std::strerror(errno));
        if (fd >= 0) ::close(fd);
        continue;  // its record stays: tried again at the next start
      }
      if (options_.fsync) ::fsync(fd);
      ::close(fd);
      spdlog::info(
          "sink {}: {} cut back from {} to {} bytes: the rest was written by a take that did "
          "not commit before the agent stopped, and is delivered again",
          name(), path, static_cast<int64_t>(st.st_size), static_cast<int64_t>(committed));
    }
    // A file created by a take that never committed holds nothing: gone, as if never made.
    if (committed == 0) ::unlink(path.c_str());
    (void)channel()->save_marker(key, "");
  }
}

pipeline::DeliveryResult HdfsSink::with_lengths(pipeline::DeliveryResult r) {
  if (!durable_) return r;
  auto add = [&](const OpenFile& f) {
    if (!f.touched || f.fd < 0) return;
    r.markers.emplace_back(record_prefix_ + f.in_use_path, std::to_string(f.length));
  };
  for (const auto& [k, f] : files_)
    add(f);
  for (const OpenFile& f : retired_)
    add(f);
  for (std::string& key : closed_records_)
    r.markers.emplace_back(std::move(key), "");
  closed_records_.clear();
  return r;
}

void HdfsSink::stop() {
  settle_committed_batch();
  for (auto& [k, f] : files_)
    close_file(f);
  files_.clear();
}

void HdfsSink::recover_in_use_files() {
  if (options_.in_use_suffix.empty() && options_.in_use_prefix.empty()) return;
  // The fixed part of the path (before any escape) holds every bucket this sink can write.
  const std::string& root = root_;
  std::error_code ec;
  if (root.empty() || !fs::is_directory(root, ec)) return;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string name = it->path().filename().string();
    const auto& pre = options_.in_use_prefix;
    const auto& suf = options_.in_use_suffix;
    if (name.size() <= pre.size() + suf.size() || name.compare(0, pre.size(), pre) != 0 ||
        name.compare(name.size() - suf.size(), suf.size(), suf) != 0)
      continue;
    std::string final_name = name.substr(pre.size(), name.size() - pre.size() - suf.size());
    fs::path target = it->path().parent_path() / final_name;
    if (fs::exists(target, ec)) continue;
    fs::rename(it->path(), target, ec);
    if (!ec)
      spdlog::info("sink {}: closed {} left open by an earlier run", this->name(), target.string());
  }
}

bool HdfsSink::permanent_open_error(int err) const {
  switch (err) {
    case ENOTDIR:  // a file where the bucket needs a directory
    case EEXIST:
    case EISDIR:
    case ENAMETOOLONG:
    case ELOOP:
    case EINVAL:
    case EILSEQ:
      return true;
    case EACCES:
    case EPERM:
      // Below a configured directory we can write to, a bucket we may not create is this
      // event's path; if the configured directory itself is refused, the sink is broken (an
      // operator can fix it): retry.
      return !root_.empty() && ::access(root_.c_str(), W_OK) == 0;
    default:  // ENOSPC, EDQUOT, EMFILE, ENFILE, EIO, EROFS, ENOMEM...: may work later
      return false;
  }
}

HdfsSink::OpenFile* HdfsSink::file_for(const std::string& dir, const std::string& prefix,
                                       OpenError& error) {
  key_ = dir;
  key_ += '/';
  key_ += prefix;
  auto it = files_.find(key_);
  if (it != files_.end() && it->second.fd >= 0) return &it->second;
  if (static_cast<int64_t>(files_.size()) >= options_.max_open_files) {
    auto lru = files_.begin();
    for (auto i = files_.begin(); i != files_.end(); ++i)
      if (i->second.last_write < lru->second.last_write) lru = i;
    if (Status s = write_pending(lru->second); !s) {
      error = {s.message(), false};
      return nullptr;
    }
    retire(lru);
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = {"cannot create " + dir + ": " + ec.message(), permanent_open_error(ec.value())};
    return nullptr;
  }
  std::string suffix = options_.file_suffix;
  if (suffix.empty() && options_.file_type == "compressedstream")
    suffix = options_.codec == "gzip" ? ".gz" : ".zst";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = prefix + "." + std::to_string(counter_++) + suffix;
    OpenFile f;
    f.key = key_;
    f.dir = dir;
    f.final_path = dir + "/" + name;
    f.in_use_path = dir + "/" + options_.in_use_prefix + name + options_.in_use_suffix;
    if (::access(f.final_path.c_str(), F_OK) == 0) continue;
    if (::access(f.in_use_path.c_str(), F_OK) == 0) continue;
    // Recorded before it exists: a kill -9 before the take that writes it commits leaves the
    // channel saying "0 bytes committed" of it, and the next start removes it.
    if (durable_) {
      if (Status s = channel()->save_marker(record_prefix_ + f.in_use_path, "0"); !s) {
        error = {"cannot record the new file " + f.in_use_path + " in channel " +
                     channel()->name() + ": " + s.message(),
                 false};
        return nullptr;
      }
    }
    f.fd = ::open(f.in_use_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f.fd < 0) {
      if (errno == EEXIST) continue;
      const int err = errno;
      error = {"cannot open " + f.in_use_path + ": " + std::strerror(err),
               permanent_open_error(err)};
      return nullptr;
    }
    f.opened_at = f.last_write = clock_();
    f.touched = true;
    if (!checkpoints_.empty()) checkpoints_.back().created.push_back(f.in_use_path);
    counters().connection_created->inc();
    auto [pos, inserted] = files_.insert_or_assign(key_, std::move(f));
    return &pos->second;
  }
  error = {"no free file name in " + dir, false};
  return nullptr;
}

void HdfsSink::retire(std::map<std::string, OpenFile>::iterator it) {
  retired_.push_back(std::move(it->second));
  files_.erase(it);
}

void HdfsSink::compress(std::string& data) {
  if (options_.file_type != "compressedstream" || data.empty()) return;
  if (options_.codec == "zstd") {
    compressed_.resize(ZSTD_compressBound(data.size()));
    size_t n = ZSTD_compress(compressed_.data(), compressed_.size(), data.data(), data.size(), 3);
    if (ZSTD_isError(n)) return;
    compressed_.resize(n);
  } else {
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    compressed_.resize(deflateBound(&z, data.size()) + 32);
    z.next_in = reinterpret_cast<Bytef*>(data.data());
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(compressed_.data());
    z.avail_out = static_cast<uInt>(compressed_.size());
    deflate(&z, Z_FINISH);
    compressed_.resize(z.total_out);
    deflateEnd(&z);
  }
  data.swap(compressed_);
}

Status HdfsSink::write_pending(OpenFile& f) {
  if (f.pending.empty()) return Status::ok();
  int64_t raw = static_cast<int64_t>(f.pending.size());
  compress(f.pending);
  size_t done = 0;
  while (done < f.pending.size()) {
    ssize_t n = ::write(f.fd, f.pending.data() + done, f.pending.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      if (err == ENOSPC) space_guard_->write_failed();
      return make_error(ErrorCode::kIo,
                        "write to " + f.in_use_path + " failed: " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
    f.length += static_cast<off_t>(n);  // a write cut short by a full disk counts too: undone
    f.dirty = true;
  }
  space_guard_->wrote(static_cast<int64_t>(done));
  f.events += f.pending_events;
  f.bytes += raw;
  f.pending.clear();
  f.pending_events = 0;
  f.last_write = clock_();
  return Status::ok();
}

void HdfsSink::close_file(OpenFile& f) {
  if (f.fd < 0) return;
  if (options_.fsync && f.dirty) ::fdatasync(f.fd);  // a committed batch was synced already
  ::close(f.fd);
  f.fd = -1;
  if (f.in_use_path != f.final_path && ::rename(f.in_use_path.c_str(), f.final_path.c_str()) != 0)
    file_log_.error("sink {}: cannot rename {}: {}", name(), f.in_use_path, std::strerror(errno));
  if (durable_) closed_records_.push_back(record_prefix_ + f.in_use_path);
  counters().connection_closed->inc();
  rolls_->inc();
}

void HdfsSink::settle_committed_batch() {
  // Every batch delivered so far committed (the runner calls again only after its commits, or
  // after delivery_not_committed undid them): the files that rolled within them can close now.
  for (OpenFile& f : retired_)
    close_file(f);
  retired_.clear();
  for (auto& [k, f] : files_)
    f.touched = false;
  checkpoints_.clear();
}

HdfsSink::OpenFile* HdfsSink::find_in_use(const std::string& in_use_path) {
  for (auto& [k, f] : files_)
    if (f.in_use_path == in_use_path) return &f;
  for (OpenFile& f : retired_)
    if (f.in_use_path == in_use_path) return &f;
  return nullptr;
}

void HdfsSink::undo_batch() {
  for (auto& [k, f] : files_) {
    f.pending.clear();
    f.pending_events = 0;
  }
  if (checkpoints_.empty()) return;
  const Checkpoint cp = std::move(checkpoints_.back());
  checkpoints_.pop_back();
  auto created = [&](const OpenFile& f) {
    return std::find(cp.created.begin(), cp.created.end(), f.in_use_path) != cp.created.end();
  };
  auto remove = [&](OpenFile& f) {
    ::close(f.fd);
    f.fd = -1;
    if (::unlink(f.in_use_path.c_str()) != 0)
      file_log_.error("sink {}: cannot remove {}: {}", name(), f.in_use_path, std::strerror(errno));
    counters().connection_closed->inc();
  };
  // The files the batch created go, wherever they are now.
  for (auto it = files_.begin(); it != files_.end();) {
    if (created(it->second)) {
      remove(it->second);
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  // A file that rolled within the batch is open again (its replacement was created by the
  // batch and is gone); one the batch created and rolled goes.
  std::vector<OpenFile> reopened;
  for (size_t i = cp.retired_before; i < retired_.size(); ++i) {
    if (created(retired_[i]))
      remove(retired_[i]);
    else
      reopened.push_back(std::move(retired_[i]));
  }
  retired_.erase(retired_.begin() + static_cast<std::ptrdiff_t>(cp.retired_before), retired_.end());
  for (OpenFile& f : reopened) {
    const std::string key = f.key;
    files_.insert_or_assign(key, std::move(f));
  }
  // The files it appended to are cut back to their length before it.
  for (const Checkpoint::Before& b : cp.before) {
    OpenFile* f = find_in_use(b.in_use_path);
    if (f == nullptr || f->fd < 0) continue;
    if (f->length > b.length) {
      if (::ftruncate(f->fd, b.length) != 0)
        file_log_.error("sink {}: cannot truncate {} back to {} bytes: {}", name(), f->in_use_path,
                        b.length, std::strerror(errno));
      else if (options_.fsync)
        ::fdatasync(f->fd);
      ::lseek(f->fd, b.length, SEEK_SET);  // the next batch writes from there
    }
    f->length = b.length;
    f->events = b.events;
    f->bytes = b.bytes;
    f->touched = false;
  }
}

pipeline::DeliveryResult HdfsSink::fail_batch(const std::string& why) {
  undo_batch();
  counters().connection_failed->inc();
  return pipeline::DeliveryResult::retry(why);
}

void HdfsSink::delivery_not_committed() {
  // The batch is in its files (synced) but still in the channel: it will be delivered again.
  undo_batch();
}

pipeline::DeliveryResult HdfsSink::deliver(const EventBatch& batch) {
  // Without a sync window a new batch means the last one committed; in a window the batches
  // before this one wait for their commits (deliveries_committed) and keep what they rolled.
  if (!groups_syncs()) settle_committed_batch();
  for (auto& [k, f] : files_)
    f.touched = false;
  rejected_.clear();
  const int64_t now_ms = metrics::now_millis();
  const int64_t incoming = static_cast<int64_t>(batch.arena_bytes() + batch.size() * 2);
  if (!space_guard_->allows(incoming))
    return pipeline::DeliveryResult::retry(
        "disk full: a batch of ~" + std::to_string(incoming) + " bytes would leave less than " +
        std::to_string(options_.minimum_free_space) + " bytes (hdfs.minimumFreeSpace) free under " +
        root_ + " (" + std::to_string(space_guard_->estimated_free()) + " free)");
  // From here every way out either delivers the batch or takes it back (fail_batch): the
  // checkpoint is popped exactly when the batch is.
  checkpoints_.emplace_back().retired_before = retired_.size();
  std::string first_problem;
  auto reject = [&](size_t i, std::string why) {
    rejected_.push_back(static_cast<uint32_t>(i));
    if (first_problem.empty()) first_problem = std::move(why);
  };
  const bool needs_time = path_->needs_time() || prefix_->needs_time();
  const bool headers = options_.serializer == "header_and_text";
  for (size_t i = 0; i < batch.size(); ++i) {
    int64_t ms = now_ms;
    time_text_.clear();
    if (!options_.use_local_time_stamp && needs_time) {
      auto ts = batch.header(i, "timestamp");
      auto parsed = ts ? config::parse_int(*ts) : std::nullopt;
      if (!parsed) {
        reject(i, ts ? "its timestamp header '" + std::string(*ts) + "' is not a number"
                     : "it has no timestamp header (add the timestamp interceptor or set "
                       "hdfs.useLocalTimeStamp)");
        continue;
      }
      ms = *parsed;
      time_text_ = *ts;
    } else {
      time_text_ = std::to_string(ms);
    }
    if (options_.round) ms = round_down(ms, options_.round_value, options_.round_unit, tz_);
    dir_.clear();
    prefix_text_.clear();
    path_->expand_path(batch, i, ms, time_text_, tz_, dir_);
    prefix_->expand_path(batch, i, ms, time_text_, tz_, prefix_text_);
    if (climbs_out(dir_) || prefix_text_ == "..") {
      reject(i, "its bucket path '" + dir_ + "/" + prefix_text_ + "' would leave hdfs.path");
      continue;
    }
    OpenError error;
    OpenFile* f = file_for(dir_, prefix_text_, error);
    if (!f) {
      if (!error.permanent) return fail_batch(error.message);
      reject(i, error.message);
      continue;
    }
    if (!f->touched) {  // first written by this batch: what it was before, to take it back
      f->touched = true;
      checkpoints_.back().before.push_back({f->in_use_path, f->length, f->events, f->bytes});
    }
    append_event_text(batch, i, headers, options_.append_newline, f->pending);
    f->pending_events++;
    bool count_roll =
        options_.roll_count > 0 && f->events + f->pending_events >= options_.roll_count;
    bool size_roll = options_.roll_size > 0 &&
                     f->bytes + static_cast<int64_t>(f->pending.size()) >= options_.roll_size;
    if (count_roll || size_roll) {
      if (Status s = write_pending(*f); !s) return fail_batch(s.message());
      // The next event of this bucket opens a new file; this one closes once the batch commits.
      retire(files_.find(f->key));
    }
  }
  for (auto& [k, f] : files_) {
    if (Status s = write_pending(f); !s) return fail_batch(s.message());
  }
  // With hdfs.fsync the batch is synced by sync_delivered(), with the rest of its window,
  // before its take commits.
  if (rejected_.empty()) return with_lengths(pipeline::DeliveryResult::delivered());
  std::string why = "event(s) that can never be written: " + first_problem;
  if (rejected_.size() == batch.size())
    return with_lengths(pipeline::DeliveryResult::rejected(why));
  return with_lengths(pipeline::DeliveryResult::partly_rejected(rejected_, why));
}

Status HdfsSink::sync_delivered() {
  auto sync = [&](OpenFile& f) -> Status {
    if (!f.dirty || f.fd < 0) return Status::ok();
    if (::fdatasync(f.fd) != 0)
      return make_error(ErrorCode::kIo,
                        "sync of " + f.in_use_path + " failed: " + std::strerror(errno));
    f.dirty = false;
    return Status::ok();
  };
  for (auto& [k, f] : files_)
    if (Status s = sync(f); !s) return s;
  for (OpenFile& f : retired_)
    if (Status s = sync(f); !s) return s;
  if (sync_count_) sync_count_->inc();
  return Status::ok();
}

void HdfsSink::tick(Clock::time_point now) {
  settle_committed_batch();
  for (auto it = files_.begin(); it != files_.end();) {
    OpenFile& f = it->second;
    bool interval = options_.roll_interval_s > 0 &&
                    now - f.opened_at >= std::chrono::seconds(options_.roll_interval_s);
    bool idle = options_.idle_timeout_s > 0 &&
                now - f.last_write >= std::chrono::seconds(options_.idle_timeout_s);
    if (interval || idle) {
      close_file(f);
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace flumen::plugins
