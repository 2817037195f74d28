#include "plugins/sinks/file_roll/file_roll_sink.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "agent/metrics/component_metrics.h"
#include "agent/util/thread_name.h"
#include "plugins/sinks/file_common/event_text.h"

namespace flumen::plugins {

FileRollSink::FileRollSink(std::string name, FileRollSinkOptions options)
    : Sink(std::move(name)),
      options_(std::move(options)),
      space_guard_(
          std::make_unique<util::FreeSpaceGuard>(options_.directory, options_.minimum_free_space)),
      undo_log_(std::chrono::seconds(30)) {}

FileRollSink::~FileRollSink() {
  close_current();
}

Status FileRollSink::start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.directory, ec);
  if (ec)
    return make_error(ErrorCode::kIo,
                      "cannot create directory " + options_.directory + ": " + ec.message());
  series_millis_ = metrics::now_millis();
  last_roll_ = std::chrono::steady_clock::now();
  durable_ = channel() != nullptr && channel()->keeps_markers();
  sync_count_ = &metrics().counter("SyncCount");
  begun_.clear();
  if (durable_) {
    record_key_ = "file_roll/" + state_key();
    cut_back_uncommitted();
  }
  return Status::ok();
}

std::string FileRollSink::record(off_t length, const std::string& path) {
  return "1 " + std::to_string(length) + " " + path;
}

void FileRollSink::cut_back_uncommitted() {
  const auto markers = channel()->markers(record_key_);
  auto it = markers.find(record_key_);
  if (it == markers.end()) return;
  // "1 <length> <path>"
  const std::string& v = it->second;
  const size_t sp1 = v.find(' '), sp2 = v.find(' ', sp1 == std::string::npos ? 0 : sp1 + 1);
  if (v.rfind("1 ", 0) != 0 || sp2 == std::string::npos) {
    spdlog::warn("sink {}: its record in channel {} does not read ('{}'); nothing cut back", name(),
                 channel()->name(), v);
    return;
  }
  const off_t committed = std::strtoll(v.c_str() + sp1 + 1, nullptr, 10);
  const std::string path = v.substr(sp2 + 1);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || st.st_size <= committed) return;  // moved away, or whole
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, committed) != 0) {
    spdlog::error("sink {}: cannot cut {} back to its committed {} bytes: {}", name(), path,
                  committed, std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return;
  }
  if (options_.fsync) ::fsync(fd);
  ::close(fd);
  spdlog::info(
      "sink {}: {} cut back from {} to {} bytes: the rest was written by a take that did not "
      "commit before the agent stopped, and is delivered again",
      name(), path, static_cast<int64_t>(st.st_size), static_cast<int64_t>(committed));
  if (committed == 0) ::unlink(path.c_str());  // never an empty file
}

void FileRollSink::stop() {
  close_current();
}

std::string FileRollSink::next_file_name() {
  ++file_index_;
  std::string name = options_.prefix;
  if (options_.path_manager == "rolltime") {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
    name += stamp;
  } else {
    name += std::to_string(series_millis_);
  }
  name += "-" + std::to_string(file_index_);
  if (!options_.extension.empty()) name += "." + options_.extension;
  return name;
}

Status FileRollSink::open_next() {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::string candidate = options_.directory + "/" + next_file_name();
    if (::access(candidate.c_str(), F_OK) == 0) continue;
    // Recorded before it exists: a kill -9 after its first batch was written, before that
    // batch's take committed, leaves the channel saying "0 bytes committed" of it.
    if (durable_) {
      if (Status s = channel()->save_marker(record_key_, record(0, candidate)); !s)
        return make_error(s.code(), "cannot record the new file " + candidate + " in channel " +
                                        channel()->name() + ": " + s.message());
    }
    // O_EXCL: never append to a file another run (or another sink) wrote.
    int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      fd_ = fd;
      path_ = candidate;
      opened_at_ = std::chrono::steady_clock::now();
      counters().connection_created->inc();
      return Status::ok();
    }
    if (errno != EEXIST)
      return make_error(ErrorCode::kIo, "cannot open " + candidate + ": " + std::strerror(errno));
  }
  return make_error(ErrorCode::kIo, "cannot find a free file name in " + options_.directory);
}

void FileRollSink::close_current() {
  if (fd_ < 0) return;
  if (syncer_) syncer_->quiesce();
  if (options_.fsync) ::fsync(fd_);
  ::close(fd_);
  fd_ = -1;
  counters().connection_closed->inc();
}

void FileRollSink::serialize(const EventBatch& batch, std::string& out) const {
  out.clear();
  out.reserve(batch.arena_bytes() + batch.size() * 2);
  const bool headers = options_.serializer == "header_and_text";
  for (size_t i = 0; i < batch.size(); ++i)
    append_event_text(batch, i, headers, options_.append_newline, out);
}

pipeline::DeliveryResult FileRollSink::undo_batch(std::string why) {
  // Cut the file back to where the batch began, so a retry leaves no torn or second copy.
  if (uncommitted_starts_.empty()) return pipeline::DeliveryResult::retry(std::move(why));
  const off_t start = uncommitted_starts_.back();
  uncommitted_starts_.pop_back();
  if (fd_ >= 0 && ::ftruncate(fd_, start) != 0)
    undo_log_.error("sink {}: cannot truncate {} back to {} bytes: {}", name(), path_, start,
                    std::strerror(errno));
  return pipeline::DeliveryResult::retry(std::move(why));
}

pipeline::DeliveryResult FileRollSink::deliver(const EventBatch& batch) {
  // Without a sync window, a new batch means the previous one was committed: it stays.
  if (!groups_syncs()) uncommitted_starts_.clear();
  serialize(batch, buffer_);
  if (!space_guard_->allows(static_cast<int64_t>(buffer_.size())))
    return pipeline::DeliveryResult::retry(
        "disk full: writing " + std::to_string(buffer_.size()) + " bytes would leave less than " +
        std::to_string(options_.minimum_free_space) + " bytes (sink.minimumFreeSpace) free in " +
        options_.directory + " (" + std::to_string(space_guard_->estimated_free()) + " free)");
  if (fd_ < 0) {
    if (Status s = open_next(); !s) {
      counters().connection_failed->inc();
      return pipeline::DeliveryResult::retry(s.message());
    }
  }
  const off_t batch_start = ::lseek(fd_, 0, SEEK_END);
  uncommitted_starts_.push_back(batch_start);
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      if (err == ENOSPC) space_guard_->write_failed();
      return undo_batch("write to " + path_ + " failed: " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  space_guard_->wrote(static_cast<int64_t>(done));
  // With sink.fsync the batch is synced by sync_delivered(), with the rest of its window,
  // before its take commits.
  if (durable_)  // the file's committed length, with the take's commit
    return pipeline::DeliveryResult::delivered().with_marker(
        record_key_, record(batch_start + static_cast<off_t>(done), path_));
  return pipeline::DeliveryResult::delivered();
}

void FileRollSink::begin_sync(size_t takes) {
  uint64_t ticket = 0;
  if (fd_ >= 0 && !uncommitted_starts_.empty()) {
    if (!syncer_)
      syncer_ = std::make_unique<util::BackgroundSync>(util::thread_name("sync-", name()));
    ticket = syncer_->request(fd_);
  }
  begun_.begin(takes, ticket);
}

Status FileRollSink::sync_delivered() {
  if (!begun_.empty()) {
    // The oldest window's fdatasync, begun on the sync thread.
    const uint64_t ticket = begun_.oldest_tag();
    if (ticket == 0 || !syncer_) return Status::ok();
    Status s = syncer_->wait(ticket);
    if (sync_count_) sync_count_->inc(static_cast<int64_t>(syncer_->take_sync_count()));
    if (!s) return make_error(ErrorCode::kIo, "fsync of " + path_ + " failed: " + s.message());
    return Status::ok();
  }
  if (fd_ < 0 || uncommitted_starts_.empty()) return Status::ok();
  if (::fdatasync(fd_) != 0)
    return make_error(ErrorCode::kIo, "fsync of " + path_ + " failed: " + std::strerror(errno));
  if (sync_count_) sync_count_->inc();
  return Status::ok();
}

void FileRollSink::deliveries_committed() {
  if (begun_.empty()) {
    uncommitted_starts_.clear();
    return;
  }
  // The oldest window's batches stay; the next window's are still open.
  const size_t n = std::min(begun_.oldest_or(0), uncommitted_starts_.size());
  uncommitted_starts_.erase(uncommitted_starts_.begin(),
                            uncommitted_starts_.begin() + static_cast<std::ptrdiff_t>(n));
  begun_.committed();
}

void FileRollSink::delivery_not_committed() {
  begun_.given_back();
  if (uncommitted_starts_.empty()) return;
  // The batch is in the file (synced) but still in the channel: it will be delivered again.
  const off_t start = uncommitted_starts_.back();
  (void)undo_batch("");
  if (options_.fsync && fd_ >= 0) ::fdatasync(fd_);
  spdlog::debug("sink {}: {} cut back to {} bytes: its take did not commit", name(), path_, start);
}

void FileRollSink::tick(std::chrono::steady_clock::time_point now) {
  // The runner ticks after the commits (and commits an open window first): the batches stay.
  if (!begun_.empty()) return;
  uncommitted_starts_.clear();
  if (options_.roll_interval_s <= 0 || fd_ < 0) return;
  if (now - opened_at_ >= std::chrono::seconds(options_.roll_interval_s)) close_current();
}

}  // namespace flumen::plugins
